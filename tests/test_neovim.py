"""The README's Neovim snippet in a real Neovim (headless): it registers the
prompt file types, starts ``promptlint server`` and attaches it, and the
buffer gets promptlint's diagnostics. Runs with whatever ``nvim`` is on PATH
(Debian ships 0.7, which has ``vim.lsp.start_client`` but not ``vim.lsp.start``);
skipped when there is none (``.ci/run`` installs Debian's package).

Beyond attaching: a quick-fix is requested through ``textDocument/codeAction``,
its workspace edit applied and the buffer written, the way a user takes it from
the code-action menu; and a file the workspace's ``extend-exclude`` covers gets
no diagnostics while a file next to it does."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CONTRACT_OPT_IN

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


def _nvim(workspace: Path, probe: str, **probe_env: str) -> dict:
    """Start headless Neovim in ``workspace`` (the snippet's root_dir is the cwd)
    with the README snippet and ``probe`` as init.lua; return what the probe wrote."""
    init = workspace / "init.lua"
    init.write_text(readme_snippet() + "\n" + probe)
    result = workspace / "result.json"
    env = {**os.environ, **probe_env, "PROBE_RESULT": str(result),
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
           "XDG_CONFIG_HOME": str(workspace / "cfg"), "XDG_DATA_HOME": str(workspace / "data"),
           "XDG_STATE_HOME": str(workspace / "state"), "XDG_CACHE_HOME": str(workspace / "cache")}
    subprocess.run([NVIM, "--headless", "-n", "-i", "NONE", "-u", str(init)], cwd=workspace, env=env,
                   capture_output=True, timeout=90, check=False)
    assert result.is_file(), "Neovim wrote no result"
    return json.loads(result.read_text())


def _run(tmp_path: Path, name: str, content: str) -> dict:
    target = tmp_path / name
    target.write_text(content)
    return _nvim(tmp_path, PROBE, PROBE_FILE=str(target))


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


# Shared by the probes below: which diagnostics came from promptlint, each one
# in the shape the LSP sent it, and every publishDiagnostics the client received
# (the default handler still runs; this only keeps a log).
HELPERS = """
local published = {}
local default_publish = vim.lsp.handlers["textDocument/publishDiagnostics"]
vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, res, ctx, config)
  if res then
    local codes = {}
    for _, d in ipairs(res.diagnostics or {}) do table.insert(codes, d.code or "") end
    table.insert(published, { uri = res.uri, codes = codes })
  end
  return default_publish(err, res, ctx, config)
end

local function promptlint_diags(buf)
  return vim.tbl_filter(function(d) return d.source == "promptlint" end, vim.diagnostic.get(buf))
end

-- Neovim 0.8 and newer keep the server's diagnostic whole in user_data.lsp.
-- 0.7 keeps only code, codeDescription, tags, relatedInformation and data there,
-- so range, message, source and severity are put back from the vim.diagnostic
-- entry (its columns are bytes, the same as UTF-16 units on an ASCII line).
local function as_lsp(d)
  local raw = (d.user_data or {}).lsp or {}
  if raw.range then return raw end
  return vim.tbl_extend("keep", {
    range = { start = { line = d.lnum, character = d.col },
              ["end"] = { line = d.end_lnum, character = d.end_col } },
    message = d.message, source = d.source, code = d.code, severity = d.severity,
  }, raw)
end

local function publishes_for(uri, from)
  local out = {}
  for i = (from or 0) + 1, #published do
    if published[i].uri == uri then table.insert(out, published[i].codes) end
  end
  return out
end

local function codes_of(buf)
  local out = {}
  for _, d in ipairs(promptlint_diags(buf)) do table.insert(out, d.code or "") end
  return out
end

local function client_names(buf)
  local out = {}
  for _, c in pairs(vim.lsp.buf_get_clients(buf)) do table.insert(out, c.name) end
  return out
end

local function finish(out)
  vim.fn.writefile({ vim.fn.json_encode(out) }, os.getenv("PROBE_RESULT"))
  vim.cmd("qa!")
end
"""

FIX_PROBE = HELPERS + """
vim.api.nvim_create_autocmd("VimEnter", { nested = true, callback = function()
  local out = { titles = {} }
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("PROBE_FILE")))
  local buf, uri = vim.api.nvim_get_current_buf(), vim.uri_from_bufnr(0)
  local function brace()
    for _, d in ipairs(promptlint_diags(buf)) do if d.code == "PL201" then return d end end
  end
  out.found = vim.wait(20000, function() return brace() ~= nil end, 50)
  local target = brace()
  if not target then return finish(out) end
  out.before = codes_of(buf)
  -- What vim.lsp.buf.code_action() sends: the diagnostics on the line, here the
  -- contract findings on the same prompt as well as the brace.
  local on_line = vim.tbl_map(as_lsp, vim.tbl_filter(function(d) return d.source == "promptlint" end,
                                                     vim.diagnostic.get(buf, { lnum = target.lnum })))
  local params = { textDocument = vim.lsp.util.make_text_document_params(buf), range = as_lsp(target).range,
                   context = { diagnostics = on_line, only = { "quickfix" } } }
  local replies = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 10000) or {}
  local chosen
  for _, reply in pairs(replies) do
    for _, action in ipairs(reply.result or {}) do
      table.insert(out.titles, action.title)
      local about = (action.diagnostics or {})[1]
      if action.kind == "quickfix" and action.edit and about and about.code == "PL201"
         and not action.title:match("^Disable") then
        chosen = action
      end
    end
  end
  if not chosen then return finish(out) end
  out.chosen = chosen.title
  local seen = #published
  vim.lsp.util.apply_workspace_edit(chosen.edit, "utf-16")
  vim.cmd("write")
  out.modified = vim.bo[buf].modified
  out.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  -- A lint pass of the edited text: a publish that arrived after the edit, and
  -- the buffer's diagnostics it left.
  out.relinted = vim.wait(20000, function() return #publishes_for(uri, seen) > 0 end, 50)
  vim.wait(1000, function() return false end, 50) -- the save's publish, after the change's
  out.after_publishes = publishes_for(uri, seen)
  out.after = codes_of(buf)
  finish(out)
end })
"""


def test_quick_fix_applied_in_neovim(tmp_path: Path) -> None:
    """The brace quick-fix, taken through Neovim's code-action request and applied
    as the workspace edit it is, doubles the braces on disk, and the next lint
    pass has no unescaped-brace left; the contract findings stay."""
    app = tmp_path / "app.py"
    app.write_text('RECORD_TMPL = "Read {invoice}. Return JSON like {\\"total\\": 1}."\n'
                   "print(RECORD_TMPL.format(invoice=x))\n")
    got = _nvim(tmp_path, FIX_PROBE, PROBE_FILE=str(app))
    assert got["found"] is True, got
    assert "PL201" in got["before"] and len(got["before"]) > 1, got
    assert "Disable PL201 for this line" in got["titles"], got
    assert got["chosen"] == "Double the braces [unescaped-brace]", got
    assert got["modified"] is False, got
    assert app.read_text() == ('RECORD_TMPL = "Read {invoice}. Return JSON like {{\\"total\\": 1}}."\n'
                               "print(RECORD_TMPL.format(invoice=x))\n")
    assert got["lines"] == app.read_text().splitlines()
    assert got["relinted"] is True, got
    assert all("PL201" not in codes and codes for codes in got["after_publishes"]), got
    assert "PL201" not in got["after"] and got["after"], got
    assert set(got["after"]) <= set(got["before"]), got


EXCLUDE_PROBE = HELPERS + """
vim.api.nvim_create_autocmd("VimEnter", { nested = true, callback = function()
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("PROBE_FILE")))
  local excluded = vim.api.nvim_get_current_buf()
  -- A split, so the first buffer stays loaded and attached (without 'hidden',
  -- 0.7 would unload it on :edit, which closes it and clears its diagnostics).
  vim.cmd("split " .. vim.fn.fnameescape(os.getenv("PROBE_SECOND")))
  local linted = vim.api.nvim_get_current_buf()
  local out = {}
  out.second_ok = vim.wait(20000, function() return #promptlint_diags(linted) > 0 end, 50)
  -- The server takes didOpen in order, so the excluded file's answer is in by
  -- now; a moment more for a late publish to land.
  vim.wait(1000, function() return false end, 50)
  out.loaded = vim.api.nvim_buf_is_loaded(excluded)
  out.filetype = vim.bo[excluded].filetype
  out.clients = client_names(excluded)
  out.second_clients = client_names(linted)
  out.excluded = codes_of(excluded)
  out.excluded_publishes = publishes_for(vim.uri_from_bufnr(excluded))
  out.second = codes_of(linted)
  finish(out)
end })
"""


def test_extend_excluded_file_gets_no_diagnostics(tmp_path: Path) -> None:
    """A prompt under the workspace's ``extend-exclude`` gets no diagnostics in
    Neovim (as with ``check --force-exclude``), while the same prompt outside it,
    opened after it, does; both buffers are attached to the one client."""
    prompt = "Summarize the article.\n\n{{article}}\n"
    (tmp_path / "promptlint.toml").write_text(CONTRACT_OPT_IN + 'extend-exclude = ["vendor/"]\n')
    vendored = tmp_path / "vendor" / "prompts" / "x.prompt"
    vendored.parent.mkdir(parents=True)
    vendored.write_text(prompt)
    own = tmp_path / "prompts" / "summary.prompt"
    own.parent.mkdir()
    own.write_text(prompt)
    got = _nvim(tmp_path, EXCLUDE_PROBE, PROBE_FILE=str(vendored), PROBE_SECOND=str(own))
    assert got["second_ok"] is True and "PL004" in got["second"], got
    assert got["loaded"] is True and got["filetype"] == "prompt", got
    assert got["clients"] == ["promptlint"] and got["second_clients"] == ["promptlint"], got
    assert got["excluded"] == [], got
    assert all(codes == [] for codes in got["excluded_publishes"]), got
