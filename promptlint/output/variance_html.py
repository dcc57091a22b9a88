"""The self-contained HTML report of ``promptlint variance`` (``--html out.html``).

:func:`render_html` is a pure function from the variance report dict (the same
dict ``--report out.json`` writes) to one HTML document. The document loads
nothing: its CSS is inline, its two plots per prompt are inline SVG drawn here,
and it has no JavaScript at all (collapsible parts are ``<details>``). Every
text that comes from the report (prompt ids, paths, sample outputs, fixture
names, structure signatures, violations) is passed through :func:`html.escape`,
so an output such as ``<script>…</script>`` or ``{{ x }}`` shows as text.

Report shape read here (every key except ``prompts`` is optional; a missing or
``null`` value is shown as "—")::

    {"tool", "version", "backend", "model", "created", "passed",
     "prompts": [{
        "prompt_id", "contract", "format", "samples_per_fixture", "passed",
        "violations": [str], "fallback": str | null,
        "thresholds": {"pass_rate", "modal_share", "field_agreement"},   # fractions 0..1 | null
        "latency": {"ttft_ms_p95", "ttlt_ms_p95", "fallback"} | null,     # targets in ms
        "metrics": METRICS,                                             # over all fixtures' samples
        "fixtures": [{"name", "rendered_sha256", "metrics": METRICS,
                      "samples": [{"index", "seed", "text", "passed", "failures": [str],
                                   "structure", "finish_reason", "tokens_in", "tokens_out",
                                   "ttft_ms": float | null, "ttlt_ms": float | null,
                                   "cached": bool}]}]}]}

    METRICS = {"samples", "passed", "pass_rate", "pass_all", "structures": {signature: count},
               "distinct_structures", "modal_share", "field_agreement",
               "ttft_ms": {"p50", "p95", "p99"} | null, "ttlt_ms": {...} | null,
               "tokens_in": {"mean", "total"}, "tokens_out": {"mean", "total"},
               "cost": {"currency", "per_1000_requests", ...} | null}   # only with configured prices

All times are milliseconds. TTFT is the time to the first token, TTLT the time
to the last token. Cached samples carry no latency and are never plotted; the
plots fall back to the samples themselves when a metric is missing from
``metrics``.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Iterable

from ..variance import percentile

__all__ = ["render_html"]

TEXT_PREVIEW_CHARS = 300
"""How much of each sample's text the fixture sections show."""

_STRUCT_LABEL_CHARS = 52
_MAX_STRUCT_BARS = 30

# Characters that HTML forbids or that would garble the page: C0/C1 controls
# other than tab/newline/carriage return, and lone surrogates (unencodable).
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

_PASS_COLOUR = "#1f8a4c"
_FAIL_COLOUR = "#c8324a"
_MODAL_COLOUR = "#2f6fdb"
_BAR_COLOUR = "#a9b4c6"
_P50_COLOUR = "#444b59"
_P95_COLOUR = "#d9822b"
_TARGET_COLOUR = "#c8324a"

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
 background:#f4f6f9;color:#1d2330;font-size:14px;line-height:1.45}
main{max-width:1120px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:0;word-break:break-all}
h3{font-size:15px;margin:18px 0 6px}
code,pre,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
.meta{color:#5a6275;margin:2px 0}
.meta b{color:#1d2330;font-weight:600}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;font-weight:700;
 color:#fff;vertical-align:middle;letter-spacing:.03em}
.badge.pass{background:#1f8a4c}.badge.fail{background:#c8324a}.badge.na{background:#8a93a5}
section.prompt{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:16px 20px;margin:18px 0}
.head{display:flex;gap:12px;align-items:center;flex-wrap:wrap}
ul.violations{margin:8px 0;padding-left:20px;color:#a3192f}
.fallback{background:#fff4e0;border-left:4px solid #e8a33d;padding:6px 10px;margin:8px 0;border-radius:3px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:4px 0}
table.metrics{font-size:13px}
th,td{border-bottom:1px solid #e6e9ef;padding:2px 10px;text-align:left;vertical-align:top}
th{background:#f0f2f6;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.bad{color:#a3192f;font-weight:700}
td.good{color:#1f6d3e}
table.summary td,table.summary th{white-space:nowrap}
svg{display:block;max-width:100%;height:auto;background:#fff}
.plot{border:1px solid #e6e9ef;border-radius:6px;margin:6px 0;padding:4px}
details{border:1px solid #e6e9ef;border-radius:6px;margin:6px 0;padding:4px 10px;background:#fbfcfd}
summary{cursor:pointer;font-weight:600}
summary .meta{font-weight:400}
pre.text{white-space:pre-wrap;word-break:break-word;margin:0;background:#f6f7f9;
 padding:4px 6px;border-radius:3px}
table.samples tr:not(.text) td{border-bottom:none;padding-top:6px}
table.samples td.mono{overflow-wrap:anywhere}
.more{color:#5a6275;font-style:italic}
table.samples td{font-size:12px}
.muted{color:#5a6275}
"""


# --------------------------------------------------------------------------- helpers


def _clean(value: object) -> str:
    """``value`` as text that is safe to put in an HTML document (not yet escaped)."""
    return _BAD_CHARS.sub("\ufffd", str(value))


def _esc(value: object) -> str:
    """Escaped text; ``None`` becomes an em dash."""
    if value is None:
        return "—"
    return html.escape(_clean(value), quote=True)


def _breakable(value: object) -> str:
    """Escaped text with line-break opportunities after ``,`` ``:`` ``{`` (structure signatures)."""
    return re.sub(r"([,:{])", r"\1<wbr>", _esc(value))


def _num(value: object) -> float | None:
    """A finite number, or ``None`` (for ``None``, booleans, strings, NaN, inf)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _fmt_ms(value: object) -> str:
    v = _num(value)
    if v is None:
        return "—"
    return f"{v:,.0f} ms" if abs(v) >= 100 else f"{v:.1f} ms"


def _fmt_pct(value: object) -> str:
    v = _num(value)
    return "—" if v is None else f"{v * 100:.1f}%"


def _fmt_int(value: object) -> str:
    v = _num(value)
    return "—" if v is None else f"{v:,.0f}"


def _fmt_mean(value: object) -> str:
    v = _num(value)
    return "—" if v is None else f"{v:,.1f}"


def _fmt_svg_num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _badge(passed: object) -> str:
    if passed is True:
        return '<span class="badge pass">PASS</span>'
    if passed is False:
        return '<span class="badge fail">FAIL</span>'
    return '<span class="badge na">N/A</span>'


def _nice_step(span: float, target_ticks: int = 6) -> float:
    """A 1/2/5 × 10^k tick step giving about ``target_ticks`` ticks over ``span``."""
    raw = span / max(target_ticks, 1)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _tick_label(v: float) -> str:
    if v >= 10_000:
        return f"{v / 1000:g}k"
    return f"{v:g}"


def _all_samples(prompt: dict) -> Iterable[tuple[str, dict]]:
    for fx in _list(prompt.get("fixtures")):
        fx = _dict(fx)
        for s in _list(fx.get("samples")):
            if isinstance(s, dict):
                yield str(fx.get("name", "")), s


# --------------------------------------------------------------------------- latency plot

_LAT_W = 1000
_LAT_LEFT = 64
_LAT_RIGHT = 30
_LAT_LABEL_ROWS = 3
_LAT_LABEL_ROW_H = 14
_LAT_DOTS_H = 46
_LAT_BAND_GAP = 12


def _latency_svg(prompt: dict) -> str:
    """The latency distribution plot: one row of dots per clock (TTFT, TTLT), with the
    p50 and p95 (and the contract's p95 target, if any) as labelled vertical lines and
    a shared x axis in ms. Cached samples and samples without latency are left out."""
    metrics = _dict(prompt.get("metrics"))
    targets = _dict(prompt.get("latency"))
    rows = []
    cached = 0
    total = 0
    for key, label, target_key in (("ttft_ms", "TTFT", "ttft_ms_p95"), ("ttlt_ms", "TTLT", "ttlt_ms_p95")):
        points = []
        for fx_name, s in _all_samples(prompt):
            if key == "ttft_ms":
                total += 1
                if s.get("cached") is True:
                    cached += 1
            if s.get("cached") is True:
                continue
            v = _num(s.get(key))
            if v is not None:
                points.append((v, s, fx_name))
        values = [p[0] for p in points]
        pct = _dict(metrics.get(key))
        p50 = _num(pct.get("p50"))
        p95 = _num(pct.get("p95"))
        if values and p50 is None:
            p50 = percentile(values, 0.50)
        if values and p95 is None:
            p95 = percentile(values, 0.95)
        rows.append({"key": key, "label": label, "points": points, "p50": p50, "p95": p95,
                     "target": _num(targets.get(target_key))})

    label_h = _LAT_LABEL_ROWS * _LAT_LABEL_ROW_H
    band_h = label_h + _LAT_DOTS_H
    top = 24
    axis_y = top + 2 * band_h + _LAT_BAND_GAP + 6
    height = axis_y + 40
    plot_w = _LAT_W - _LAT_LEFT - _LAT_RIGHT
    font = 'font-family="system-ui,DejaVu Sans,sans-serif"'
    halo = 'paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round"'

    if not any(r["points"] for r in rows):
        why = (f"all {total} samples were cached" if total and cached == total
               else "no sample has a measured latency")
        return (f'<svg xmlns="http://www.w3.org/2000/svg" class="latency-plot" viewBox="0 0 {_LAT_W} 70" '
                f'width="{_LAT_W}" height="70" role="img" aria-label="latency distribution (no data)">'
                f'<text x="{_LAT_W / 2}" y="40" text-anchor="middle" {font} font-size="14" fill="#5a6275">'
                f'No latency to plot: {_esc(why)}.</text></svg>')

    x_max = 0.0
    for r in rows:
        for v in [p[0] for p in r["points"]] + [r["p50"], r["p95"], r["target"]]:
            if v is not None:
                x_max = max(x_max, v)
    if x_max <= 0:
        x_max = 1.0
    step = _nice_step(x_max)
    x_end = math.ceil(x_max * 1.02 / step) * step

    def sx(v: float) -> float:
        return _LAT_LEFT + plot_w * min(max(v, 0.0), x_end) / x_end

    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="latency-plot" viewBox="0 0 {_LAT_W} {height}" '
           f'width="{_LAT_W}" height="{height}" role="img" aria-label="latency distribution in ms">')]
    # legend
    lx = _LAT_LEFT
    legend = [("circle", _PASS_COLOUR, "passed sample"), ("circle", _FAIL_COLOUR, "failed sample"),
              ("line", _P50_COLOUR, "p50"), ("line", _P95_COLOUR, "p95")]
    if any(r["target"] is not None for r in rows):
        legend.append(("dash", _TARGET_COLOUR, "contract p95 target"))
    for kind, colour, text in legend:
        if kind == "circle":
            out.append(f'<circle cx="{lx + 5}" cy="11" r="4.5" fill="{colour}" fill-opacity="0.75"/>')
        else:
            dash = ' stroke-dasharray="5 3"' if kind == "dash" else ""
            out.append(f'<line x1="{lx}" y1="11" x2="{lx + 14}" y2="11" stroke="{colour}" stroke-width="2.5"{dash}/>')
        out.append(f'<text x="{lx + 19}" y="15" {font} font-size="12" fill="#1d2330">{text}</text>')
        lx += 19 + 7.2 * len(text) + 22
    if cached:
        out.append(f'<text x="{_LAT_W - _LAT_RIGHT}" y="15" text-anchor="end" {font} font-size="12" '
                   f'fill="#5a6275">{cached} cached sample{"s" if cached != 1 else ""} not plotted</text>')

    # x grid and axis
    grid_top = top
    n_ticks = round(x_end / step)
    for i in range(n_ticks + 1):
        v = i * step
        x = sx(v)
        out.append(f'<line x1="{x:.1f}" y1="{grid_top}" x2="{x:.1f}" y2="{axis_y}" stroke="#eef0f4"/>')
        out.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 5}" stroke="#1d2330"/>')
        out.append(f'<text x="{x:.1f}" y="{axis_y + 18}" text-anchor="middle" {font} font-size="11" '
                   f'fill="#1d2330">{_tick_label(v)}</text>')
    out.append(f'<line x1="{_LAT_LEFT}" y1="{axis_y}" x2="{_LAT_LEFT + plot_w}" y2="{axis_y}" '
               f'stroke="#1d2330" stroke-width="1.2"/>')
    out.append(f'<text x="{_LAT_LEFT + plot_w / 2}" y="{axis_y + 34}" text-anchor="middle" {font} '
               f'font-size="12" fill="#1d2330">latency (ms)</text>')

    for bi, r in enumerate(rows):
        band_top = top + bi * (band_h + _LAT_BAND_GAP)
        dots_top = band_top + label_h
        centre = dots_top + _LAT_DOTS_H / 2
        if bi:
            sep = band_top - _LAT_BAND_GAP / 2
            out.append(f'<line x1="{_LAT_LEFT}" y1="{sep}" x2="{_LAT_LEFT + plot_w}" y2="{sep}" '
                       f'stroke="#d5dae3" stroke-dasharray="2 3"/>')
        out.append(f'<text x="{_LAT_LEFT - 10}" y="{centre + 4:.1f}" text-anchor="end" {font} font-size="13" '
                   f'font-weight="700" fill="#1d2330">{r["label"]}</text>')
        n = len(r["points"])
        out.append(f'<text x="{_LAT_LEFT - 10}" y="{centre + 18:.1f}" text-anchor="end" {font} font-size="10" '
                   f'fill="#5a6275">n={n}</text>')
        if not r["points"]:
            out.append(f'<text x="{_LAT_LEFT + 8}" y="{centre + 4:.1f}" {font} font-size="12" fill="#5a6275">'
                       f'no {r["label"]} measured</text>')
            continue
        out.append(f'<g class="dots" data-clock="{r["label"]}">')
        for v, s, fx_name in r["points"]:
            idx = s.get("index")
            seed_key = _num(idx) if _num(idx) is not None else 0
            jitter = ((int(seed_key) * 37 + len(fx_name) * 11) % 13 - 6) * (_LAT_DOTS_H - 12) / 13
            colour = _PASS_COLOUR if s.get("passed") is True else _FAIL_COLOUR
            tip = f"{fx_name} #{idx} (seed {s.get('seed')}): {r['label']} {_fmt_ms(v)}"
            out.append(f'<circle cx="{sx(v):.1f}" cy="{centre + jitter:.1f}" r="4.5" fill="{colour}" '
                       f'fill-opacity="0.7" stroke="#fff" stroke-width="0.8"><title>{_esc(tip)}</title></circle>')
        out.append("</g>")
        # percentile and target markers; label rows: 0 = p50, 1 = p95, 2 = target
        markers = [("p50", r["p50"], _P50_COLOUR, 0, ""), ("p95", r["p95"], _P95_COLOUR, 1, ""),
                   ("target p95 ≤", r["target"], _TARGET_COLOUR, 2, ' stroke-dasharray="5 3"')]
        for name, v, colour, row, dash in markers:
            if v is None:
                continue
            x = sx(v)
            ly = band_top + (row + 1) * _LAT_LABEL_ROW_H - 3
            text = f"{name} {_fmt_ms(v)}"
            width = 6.6 * len(text)
            # p50 sits left of its line, p95 right of it, so their labels never cross;
            # flip to the other side when the label would leave the plot.
            # The target's label goes on the side away from the p95 line, so that line
            # does not cut through it.
            left = name == "p50" or (row == 2 and r["p95"] is not None and v <= r["p95"])
            fits_left = x - 4 - width >= _LAT_LEFT
            fits_right = x + 4 + width <= _LAT_LEFT + plot_w
            if (left and fits_left) or not fits_right:
                anchor, tx = "end", x - 4
            else:
                anchor, tx = "start", x + 4
            cls = "p" + name[1:3] if name.startswith("p") else "target"
            out.append(f'<line class="marker {cls}" x1="{x:.1f}" y1="{ly - 10}" x2="{x:.1f}" '
                       f'y2="{dots_top + _LAT_DOTS_H}" stroke="{colour}" stroke-width="2"{dash}/>')
            out.append(f'<text class="marker-label" x="{tx:.1f}" y="{ly}" text-anchor="{anchor}" {font} '
                       f'font-size="11" font-weight="600" fill="{colour}" {halo}>{_esc(text)}</text>')
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- structure histogram

_ST_W = 1000
_ST_LABEL_W = 380
_ST_ROW_H = 24
_ST_COUNT_W = 120


def _structures(prompt: dict) -> dict[str, int]:
    structures = _dict(_dict(prompt.get("metrics")).get("structures"))
    counts = {str(k): int(v) for k, v in structures.items() if _num(v) is not None}
    if counts:
        return counts
    return dict(Counter(str(s.get("structure")) for _, s in _all_samples(prompt) if s.get("structure") is not None))


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _structure_svg(prompt: dict) -> str:
    """Horizontal bars, one per distinct output-structure signature, with its count and
    share; the modal structure (every one tied for the highest count) is highlighted.
    Labels are truncated; the full signature is the bar's tooltip."""
    counts = _structures(prompt)
    font = 'font-family="system-ui,DejaVu Sans,sans-serif"'
    mono = 'font-family="ui-monospace,DejaVu Sans Mono,Menlo,Consolas,monospace"'
    if not counts:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" class="structure-histogram" viewBox="0 0 {_ST_W} 50" '
                f'width="{_ST_W}" height="50" role="img" aria-label="output structures (no data)">'
                f'<text x="{_ST_W / 2}" y="30" text-anchor="middle" {font} font-size="14" fill="#5a6275">'
                f'No output structures recorded.</text></svg>')
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    hidden = items[_MAX_STRUCT_BARS:]
    items = items[:_MAX_STRUCT_BARS]
    total = sum(counts.values())
    top_count = items[0][1]
    rows = len(items) + (1 if hidden else 0)
    top = 8
    height = top + rows * _ST_ROW_H + 40
    bar_x = _ST_LABEL_W + 10
    bar_w = _ST_W - bar_x - _ST_COUNT_W
    step = _nice_step(top_count, 5) if top_count > 5 else 1
    x_end = max(math.ceil(top_count / step) * step, 1)

    def sx(v: float) -> float:
        return bar_x + bar_w * v / x_end

    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="structure-histogram" viewBox="0 0 {_ST_W} {height}" '
           f'width="{_ST_W}" height="{height}" role="img" aria-label="output structure histogram">')]
    axis_y = top + rows * _ST_ROW_H + 2
    for i in range(round(x_end / step) + 1):
        v = i * step
        out.append(f'<line x1="{sx(v):.1f}" y1="{top}" x2="{sx(v):.1f}" y2="{axis_y}" stroke="#eef0f4"/>')
        out.append(f'<text x="{sx(v):.1f}" y="{axis_y + 15}" text-anchor="middle" {font} font-size="11" '
                   f'fill="#1d2330">{_fmt_svg_num(v)}</text>')
    out.append(f'<line x1="{bar_x}" y1="{axis_y}" x2="{bar_x + bar_w}" y2="{axis_y}" stroke="#1d2330"/>')
    out.append(f'<line x1="{bar_x}" y1="{top}" x2="{bar_x}" y2="{axis_y}" stroke="#1d2330"/>')
    out.append(f'<text x="{bar_x + bar_w / 2}" y="{axis_y + 30}" text-anchor="middle" {font} font-size="12" '
               f'fill="#1d2330">samples</text>')
    for i, (sig, count) in enumerate(items):
        y = top + i * _ST_ROW_H
        modal = count == top_count
        colour = _MODAL_COLOUR if modal else _BAR_COLOUR
        label = _truncate(sig, _STRUCT_LABEL_CHARS)
        share = count / total if total else 0.0
        cls = "bar modal" if modal else "bar"
        weight = ' font-weight="700"' if modal else ""
        out.append(f'<g class="{cls}" data-modal="{"true" if modal else "false"}"><title>{_esc(sig)}: '
                   f'{count} of {total}{" (modal)" if modal else ""}</title>')
        out.append(f'<text x="{_ST_LABEL_W}" y="{y + 16}" text-anchor="end" {mono} font-size="11.5" '
                   f'fill="#1d2330"{weight}>{_esc(label)}</text>')
        out.append(f'<rect x="{bar_x}" y="{y + 4}" width="{max(sx(count) - bar_x, 1.5):.1f}" '
                   f'height="{_ST_ROW_H - 8}" fill="{colour}" rx="2"/>')
        tag = " modal" if modal else ""
        out.append(f'<text x="{sx(count) + 6:.1f}" y="{y + 16}" {font} font-size="11.5" fill="#1d2330"'
                   f'{weight}>{count} ({share * 100:.0f}%){tag}</text></g>')
    if hidden:
        y = top + len(items) * _ST_ROW_H
        rest = sum(c for _, c in hidden)
        out.append(f'<text x="{_ST_LABEL_W}" y="{y + 16}" text-anchor="end" {font} font-size="11.5" '
                   f'fill="#5a6275">… {len(hidden)} more structures ({rest} samples)</text>')
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- tables


def _metric_rows(prompt: dict) -> list[tuple[str, str, str | None, object]]:
    """(label, metric key path, threshold text, threshold check) rows of the metrics table."""
    th = _dict(prompt.get("thresholds"))
    lat = _dict(prompt.get("latency"))
    return [
        ("samples", "samples", None, None),
        ("pass rate", "pass_rate", f"≥ {_fmt_pct(th.get('pass_rate'))}" if _num(th.get("pass_rate")) is not None
         else None, ("min", _num(th.get("pass_rate")))),
        ("pass^N (every sample passed)", "pass_all", None, None),
        ("distinct structures", "distinct_structures", None, None),
        ("modal share", "modal_share", f"≥ {_fmt_pct(th.get('modal_share'))}"
         if _num(th.get("modal_share")) is not None else None, ("min", _num(th.get("modal_share")))),
        ("field agreement", "field_agreement", f"≥ {_fmt_pct(th.get('field_agreement'))}"
         if _num(th.get("field_agreement")) is not None else None, ("min", _num(th.get("field_agreement")))),
        ("TTFT p50", "ttft_ms.p50", None, None),
        ("TTFT p95", "ttft_ms.p95", f"≤ {_fmt_ms(lat.get('ttft_ms_p95'))}" if _num(lat.get("ttft_ms_p95")) is not None
         else None, ("max", _num(lat.get("ttft_ms_p95")))),
        ("TTFT p99", "ttft_ms.p99", None, None),
        ("TTLT p50", "ttlt_ms.p50", None, None),
        ("TTLT p95", "ttlt_ms.p95", f"≤ {_fmt_ms(lat.get('ttlt_ms_p95'))}" if _num(lat.get("ttlt_ms_p95")) is not None
         else None, ("max", _num(lat.get("ttlt_ms_p95")))),
        ("TTLT p99", "ttlt_ms.p99", None, None),
        ("tokens in (mean / total)", "tokens_in", None, None),
        ("tokens out (mean / total)", "tokens_out", None, None),
        ("cost per 1,000 requests", "cost", None, None),
    ]


def _metric_cell(metrics: dict, key: str, check: object) -> str:
    cls = "num"
    if key == "samples":
        passed, n = metrics.get("passed"), metrics.get("samples")
        text = f"{_fmt_int(n)}" + (f" ({_fmt_int(passed)} passed)" if _num(passed) is not None else "")
    elif key == "pass_all":
        v = metrics.get("pass_all")
        text = "yes" if v is True else "no" if v is False else "—"
        cls += " good" if v is True else " bad" if v is False else ""
    elif key == "distinct_structures":
        v = metrics.get("distinct_structures")
        if _num(v) is None and isinstance(metrics.get("structures"), dict):
            v = len(metrics["structures"])
        text = _fmt_int(v)
    elif key == "cost":
        c = _dict(metrics.get(key))
        total = _num(c.get("per_1000_requests"))
        text = (f"{total:.4f} {c.get('currency', '')}" if total is not None
                else "— (no prices configured)" if not c else "— (input tokens unknown)")
    elif key in ("tokens_in", "tokens_out"):
        t = _dict(metrics.get(key))
        text = f"{_fmt_mean(t.get('mean'))} / {_fmt_int(t.get('total'))}"
    elif "." in key:
        clock, p = key.split(".")
        v = _dict(metrics.get(clock)).get(p)
        text = _fmt_ms(v)
    else:
        v = metrics.get(key)
        text = _fmt_pct(v)
    if "." in key:
        v = _num(_dict(metrics.get(key.split(".")[0])).get(key.split(".")[1]))
    elif key in ("pass_rate", "modal_share", "field_agreement"):
        v = _num(metrics.get(key))
    else:
        v = None
    if isinstance(check, tuple) and check[1] is not None and v is not None:
        ok = v >= check[1] if check[0] == "min" else v <= check[1]
        cls += " good" if ok else " bad"
    return f'<td class="{cls}">{_esc(text)}</td>'


def _metrics_table(prompt: dict) -> str:
    fixtures = [_dict(f) for f in _list(prompt.get("fixtures"))]
    overall = _dict(prompt.get("metrics"))
    head = ['<th>metric</th><th>threshold</th><th>all fixtures</th>']
    head += [f'<th>{_esc(f.get("name"))}</th>' for f in fixtures]
    out = ['<div class="scroll"><table class="metrics"><thead><tr>', "".join(head), "</tr></thead><tbody>"]
    for label, key, threshold, check in _metric_rows(prompt):
        out.append(f"<tr><th>{_esc(label)}</th><td class=\"num muted\">{_esc(threshold or '')}</td>")
        out.append(_metric_cell(overall, key, check))
        for f in fixtures:
            out.append(_metric_cell(_dict(f.get("metrics")), key, check))
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _text_preview(text: object) -> str:
    if text is None:
        return '<span class="muted">—</span>'
    s = str(text)
    extra = len(s) - TEXT_PREVIEW_CHARS
    body = f'<pre class="text">{_esc(s[:TEXT_PREVIEW_CHARS])}</pre>'
    if extra > 0:
        body += f'<div class="more">… {extra:,} more characters</div>'
    return body


def _fixture_details(fx: dict, samples_per_fixture: object) -> str:
    metrics = _dict(fx.get("metrics"))
    samples = [s for s in _list(fx.get("samples")) if isinstance(s, dict)]
    n = len(samples)
    passed = sum(1 for s in samples if s.get("passed") is True)
    cached = sum(1 for s in samples if s.get("cached") is True)
    all_pass = metrics.get("pass_all")
    if all_pass is None and samples:
        all_pass = passed == n
    sha = fx.get("rendered_sha256")
    summary = [(f'<summary>{_esc(fx.get("name"))} {_badge(all_pass)} '
               f'<span class="meta">{passed}/{n} passed · {_fmt_int(metrics.get("distinct_structures"))} '
               f'structure(s) · TTLT p95 {_esc(_fmt_ms(_dict(metrics.get("ttlt_ms")).get("p95")))}'
               f'{f" · {cached} cached" if cached else ""}'
               f'{f" · rendered sha256 {_esc(str(sha)[:12])}…" if sha else ""}</span></summary>')]
    rows = [('<div class="scroll"><table class="samples"><thead><tr><th>#</th><th>seed</th><th>result</th>'
            '<th>failures</th><th>finish</th><th>tokens in/out</th><th>cached</th><th>TTFT</th><th>TTLT</th>'
            '<th>structure</th></tr></thead><tbody>')]
    for s in samples:
        failures = [str(x) for x in _list(s.get("failures"))]
        fail_html = ("<ul class=\"violations\">" + "".join(f"<li>{_esc(x)}</li>" for x in failures) + "</ul>"
                     if failures else '<span class="muted">—</span>')
        cached_flag = s.get("cached")
        rows.append(
            "<tr>"
            f'<td class="num">{_esc(s.get("index"))}</td>'
            f'<td class="num">{_esc(s.get("seed"))}</td>'
            f"<td>{_badge(s.get('passed'))}</td>"
            f"<td>{fail_html}</td>"
            f'<td class="mono">{_esc(s.get("finish_reason"))}</td>'
            f'<td class="num">{_fmt_int(s.get("tokens_in"))} / {_fmt_int(s.get("tokens_out"))}</td>'
            f'<td>{"yes" if cached_flag is True else "no" if cached_flag is False else "—"}</td>'
            f'<td class="num">{_esc(_fmt_ms(s.get("ttft_ms")))}</td>'
            f'<td class="num">{_esc(_fmt_ms(s.get("ttlt_ms")))}</td>'
            f'<td class="mono">{_breakable(s.get("structure"))}</td>'
            "</tr>"
            f'<tr class="text"><td></td><td colspan="9">{_text_preview(s.get("text"))}</td></tr>')
    if not samples:
        rows.append('<tr><td colspan="10" class="muted">no samples</td></tr>')
    rows.append("</tbody></table></div>")
    return f'<details class="fixture">{"".join(summary)}{"".join(rows)}</details>'


def _prompt_section(i: int, prompt: dict) -> str:
    violations = [str(v) for v in _list(prompt.get("violations"))]
    lat = _dict(prompt.get("latency"))
    out = [f'<section class="prompt" id="prompt-{i}">',
           f'<div class="head"><h2>{_esc(prompt.get("prompt_id"))}</h2>{_badge(prompt.get("passed"))}</div>',
           (f'<p class="meta">contract <b>{_esc(prompt.get("contract"))}</b> · output format '
           f'<b>{_esc(prompt.get("format"))}</b> · samples per fixture <b>{_esc(prompt.get("samples_per_fixture"))}'
           f'</b> · fixtures <b>{len(_list(prompt.get("fixtures")))}</b></p>')]
    sampling = _dict(prompt.get("sampling"))
    if sampling:
        out.append(f'<p class="meta">sampling <b>{_esc(sampling.get("sampling_mode"))}</b> · temperature '
                   f'<b>{_esc(sampling.get("temperature"))}</b> · top_p <b>{_esc(sampling.get("top_p"))}</b> · '
                   f'max_tokens <b>{_esc(sampling.get("max_tokens"))}</b> · seeds <b>{_esc(sampling.get("seed_policy"))}'
                   f'</b> · cached samples <b>{_esc(prompt.get("cached_samples", 0))}</b></p>')
    if prompt.get("gate") == "default":
        out.append('<p class="meta">The contract sets no thresholds: default gate, every sample must pass its '
                   'output contract.</p>')
    for ne in _list(prompt.get("not_evaluated")):
        out.append(f'<p class="meta">Not evaluated: {_esc(ne)}</p>')
    if lat:
        parts = []
        if _num(lat.get("ttft_ms_p95")) is not None:
            parts.append(f"TTFT p95 ≤ {_fmt_ms(lat.get('ttft_ms_p95'))}")
        if _num(lat.get("ttlt_ms_p95")) is not None:
            parts.append(f"TTLT p95 ≤ {_fmt_ms(lat.get('ttlt_ms_p95'))}")
        if parts:
            out.append(f'<p class="meta">latency targets <b>{_esc(", ".join(parts))}</b>'
                       f'{" · fallback on a miss: " + _esc(lat.get("fallback")) if lat.get("fallback") else ""}</p>')
    if violations:
        out.append('<ul class="violations">' + "".join(f"<li>{_esc(v)}</li>" for v in violations) + "</ul>")
    elif prompt.get("passed") is True and _list(prompt.get("not_evaluated")):
        out.append('<p class="meta">Every threshold met; the latency targets above were not evaluated.</p>')
    elif prompt.get("passed") is True:
        out.append('<p class="meta">Every threshold and latency target met.</p>')
    if prompt.get("fallback"):
        out.append(f'<div class="fallback"><b>Fallback advice:</b> {_esc(prompt.get("fallback"))}</div>')
    out.append("<h3>Metrics</h3>")
    out.append(_metrics_table(prompt))
    out.append("<h3>Latency distribution</h3>")
    out.append(f'<div class="plot">{_latency_svg(prompt)}</div>')
    out.append("<h3>Output structures</h3>")
    out.append(f'<div class="plot">{_structure_svg(prompt)}</div>')
    out.append("<h3>Samples by fixture</h3>")
    fixtures = [_dict(f) for f in _list(prompt.get("fixtures"))]
    if not fixtures:
        out.append('<p class="muted">no fixtures</p>')
    for fx in fixtures:
        out.append(_fixture_details(fx, prompt.get("samples_per_fixture")))
    out.append("</section>")
    return "".join(out)


def _summary_table(prompts: list[dict]) -> str:
    out = [('<div class="scroll"><table class="summary"><thead><tr><th>prompt</th><th>result</th>'
           '<th>pass rate</th><th>pass^N</th><th>structures</th><th>modal share</th><th>TTFT p95</th>'
           '<th>TTLT p95</th></tr></thead><tbody>')]
    for i, p in enumerate(prompts):
        m = _dict(p.get("metrics"))
        pass_all = m.get("pass_all")
        out.append(
            f'<tr><td><a href="#prompt-{i}">{_esc(p.get("prompt_id"))}</a></td><td>{_badge(p.get("passed"))}</td>'
            f'<td class="num">{_fmt_pct(m.get("pass_rate"))}</td>'
            f'<td class="num">{"yes" if pass_all is True else "no" if pass_all is False else "—"}</td>'
            f'<td class="num">{_fmt_int(m.get("distinct_structures"))}</td>'
            f'<td class="num">{_fmt_pct(m.get("modal_share"))}</td>'
            f'<td class="num">{_esc(_fmt_ms(_dict(m.get("ttft_ms")).get("p95")))}</td>'
            f'<td class="num">{_esc(_fmt_ms(_dict(m.get("ttlt_ms")).get("p95")))}</td></tr>')
    out.append("</tbody></table></div>")
    return "".join(out)


# --------------------------------------------------------------------------- entry point


def render_html(report: dict) -> str:
    """The complete HTML document for a ``promptlint variance`` report dict.

    Pure: reads ``report`` (shape in the module docstring; missing optional keys
    are shown as "—"), returns a UTF-8-ready ``str`` with inline CSS and inline SVG
    only (no script, no external resource). Per prompt: a header (id, contract,
    format, pass/fail, violations, fallback advice), a metrics table (overall and
    per fixture, with thresholds), a latency distribution plot (TTFT and TTLT in ms,
    p50/p95 marked; cached samples not plotted), an output-structure histogram
    (modal structure highlighted) and one collapsible ``<details>`` per fixture
    listing its samples.
    """
    report = _dict(report)
    prompts = [_dict(p) for p in _list(report.get("prompts"))]
    title = f"promptlint variance — {len(prompts)} prompt{'s' if len(prompts) != 1 else ''}"
    meta = []
    for key, label in (("backend", "backend"), ("model", "model"), ("created", "created"),
                       ("version", "promptlint")):
        if report.get(key) is not None:
            meta.append(f"{label} <b>{_esc(report.get(key))}</b>")
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No network: forbid every external load, and any script, even if a future edit adds one.
        ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">"),
        f"<title>{_esc(title)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f'<div class="head"><h1>promptlint variance report</h1>{_badge(report.get("passed"))}</div>',
        f'<p class="meta">{" · ".join(meta)}</p>' if meta else "",
    ]
    if prompts:
        body.append(_summary_table(prompts))
    else:
        body.append('<p class="muted">No prompts in this report.</p>')
    for i, p in enumerate(prompts):
        body.append(_prompt_section(i, p))
    body.append("</main></body></html>\n")
    return "\n".join(body)
