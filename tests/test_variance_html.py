"""Tests of the ``promptlint variance`` HTML report (:mod:`promptlint.output.variance_html`).

The unit tests render a synthetic report (two prompts, one without any latency,
hostile text in outputs and names) and inspect the HTML. The browser test opens
the file in headless Chromium, takes a screenshot and checks that the page, its
plots included, actually painted: a valid 1200-pixel-wide PNG with many colours
and many non-white pixels in the region of the first plot. It is skipped only
when no Chromium binary is installed (``apt-get install -y chromium``).
"""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from promptlint.output.variance_html import render_html

HOSTILE = "<script>alert(1)</script> & {{ x }} {# y #}"
S_FULL = "json:{category:str,urgency:int}"
S_FENCED = "json(fenced):{category:str}"
S_WRAPPED = "json:{result:{category:str,urgency:int}}"


def _metrics(samples: list[dict]) -> dict:
    """The metrics block for ``samples`` (a plain re-implementation, enough for the report)."""

    def pct(key: str) -> dict | None:
        xs = sorted(s[key] for s in samples if not s["cached"] and s[key] is not None)
        if not xs:
            return None

        def q(p: float) -> float:
            pos = (len(xs) - 1) * p
            lo = int(pos)
            hi = min(lo + 1, len(xs) - 1)
            return round(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo), 1)

        return {"p50": q(0.50), "p95": q(0.95), "p99": q(0.99)}

    structures: dict[str, int] = {}
    for s in samples:
        structures[s["structure"]] = structures.get(s["structure"], 0) + 1
    n = len(samples)
    passed = sum(s["passed"] for s in samples)
    return {
        "samples": n, "passed": passed, "pass_rate": passed / n, "pass_all": passed == n,
        "structures": structures, "distinct_structures": len(structures),
        "modal_share": max(structures.values()) / n, "field_agreement": 0.85,
        "ttft_ms": pct("ttft_ms"), "ttlt_ms": pct("ttlt_ms"),
        "tokens_in": {"mean": sum(s["tokens_in"] for s in samples) / n, "total": sum(s["tokens_in"] for s in samples)},
        "tokens_out": {"mean": sum(s["tokens_out"] for s in samples) / n,
                       "total": sum(s["tokens_out"] for s in samples)},
    }


def _sample(i: int, structure: str, passed: bool, ttft: float | None, ttlt: float | None,
            cached: bool = False, text: str | None = None) -> dict:
    return {
        "index": i, "seed": 7 + i, "passed": passed,
        "failures": [] if passed else [f"schema: 'urgency' is a required property <{i}>"],
        "structure": structure, "finish_reason": "stop" if passed else "length",
        "tokens_in": 310, "tokens_out": 40 + i, "ttft_ms": ttft, "ttlt_ms": ttlt, "cached": cached,
        "text": text if text is not None else f'{{"category": "billing", "urgency": {i}}}',
    }


def make_report() -> dict:
    """Two prompts: ``triage`` (three fixtures, varied latencies, one cached sample, three
    structures) and a second prompt whose samples are all cached (no latency at all)."""
    billing = [
        _sample(0, S_FULL, True, 110.5, 880.1),
        _sample(1, S_FULL, True, 135.0, 940.0),
        _sample(2, S_FENCED, False, 290.0, 1480.0, text="```json\n" + HOSTILE + "\n```" + "x" * 400),
        _sample(3, S_FULL, True, None, None, cached=True),
    ]
    refund = [
        _sample(0, S_FULL, True, 98.0, 760.0),
        _sample(1, S_WRAPPED, False, 180.0, 2210.0, text='{"result": {"category": "refund", "urgency": 2}}'),
        _sample(2, S_FULL, True, 121.0, 1010.0),
        _sample(3, S_FULL, True, 150.0, 1190.0),
    ]
    hostile = [_sample(0, S_FULL, True, 240.0, 1620.0, text=HOSTILE), _sample(1, S_FENCED, False, 305.0, 1850.0)]
    fixtures = [("billing", billing), ("refund & <returns>", refund), (HOSTILE, hostile)]
    all_samples = billing + refund + hostile
    triage = {
        "prompt_id": "fixtures/variance/ticket_triage.md",
        "contract": "fixtures/variance/ticket_triage.contract.yaml",
        "format": "json", "samples_per_fixture": 4, "passed": False,
        "violations": ["pass_rate 0.70 < 0.90", "modal_share 0.70 < 0.80", "ttlt_ms p95 2034 > 2000"],
        "fallback": "serve the cached answer <cached> & log it",
        "thresholds": {"pass_rate": 0.9, "modal_share": 0.8, "field_agreement": None},
        "latency": {"ttft_ms_p95": 800, "ttlt_ms_p95": 2000, "fallback": "serve the cached answer <cached> & log it"},
        "metrics": _metrics(all_samples),
        "fixtures": [{"name": name, "rendered_sha256": "ab12cd34" * 8, "metrics": _metrics(ss), "samples": ss}
                     for name, ss in fixtures],
    }
    cached = [_sample(i, "text:[paragraph,list]", True, None, None, cached=True, text="{{ x }} and <b>bold</b>")
              for i in range(3)]
    second = {
        "prompt_id": "app_openai.py::SYSTEM_PROMPT<{{ x }}>",
        "contract": "fixtures/variance/contracts.yaml",
        "format": "markdown-list", "samples_per_fixture": 3, "passed": True,
        "violations": [], "fallback": None,
        "thresholds": {"pass_rate": 0.9, "modal_share": None, "field_agreement": None},
        "latency": None,
        "metrics": _metrics(cached),
        "fixtures": [{"name": "default", "rendered_sha256": "ef56" * 16, "metrics": _metrics(cached),
                      "samples": cached}],
    }
    return {"schema_version": 1, "tool": "promptlint", "version": "0.1.0", "backend": "llama",
            "model": "gemma-3-270m-q4_k_m.gguf", "created": "2026-11-30T16:40:00Z", "passed": False,
            "prompts": [triage, second]}


@pytest.fixture(scope="module")
def report() -> dict:
    return make_report()


@pytest.fixture(scope="module")
def page(report: dict) -> str:
    return render_html(report)


def _sections(page: str) -> list[str]:
    return re.findall(r'<section class="prompt".*?</section>', page, flags=re.DOTALL)


# --------------------------------------------------------------------------- HTML content


def test_no_script_and_no_external_resources(page: str) -> None:
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "@import" not in page and "url(" not in page


def test_every_report_text_is_escaped(page: str) -> None:
    # fixture name, sample text, prompt id, fallback: all hostile, all escaped
    assert "refund &amp; &lt;returns&gt;" in page
    assert "app_openai.py::SYSTEM_PROMPT&lt;{{ x }}&gt;" in page
    assert "{{ x }} and &lt;b&gt;bold&lt;/b&gt;" in page
    assert "serve the cached answer &lt;cached&gt; &amp; log it" in page
    assert "<b>bold</b>" not in page and "<returns>" not in page and "<cached>" not in page


def test_two_svgs_per_prompt(page: str) -> None:
    sections = _sections(page)
    assert len(sections) == 2
    for section in sections:
        assert section.count("<svg") == 2
        assert 'class="latency-plot"' in section and 'class="structure-histogram"' in section


def test_header_metrics_and_fallback(page: str, report: dict) -> None:
    triage = _sections(page)[0]
    assert "fixtures/variance/ticket_triage.contract.yaml" in triage
    assert '<span class="badge fail">FAIL</span>' in triage
    for violation in report["prompts"][0]["violations"]:
        assert html.escape(violation) in triage
    assert "Fallback advice" in triage
    for label in ("pass rate", "pass^N", "distinct structures", "modal share", "field agreement",
                  "TTFT p50", "TTFT p95", "TTFT p99", "TTLT p50", "TTLT p95", "TTLT p99", "tokens in", "tokens out"):
        assert label in triage, label
    assert "Fallback advice" not in _sections(page)[1]


def test_latency_plot_marks_p50_and_p95(page: str, report: dict) -> None:
    svg = re.search(r'<svg[^>]*class="latency-plot".*?</svg>', _sections(page)[0], flags=re.DOTALL).group(0)
    m = report["prompts"][0]["metrics"]
    for clock in ("ttft_ms", "ttlt_ms"):
        for p in ("p50", "p95"):
            value = m[clock][p]
            text = f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"
            assert f"{p} {text}" in svg, (clock, p, text)
    assert svg.count('class="marker p50"') == 2 and svg.count('class="marker p95"') == 2
    assert "target p95 ≤ 2,000 ms" in svg and "target p95 ≤ 800 ms" in svg
    # 10 timed samples, one cached one left out: 9 dots per clock
    assert svg.count("<circle") - 2 == 2 * 9  # minus the two legend dots
    assert "1 cached sample not plotted" in svg
    assert "latency (ms)" in svg  # the x axis


def test_latency_plot_without_latency_says_so(page: str) -> None:
    svg = re.search(r'<svg[^>]*class="latency-plot".*?</svg>', _sections(page)[1], flags=re.DOTALL).group(0)
    assert "No latency to plot" in svg and "all 3 samples were cached" in svg
    assert "<circle" not in svg


def test_structure_histogram_labels_and_modal_bar(page: str) -> None:
    svg = re.search(r'<svg[^>]*class="structure-histogram".*?</svg>', _sections(page)[0], flags=re.DOTALL).group(0)
    for sig, count in ((S_FULL, 7), (S_FENCED, 2), (S_WRAPPED, 1)):
        assert sig in svg, sig
        assert f"{count} ({count * 10}%)" in svg
    bars = re.findall(r'<g class="(bar(?: modal)?)" data-modal="(true|false)"><title>(.*?): \d+ of', svg)
    assert [(cls, sig) for cls, _, sig in bars] == [("bar modal", S_FULL), ("bar", S_FENCED), ("bar", S_WRAPPED)]
    assert "7 (70%) modal" in svg


def test_fixture_details_list_every_sample(page: str, report: dict) -> None:
    triage = _sections(page)[0]
    details = re.findall(r'<details class="fixture">.*?</details>', triage, flags=re.DOTALL)
    assert len(details) == 3
    assert details[0].count("<tr>") == 1 + 4  # header + 4 samples
    assert details[0].count('<tr class="text">') == 4  # each sample's text, in a row of its own
    long_text = report["prompts"][0]["fixtures"][0]["samples"][2]["text"]
    assert f"… {len(long_text) - 300} more characters" in details[0]
    assert "finish" in details[0] and "length" in details[0]
    assert "schema: &#x27;urgency&#x27; is a required property &lt;2&gt;" in details[0]
    assert HOSTILE not in triage


def test_missing_optional_keys_do_not_break_rendering() -> None:
    page = render_html({"prompts": [{"prompt_id": "p", "fixtures": [{"name": "f", "samples": [
        {"index": 0, "text": None, "structure": None}]}]}, {}]})
    assert page.count("<svg") == 4
    assert "No latency to plot" in page and "No output structures recorded" in page
    assert render_html({}).startswith("<!DOCTYPE html>")


# --------------------------------------------------------------------------- headless Chromium

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_rows(data: bytes, max_rows: int) -> tuple[int, int, list[bytes], int]:
    """Width, height, the first ``max_rows`` unfiltered pixel rows and bytes per pixel
    of an 8-bit non-interlaced RGB/RGBA/grey PNG (enough for a Chromium screenshot)."""
    assert data[:8] == PNG_SIGNATURE
    pos, idat = 8, []
    width = height = bpp = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, (depth, interlace)
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    raw = zlib.decompressobj().decompress(b"".join(idat), (width * bpp + 1) * max_rows)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for r in range(min(max_rows, height)):
        ftype, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


ORANGE = (0xD9, 0x82, 0x2B)  # p95 marker colour of the latency plot
BLUE = (0x2F, 0x6F, 0xDB)  # modal bar colour of the structure histogram


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int], tol: int = 8) -> bool:
    return all(abs(p - c) <= tol for p, c in zip(pixel, colour))


@pytest.mark.skipif(_chromium() is None, reason="no chromium binary on PATH (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(tmp_path: Path, page: str) -> None:
    html_path = tmp_path / "report.html"
    html_path.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--hide-scrollbars", "--run-all-compositor-stages-before-draw",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
           html_path.as_uri()]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.is_file(), proc.stderr[-2000:]

    data = shot.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 1600)

    _, _, rows, bpp = _png_rows(data, height)
    assert len(rows) == height and bpp in (3, 4)
    colours: set[tuple[int, int, int]] = set()
    non_white = 0
    orange_rows: list[int] = []  # the p95 lines, labels and legend: only in the latency plot
    blue_rows: list[int] = []  # the modal bar of the structure histogram
    blue_pixels = 0
    for y, row in enumerate(rows):
        pixels = set(zip(row[0::bpp], row[1::bpp], row[2::bpp]))
        colours |= pixels
        non_white += sum(1 for r, g, b in zip(row[0::bpp], row[1::bpp], row[2::bpp]) if r + g + b < 759)
        if any(_near(px, ORANGE) for px in pixels):
            orange_rows.append(y)
        if any(_near(px, BLUE) for px in pixels):
            blue_rows.append(y)
            blue_pixels += sum(1 for px in zip(row[0::bpp], row[1::bpp], row[2::bpp]) if _near(px, BLUE))
    assert len(colours) > 50, len(colours)
    assert non_white > width * height // 10, non_white

    # The latency plot painted its p95 markers, and the band they span is not blank.
    assert len(orange_rows) > 20, orange_rows
    top, bottom = min(orange_rows), max(orange_rows)
    band_non_white = sum(1 for row in rows[top:bottom + 1]
                         for r, g, b in zip(row[0::bpp], row[1::bpp], row[2::bpp]) if r + g + b < 759)
    assert band_non_white > 2000, band_non_white
    # The structure histogram painted its modal bar, below the latency plot.
    assert blue_pixels > 2000, blue_pixels
    assert min(blue_rows) > bottom, (min(blue_rows), bottom)
