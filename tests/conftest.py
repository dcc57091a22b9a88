"""Shared test helpers: where the sample cases live, and in-process lint helpers.

Two sets of labelled cases:

- ``CASES`` (``tests/cases``): the project's own cases, always present in a clone;
- ``SHARED_CASES``: an optional, larger set kept outside the repository
  (``$PROMPTLINT_CASES``, else ``../shared/cases`` beside the checkout). Tests that
  need it use the ``shared_cases_dir`` fixture or the ``shared_cases`` marker and are
  skipped, with the reason shown by ``pytest -ra``, when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "cases"
SHARED_CASES = Path(os.environ.get("PROMPTLINT_CASES") or REPO.parent / "shared" / "cases")
SHARED_SKIP_REASON = f"shared sample cases not found at {SHARED_CASES} (set PROMPTLINT_CASES to use them)"


def shared_cases_present() -> bool:
    return (SHARED_CASES / "expected.yaml").is_file()


def pytest_configure(config) -> None:  # noqa: ANN001
    # Built settings are cached per user (promptlint.config.settings_cache_dir): the tests keep theirs in a folder
    # of their own, so a test run neither reads nor leaves entries in the user's cache.
    if "PROMPTLINT_SETTINGS_CACHE" not in os.environ:
        import tempfile

        os.environ["PROMPTLINT_SETTINGS_CACHE"] = tempfile.mkdtemp(prefix="promptlint-settings-")
    config.addinivalue_line("markers", "shared_cases: needs the shared sample cases (skipped when they are absent)")
    config.addinivalue_line("markers", "default_rules: lint tmp_path with promptlint's default selection, not the "
                                       "contract opt-in (see contract_opt_in)")


#: What a project that adopts the prompt contract writes in its promptlint.toml: the contract-completeness
#: rules (PL001-PL007, not in the default selection) on, judging every prompt.
CONTRACT_OPT_IN = 'extend-select = ["PL00", "PL101"]\nstructure-rules = "all"\n'


@pytest.fixture(autouse=True)
def contract_opt_in(request) -> None:  # noqa: ANN001
    """Most tests drive the machinery (baseline, suppression, fixes, the doors) with sloppy one-line prompts and
    expect their contract findings, which are opt-in: this puts that project's opt-in ``promptlint.toml``
    (:data:`CONTRACT_OPT_IN`) at the root of the test's ``tmp_path``, where config discovery finds it for every
    file below. Tests of the default selection itself are marked ``default_rules`` and get no file."""
    if request.node.get_closest_marker("default_rules") is not None or "tmp_path" not in request.fixturenames:
        return
    cfg = request.getfixturevalue("tmp_path") / "promptlint.toml"
    if not cfg.exists():
        cfg.write_text(CONTRACT_OPT_IN, "utf-8")


def pytest_runtest_setup(item) -> None:  # noqa: ANN001
    if item.get_closest_marker("shared_cases") is not None and not shared_cases_present():
        pytest.skip(SHARED_SKIP_REASON)


@pytest.fixture
def cases_dir(monkeypatch) -> Path:  # noqa: ANN001
    """The project's own sample cases, as the working directory."""
    assert CASES.is_dir(), f"the project's own cases are missing: {CASES}"
    monkeypatch.chdir(CASES)
    return CASES


@pytest.fixture
def shared_cases_dir(monkeypatch) -> Path:  # noqa: ANN001
    """The shared sample cases, as the working directory; skips the test when they are absent."""
    if not shared_cases_present():
        pytest.skip(SHARED_SKIP_REASON)
    monkeypatch.chdir(SHARED_CASES)
    return SHARED_CASES


def lint(path: str, text: str | None = None, *, defaults: bool = False, **select):  # noqa: ANN201
    """Lint one file (or ``text`` as if it were that file) with the settings found for it plus the contract
    opt-in (:data:`CONTRACT_OPT_IN`: PL00x selected, judging every prompt); ``defaults=True`` leaves the
    selection as found; ``select`` holds ``load_settings`` overrides."""
    from promptlint.config import load_settings
    from promptlint.engine import lint_file, lint_text
    from promptlint.extract import kind_for_path

    if not defaults:
        select.setdefault("structure_rules", "all")
        if "select" not in select:
            select.setdefault("extend_select", ["PL00", "PL101"])
    settings = load_settings([path] if text is None else None, **select)
    if text is None:
        return lint_file(path, kind_for_path(path), settings)
    return lint_text(path, text, settings)


TEST_BACKENDS = Path(__file__).resolve().parent / "backends"


@pytest.fixture
def backend_env(tmp_path, monkeypatch) -> dict:  # noqa: ANN001
    """An environment whose child processes can import the test backends in
    ``tests/backends`` (``--backend crashing:SegfaultBackend``, ``fixed:FixedBackend``)
    and keep promptlint's cache folder inside ``tmp_path``; returned as a dict."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TEST_BACKENDS), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("PROMPTLINT_CACHE_DIR", str(tmp_path / "cache"))
    return dict(os.environ)
