"""Language server over stdio (pygls + lsprotocol).

* Diagnostics on open and save (at once) and on change (debounced per document:
  a newer edit cancels the lint still waiting; a lint whose document changed
  while it ran is dropped), cleared on close. Positions go through pygls'
  position codec, so clients get the encoding they negotiated (UTF-16 unless
  they ask otherwise).
* Unsaved buffers of every kind the CLI lints; the workspace's
  ``[tool.promptlint]`` config (found from the document's folder) and
  suppression comments apply.
* Code actions: the finding's fix (stored in the diagnostic's ``data``, so no
  second lint run), "Disable CODE for this line" (the suppression comment the
  file kind takes), ``source.fixAll`` (safe fixes), and "Rewrite prompt with
  local model" (command ``promptlint.rewrite``: runs in the background with
  work-done progress, can be cancelled, applies a workspace edit).
* Hover: on a placeholder, where it is declared and used; on a finding, the
  rule's docs.

Initialization options: ``debounce_ms`` (default 150), ``rewrite``:
``{backend, model, base_url, max_attempts, n_ctx}``.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from pathlib import Path

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer
from pygls.workspace.position_codec import ServerTextPosition

from .. import __version__
from ..config import Settings, load_settings
from ..engine import FileResult, fix_text, lint_document
from ..suppress import ignore_comment
from ..errors import UsageError
from ..extract import kind_for_path
from ..model import Finding

SOURCE = "promptlint"
REWRITE_COMMAND = "promptlint.rewrite"
_SEVERITY = {"error": t.DiagnosticSeverity.Error, "warning": t.DiagnosticSeverity.Warning,
             "info": t.DiagnosticSeverity.Information}
_LANGUAGE_SUFFIX = {"python": ".py", "markdown": ".md", "jinja": ".j2", "jinja2": ".j2", "yaml": ".yaml",
                    "json": ".json", "prompty": ".prompty", "plaintext": ".txt"}


class Cancelled(Exception):
    """A background rewrite was cancelled by the client."""


class PromptlintServer(LanguageServer):
    """pygls server holding per-document state: pending lints, last results."""

    def __init__(self) -> None:
        super().__init__("promptlint", __version__, text_document_sync_kind=t.TextDocumentSyncKind.Incremental)
        self.debounce_s = 0.15
        self.rewrite_options: dict = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.results: dict[str, tuple[int | None, FileResult]] = {}
        self.cancel_tokens: dict[str, threading.Event] = {}
        self._settings: dict[str, Settings] = {}
        self._backends: dict[tuple, object] = {}
        self._backends_lock = threading.Lock()

    # -- helpers -----------------------------------------------------------
    def backend_for(self, settings: Settings):  # noqa: ANN201 - a promptlint.backends.Backend
        """The rewrite backend for the initialization options and ``settings.model``,
        built once and kept: the llama backend's child process keeps the model
        loaded between rewrites, and after a crash it starts a fresh child on
        the next call. Raises :class:`~promptlint.backends.BackendError`."""
        from ..backends import make_backend

        opts = self.rewrite_options
        key = (opts.get("backend"), opts.get("model"), opts.get("base_url"), opts.get("n_ctx"),
               settings.model.model_dump_json())
        with self._backends_lock:
            if key not in self._backends:
                self._backends[key] = make_backend(opts.get("backend"), model=opts.get("model"),
                                                   base_url=opts.get("base_url"), n_ctx=opts.get("n_ctx"),
                                                   config=settings.model)
            return self._backends[key]

    def doc_path(self, uri: str) -> str:
        """The path findings and ids use: relative to the workspace root when inside it."""
        doc = self.workspace.get_text_document(uri)
        path = doc.path if uri.startswith("file:") else None
        if not path:
            suffix = _LANGUAGE_SUFFIX.get(doc.language_id or "", ".txt")
            return "untitled" + suffix
        root = self.workspace.root_path
        if root:
            try:
                return str(Path(path).resolve().relative_to(Path(root).resolve()))
            except ValueError:
                pass
        return path

    def settings_for(self, uri: str) -> Settings:
        """Settings from the config nearest to the document (cached per folder)."""
        doc = self.workspace.get_text_document(uri)
        folder = str(Path(doc.path).parent) if uri.startswith("file:") and doc.path else (self.workspace.root_path or ".")
        if folder not in self._settings:
            self._settings[folder] = load_settings([folder])
        return self._settings[folder]

    def lint_document(self, uri: str) -> tuple[int | None, FileResult, list[t.Diagnostic]]:
        """Lint the current buffer of ``uri``; returns its version, result and diagnostics."""
        doc = self.workspace.get_text_document(uri)
        version, source = doc.version, doc.source
        path = self.doc_path(uri)
        try:
            settings = self.settings_for(uri)
        except UsageError as exc:
            self.window_show_message(t.ShowMessageParams(t.MessageType.Error, f"promptlint: {exc}"))
            return version, FileResult(path), []
        location = doc.path if uri.startswith("file:") else None
        result = lint_document(path, source, settings, kind_for_path(path), location=location)
        if result is None:  # excluded by the config, a .gitignore or the prompt-file rules, as in `check`
            return version, FileResult(path), []
        if result.error:
            self.window_show_message(t.ShowMessageParams(t.MessageType.Error,
                                                         f"promptlint internal error on {path}: {result.error}"))
        lines = source.splitlines(True) or [""]
        diags = [self.to_diagnostic(f, doc, lines) for f in result.findings if not f.suppressed]
        return version, result, diags

    def client_range(self, doc, lines, start_line: int, start_col: int, end_line: int, end_col: int) -> t.Range:  # noqa: ANN001
        """1-based code-point positions → an LSP range in the client's units."""
        codec = doc.position_codec
        s = codec.position_to_client_units(lines, ServerTextPosition(start_line - 1, start_col - 1))
        e = codec.position_to_client_units(lines, ServerTextPosition(end_line - 1, end_col - 1))
        return t.Range(s, e)

    def to_diagnostic(self, f: Finding, doc, lines) -> t.Diagnostic:  # noqa: ANN001
        """A finding as an LSP diagnostic; its fix travels in ``data``."""
        rng = self.client_range(doc, lines, f.span.start.line, f.span.start.column, f.span.end.line, f.span.end.column)
        data = {"code": f.code, "name": f.name, "prompt_id": f.prompt_id, "fix": None}
        if f.fix is not None and f.fix.edits:
            data["fix"] = {
                "applicability": f.fix.applicability,
                "message": f.fix.message,
                "edits": [{"range": _range_json(self.client_range(doc, lines, e.span.start.line, e.span.start.column,
                                                                  e.span.end.line, e.span.end.column)),
                           "newText": e.content} for e in f.fix.edits],
            }
        return t.Diagnostic(range=rng, message=f"{f.message} [{f.name}]", severity=_SEVERITY[f.severity],
                            code=f.code, source=SOURCE, code_description=t.CodeDescription(href=f.url), data=data)

    def publish(self, uri: str) -> None:
        """Lint ``uri`` now and publish, unless the buffer changed meanwhile."""
        version, result, diags = self.lint_document(uri)
        current = self.workspace.get_text_document(uri).version
        if current != version:
            return
        self.results[uri] = (version, result)
        self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version))

    def schedule(self, uri: str, delay: float) -> None:
        """(Re)start the debounce timer of ``uri``; an older pending lint is cancelled."""
        old = self.pending.pop(uri, None)
        if old is not None and not old.done():
            old.cancel()

        async def run() -> None:
            try:
                if delay:
                    await asyncio.sleep(delay)
                self.publish(uri)
            except asyncio.CancelledError:
                pass
            finally:
                if self.pending.get(uri) is task:
                    self.pending.pop(uri, None)

        task = asyncio.get_running_loop().create_task(run())
        self.pending[uri] = task


def _range_json(r: t.Range) -> dict:
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def _range_from_json(d: dict) -> t.Range:
    return t.Range(t.Position(d["start"]["line"], d["start"]["character"]),
                   t.Position(d["end"]["line"], d["end"]["character"]))


server = PromptlintServer()


@server.feature(t.INITIALIZE)
def on_initialize(ls: PromptlintServer, params: t.InitializeParams) -> None:
    """Read initialization options (``debounce_ms``, ``rewrite``)."""
    opts = params.initialization_options or {}
    if isinstance(opts, dict):
        ls.debounce_s = float(opts.get("debounce_ms", 150)) / 1000
        ls.rewrite_options = dict(opts.get("rewrite") or {})


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: PromptlintServer, params: t.DidOpenTextDocumentParams) -> None:
    """Lint a newly opened document at once."""
    ls.schedule(params.text_document.uri, 0)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: PromptlintServer, params: t.DidChangeTextDocumentParams) -> None:
    """Lint after the debounce delay; a newer change restarts the delay."""
    ls.schedule(params.text_document.uri, ls.debounce_s)


@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: PromptlintServer, params: t.DidSaveTextDocumentParams) -> None:
    """Lint on save at once (config files may have changed: drop cached settings)."""
    ls._settings.clear()
    ls.schedule(params.text_document.uri, 0)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PromptlintServer, params: t.DidCloseTextDocumentParams) -> None:
    """Cancel pending work and clear the document's diagnostics."""
    uri = params.text_document.uri
    task = ls.pending.pop(uri, None)
    if task is not None:
        task.cancel()
    ls.results.pop(uri, None)
    ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _suppression_edit(ls: PromptlintServer, uri: str, diag: t.Diagnostic) -> t.TextEdit | None:
    """The edit that suppresses ``diag``'s rule on its line, in the file kind's comment syntax."""
    doc = ls.workspace.get_text_document(uri)
    path = ls.doc_path(uri)
    kind = kind_for_path(path)
    code = str(diag.code)
    lines = doc.source.splitlines(True) or [""]
    line = diag.range.start.line
    _, result = ls.results.get(uri, (None, None))
    prompt_id = (diag.data or {}).get("prompt_id") if isinstance(diag.data, dict) else None
    if result is None:
        return None
    if not result.comment_styles:
        # No comment syntax counts in this file: plain prompt files suppress through front matter.
        return _front_matter_edit(doc.source, code) if kind in ("text", "prompty") else None
    if kind == "python":
        summary = next((p for p in result.prompts if p["id"] == prompt_id), None)
        if summary and summary.get("statement_line"):
            line = summary["statement_line"] - 1
    text = lines[line] if line < len(lines) else ""
    indent = text[: len(text) - len(text.lstrip())] if result.comment_styles[0] == "hash" else ""
    comment = f"{indent}{ignore_comment(result.comment_styles[0], code)}\n"
    return t.TextEdit(t.Range(t.Position(line, 0), t.Position(line, 0)), comment)


def _front_matter_edit(source: str, code: str) -> t.TextEdit:
    """Suppress ``code`` for a whole plain-text prompt file through its front matter."""
    import yaml

    from ..extract.text import split_front_matter

    front, body_off, problem, raw = split_front_matter(source)
    data = dict(front or {})
    entry = dict(data.get("promptlint") or {})
    codes = list(entry.get("ignore") or [])
    if code not in codes:
        codes.append(code)
    entry["ignore"] = codes
    data["promptlint"] = entry
    block = "---\n" + yaml.safe_dump(data, sort_keys=False) + "---\n"
    end_line = source[:body_off].count("\n") if front is not None else 0
    return t.TextEdit(t.Range(t.Position(0, 0), t.Position(end_line, 0)), block)


@server.feature(t.TEXT_DOCUMENT_CODE_ACTION, t.CodeActionOptions(
    code_action_kinds=[t.CodeActionKind.QuickFix, t.CodeActionKind.SourceFixAll, t.CodeActionKind.RefactorRewrite]))
def code_actions(ls: PromptlintServer, params: t.CodeActionParams) -> list[t.CodeAction]:
    """Quick-fixes from diagnostic data, line suppressions, fix-all and rewrite."""
    uri = params.text_document.uri
    actions: list[t.CodeAction] = []
    only = params.context.only or []
    want_fix_all = not only or any(str(k).startswith("source") for k in only)
    rewrite_ids: list[str] = []
    for diag in params.context.diagnostics:
        if diag.source != SOURCE or not isinstance(diag.data, dict):
            continue
        fix = diag.data.get("fix")
        if fix and fix["applicability"] in ("safe", "unsafe"):
            edits = [t.TextEdit(_range_from_json(e["range"]), e["newText"]) for e in fix["edits"]]
            title = fix["message"] or f"Fix {diag.code}"
            if fix["applicability"] == "unsafe":
                title += " (unsafe)"
            actions.append(t.CodeAction(title=f"{title} [{diag.data['name']}]", kind=t.CodeActionKind.QuickFix,
                                        diagnostics=[diag], edit=t.WorkspaceEdit(changes={uri: edits}),
                                        is_preferred=fix["applicability"] == "safe"))
        sup = _suppression_edit(ls, uri, diag)
        if sup is not None:
            actions.append(t.CodeAction(title=f"Disable {diag.code} for this line", kind=t.CodeActionKind.QuickFix,
                                        diagnostics=[diag], edit=t.WorkspaceEdit(changes={uri: [sup]})))
        pid = diag.data.get("prompt_id")
        rule = ls.settings_for(uri).ruleset.by_key(diag.data.get("name", ""))
        if pid and pid not in rewrite_ids and rule is not None and rule.restructures:
            rewrite_ids.append(pid)
    for pid in rewrite_ids:
        actions.append(t.CodeAction(title="Rewrite prompt with local model", kind=t.CodeActionKind.RefactorRewrite,
                                    command=t.Command(title="Rewrite prompt with local model", command=REWRITE_COMMAND,
                                                      arguments=[uri, pid])))
    if want_fix_all:
        doc = ls.workspace.get_text_document(uri)
        path = ls.doc_path(uri)
        _, last = ls.results.get(uri, (None, None))
        try:
            outcome = fix_text(path, doc.source, kind_for_path(path), ls.settings_for(uri),
                               first=last if last is not None and ls.results[uri][0] == doc.version else None)
            applied, new = outcome.applied, outcome.text
        except UsageError:
            applied, new = 0, doc.source
        if applied and new != doc.source:
            lines = doc.source.splitlines(True) or [""]
            end = doc.position_codec.position_to_client_units(lines, ServerTextPosition(len(lines), 0))
            edit = t.TextEdit(t.Range(t.Position(0, 0), end), new)
            actions.append(t.CodeAction(title="promptlint: fix all safe fixes", kind=t.CodeActionKind.SourceFixAll,
                                        edit=t.WorkspaceEdit(changes={uri: [edit]})))
    return actions


@server.command(REWRITE_COMMAND)
async def rewrite_command(ls: PromptlintServer, uri: str, prompt_id: str) -> dict:
    """Rewrite one prompt in the background with work-done progress; apply the edit.

    Returns ``{"applied": bool, "source": "model"|"fallback"|None, "message": str}``.
    """
    token = str(uuid.uuid4())
    await ls.work_done_progress.create_async(token)
    cancel = threading.Event()
    ls.cancel_tokens[token] = cancel
    opts = ls.rewrite_options
    max_attempts = int(opts.get("max_attempts", 3))
    ls.work_done_progress.begin(token, t.WorkDoneProgressBegin(title="promptlint: rewriting prompt",
                                                               message=prompt_id, cancellable=True, percentage=0))
    doc = ls.workspace.get_text_document(uri)
    source, version = doc.source, doc.version
    path = ls.doc_path(uri)
    loop = asyncio.get_running_loop()

    def progress(n: int, attempt) -> None:  # noqa: ANN001
        status = "passed" if not attempt.failures else "rejected: " + "; ".join(attempt.failures[:2])
        loop.call_soon_threadsafe(ls.work_done_progress.report, token, t.WorkDoneProgressReport(
            message=f"attempt {n}/{max_attempts} {status}", percentage=min(99, int(100 * n / (max_attempts + 1)))))

    def work():  # noqa: ANN202
        from ..rewrite import rewrite_prompt, select_prompts

        settings = ls.settings_for(uri)
        kind = kind_for_path(path)
        (prompt,) = select_prompts(path, source, kind, settings, prompt_id)
        backend = ls.backend_for(settings)
        guarded = _CancellableBackend(backend, cancel)
        return rewrite_prompt(prompt, path, source, kind, settings, guarded, max_attempts=max_attempts,
                              on_attempt=progress)

    try:
        result = await asyncio.to_thread(work)
    except Cancelled:
        ls.work_done_progress.end(token, t.WorkDoneProgressEnd(message="cancelled"))
        return {"applied": False, "source": None, "message": "cancelled"}
    except Exception as exc:  # noqa: BLE001 - reported to the user, never swallowed
        ls.work_done_progress.end(token, t.WorkDoneProgressEnd(message=f"failed: {exc}"))
        ls.window_show_message(t.ShowMessageParams(t.MessageType.Error, f"promptlint rewrite failed: {exc}"))
        return {"applied": False, "source": None, "message": str(exc)}
    finally:
        ls.cancel_tokens.pop(token, None)
    if ls.workspace.get_text_document(uri).version != version:
        ls.work_done_progress.end(token, t.WorkDoneProgressEnd(message="document changed; not applied"))
        return {"applied": False, "source": result.source, "message": "document changed during the rewrite"}
    lines = source.splitlines(True) or [""]
    end = doc.position_codec.position_to_client_units(lines, ServerTextPosition(len(lines), 0))
    edit = t.WorkspaceEdit(changes={uri: [t.TextEdit(t.Range(t.Position(0, 0), end), result.file_after)]})
    response = await ls.workspace_apply_edit_async(t.ApplyWorkspaceEditParams(edit=edit, label="promptlint rewrite"))
    how = "model" if result.source == "model" else "deterministic fallback"
    ls.work_done_progress.end(token, t.WorkDoneProgressEnd(message=f"done ({how})"))
    return {"applied": bool(response.applied), "source": result.source, "message": "; ".join(result.changes)}


class _CancellableBackend:
    """Wraps a backend so a cancelled rewrite stops at the next streamed token."""

    def __init__(self, inner, cancel: threading.Event) -> None:  # noqa: ANN001
        self.inner, self.cancel = inner, cancel
        self.name, self.model_id = inner.name, inner.model_id

    def generate(self, prompt: str, **kwargs):  # noqa: ANN003, ANN201
        if self.cancel.is_set():
            raise Cancelled()

        def on_token(piece: str) -> None:
            if self.cancel.is_set():
                raise Cancelled()

        kwargs["on_token"] = on_token
        return self.inner.generate(prompt, **kwargs)


@server.feature(t.WINDOW_WORK_DONE_PROGRESS_CANCEL)
def cancel_progress(ls: PromptlintServer, params: t.WorkDoneProgressCancelParams) -> None:
    """The client cancelled a rewrite."""
    event = ls.cancel_tokens.get(str(params.token))
    if event is not None:
        event.set()


@server.feature(t.TEXT_DOCUMENT_HOVER)
def hover(ls: PromptlintServer, params: t.HoverParams) -> t.Hover | None:
    """Placeholder declarations and uses, or the docs of the rule under the cursor."""
    from ..analysis import analyse
    from ..extract import extract
    from ..model import LineIndex, Position

    uri = params.text_document.uri
    doc = ls.workspace.get_text_document(uri)
    source = doc.source
    pos = doc.position_codec.position_from_client_units(source.splitlines(True) or [""], params.position)
    index = LineIndex(source)
    try:
        offset = index.offset(Position(pos.line + 1, pos.character + 1))
    except IndexError:
        return None
    path = ls.doc_path(uri)
    settings = ls.settings_for(uri)
    for prompt in extract(path, source, kind_for_path(path), settings).prompts:
        a = analyse(prompt, settings.vocabulary)
        for p in a.placeholders:
            s, e = a.source_map.file_start(p.start), a.source_map.file_end(p.end)
            if s <= offset < e:
                uses = sorted({index.position(a.source_map.file_start(q.start)).line for q in a.placeholders
                               if q.name == p.name})
                decl = [d for d in (prompt.declarations or []) if d.name == p.name]
                where = (f"declared at line {decl[0].span.start.line}" if decl else
                         "not declared" if prompt.declarations is not None else "no declaration list for this template")
                text = (f"**Placeholder `{p.name}`** in `{prompt.id}` ({prompt.syntax})\n\n"
                        f"- {where}\n- used at line{'s' if len(uses) > 1 else ''} {', '.join(map(str, uses))}")
                return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text))
    _, result = ls.results.get(uri, (None, None))
    line, col = pos.line + 1, pos.character + 1
    for f in (result.findings if result else []):
        if (f.span.start.line, f.span.start.column) <= (line, col) < (f.span.end.line, f.span.end.column) or (
                f.span.start.line == line and f.span.start == f.span.end):
            rule = settings.ruleset.by_key(f.code)
            if rule is None:
                continue
            text = (f"**{rule.name}** ({rule.code}, {rule.severity})\n\n{' '.join(rule.docs['why'].split())}\n\n"
                    f"Bad:\n```\n{rule.docs['bad'].rstrip()}\n```\nGood:\n```\n{rule.docs['good'].rstrip()}\n```\n\n"
                    f"[Docs]({rule.url})")
            return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text))
    return None


def main() -> None:
    """Run the server on stdio."""
    server.start_io()
