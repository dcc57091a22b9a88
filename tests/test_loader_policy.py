"""Which llama.cpp buffer types the loader allows: the CPU policy, its
overrides, and that the real loader applies it (the default model on this CPU)."""

from __future__ import annotations

import pytest

from promptlint.backends import BackendError
from promptlint.backends import loader
from promptlint.backends.loader import EXTRA_BUFFERS_ENV, extra_buffer_types_policy


@pytest.fixture
def amx_cpu(monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.delenv(EXTRA_BUFFERS_ENV, raising=False)
    monkeypatch.setattr(loader, "cpu_flags", lambda: frozenset({"avx2", "amx_tile", "amx_int8"}))
    monkeypatch.setattr(loader, "build_has_amx", lambda: True)


def test_amx_cpu_with_amx_build_turns_extra_buffers_off(amx_cpu) -> None:  # noqa: ANN001
    on, why = extra_buffer_types_policy(None)
    assert on is False and "amx_int8, amx_tile" in why and "#20824" in why


def test_amx_cpu_without_amx_kernels_keeps_repacking(amx_cpu, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(loader, "build_has_amx", lambda: False)
    assert extra_buffer_types_policy(None)[0] is True


def test_other_cpus_keep_extra_buffers(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv(EXTRA_BUFFERS_ENV, raising=False)
    monkeypatch.setattr(loader, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert extra_buffer_types_policy(None) == (True, "on: no CPU feature known to crash")


def test_config_and_environment_override(amx_cpu, monkeypatch) -> None:  # noqa: ANN001
    assert extra_buffer_types_policy(True) == (True, "set by model.extra_buffer_types")
    monkeypatch.setenv(EXTRA_BUFFERS_ENV, "0")
    assert extra_buffer_types_policy(True) == (False, f"set by {EXTRA_BUFFERS_ENV}")
    monkeypatch.setenv(EXTRA_BUFFERS_ENV, "on")
    assert extra_buffer_types_policy(None)[0] is True
    monkeypatch.setenv(EXTRA_BUFFERS_ENV, "maybe")
    with pytest.raises(BackendError, match="is not a boolean"):
        extra_buffer_types_policy(None)


def test_cpu_flags_reads_proc_cpuinfo() -> None:
    flags = loader.cpu_flags()
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        assert flags == frozenset()
        return
    assert ("fpu" in flags) == (" fpu " in text or " fpu\n" in text)


def test_real_load_follows_the_policy(monkeypatch) -> None:  # noqa: ANN001
    pytest.importorskip("llama_cpp")
    from promptlint.backends.llama import LlamaBackend

    monkeypatch.delenv(EXTRA_BUFFERS_ENV, raising=False)
    try:
        backend = LlamaBackend(n_ctx=256)
    except BackendError as exc:
        pytest.skip(str(exc))
    expected, _ = extra_buffer_types_policy(None)
    assert backend.model.extra_buffer_types is expected
    gen = backend.generate("The sky is", max_tokens=3, temperature=0.0)
    assert gen.tokens_out >= 1 and gen.finish_reason in ("stop", "length")
