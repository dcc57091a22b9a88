"""The README's Neovim snippet in a real Neovim (headless): it registers the
prompt file types, starts ``promptlint server`` and attaches it, and the
buffer gets promptlint's diagnostics. Runs with whatever ``nvim`` is on PATH
(Debian ships 0.7, which has ``vim.lsp.start_client`` but not ``vim.lsp.start``);
skipped when there is none (``.ci/run`` installs Debian's package)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NVIM = shutil.which("nvim")

pytestmark = pytest.mark.skipif(NVIM is None, reason="no nvim on PATH (apt-get install neovim)")

PROBE = """
local target, result = os.getenv("PROBE_FILE"), os.getenv("PROBE_RESULT")
vim.api.nvim_create_autocmd("VimEnter", { nested = true, callback = function()
  vim.cmd("edit " .. vim.fn.fnameescape(target))
  local ok = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 100)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(out, { lnum = d.lnum, col = d.col, message = d.message, source = d.source or "" })
  end
  local clients = {}
  for _, c in pairs(vim.lsp.buf_get_clients(0)) do table.insert(clients, c.name) end
  vim.fn.writefile({ vim.fn.json_encode({ ok = ok, filetype = vim.bo.filetype, clients = clients,
                                          diagnostics = out }) }, result)
  vim.cmd("qa!")
end })
"""


def readme_snippet() -> str:
    """The Lua block that follows the README's "Neovim" heading."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("**Neovim**")
    return re.search(r"```lua\n(.*?)```", text[start:], re.S).group(1)


def _run(tmp_path: Path, name: str, content: str) -> dict:
    target = tmp_path / name
    target.write_text(content)
    init = tmp_path / "init.lua"
    init.write_text(readme_snippet() + "\n" + PROBE)
    result = tmp_path / "result.json"
    env = {**os.environ, "PROBE_FILE": str(target), "PROBE_RESULT": str(result),
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
           "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    subprocess.run([NVIM, "--headless", "-n", "-i", "NONE", "-u", str(init)], cwd=tmp_path, env=env,
                   capture_output=True, timeout=90)
    assert result.is_file(), "Neovim wrote no result"
    return json.loads(result.read_text())


def test_prompt_file_gets_diagnostics(tmp_path) -> None:  # noqa: ANN001
    got = _run(tmp_path, "summary.prompt", "Summarize the article.\n\n{{article}}\n")
    assert got["filetype"] == "prompt"
    assert got["clients"] == ["promptlint"]
    assert got["ok"] is True
    messages = " ".join(d["message"] for d in got["diagnostics"])
    assert "output" in messages.lower()  # missing-output-contract, at least


def test_python_prompt_gets_diagnostics(tmp_path) -> None:  # noqa: ANN001
    got = _run(tmp_path, "app.py", 'SYSTEM_PROMPT = "Summarize the ticket {ticket} in one line."\n')
    assert got["filetype"] == "python" and got["clients"] == ["promptlint"] and got["ok"] is True
    assert all(d["lnum"] == 0 for d in got["diagnostics"])


def test_cursorrules_is_registered(tmp_path) -> None:  # noqa: ANN001
    got = _run(tmp_path, ".cursorrules", "Always answer in French.\n")
    assert got["filetype"] == "markdown" and got["clients"] == ["promptlint"]
