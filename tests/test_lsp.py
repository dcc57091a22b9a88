"""The language server end to end: a subprocess driven by pytest-lsp's real LSP client."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import CONTRACT_OPT_IN, CASES

pytest.importorskip("pygls")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "promptlint", "server"]))
async def client(lsp_client: LanguageClient, tmp_path_factory):  # noqa: ANN001
    root = tmp_path_factory.mktemp("ws")
    (root / "promptlint.toml").write_text(CONTRACT_OPT_IN)
    lsp_client.root = root
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(window=t.WindowClientCapabilities(work_done_progress=True)),
        root_uri=root.as_uri(), initialization_options={"debounce_ms": 50, "rewrite": {"max_attempts": 1,
                                                                                        "n_ctx": 2048}}))
    yield
    await lsp_client.shutdown_session()


async def _open(client: LanguageClient, path: Path, language: str) -> str:
    uri = path.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id=language, version=1, text=path.read_text())))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return uri


def _by_name(client: LanguageClient, uri: str, name: str) -> list[t.Diagnostic]:
    return [d for d in client.diagnostics.get(uri, []) if d.data["name"] == name]


@pytest.mark.asyncio
async def test_python_diagnostics_ranges(client: LanguageClient) -> None:
    path = client.root / "forecast_openai.py"
    shutil.copy(CASES / "forecast_openai.py", path)
    uri = await _open(client, path, "python")
    stops = {d.data["prompt_id"]: d for d in _by_name(client, uri, "missing-stop-condition")}
    assert set(stops) == {"forecast_openai.py::SYSTEM_PROMPT", "forecast_openai.py::call@34"}
    # SYSTEM_PROMPT's text starts on line 5 (0-based 4), right after `SYSTEM_PROMPT = """`.
    stop = stops["forecast_openai.py::SYSTEM_PROMPT"]
    assert stop.range.start == t.Position(4, 19) and stop.source == "promptlint" and stop.code == "PL005"
    # The unnamed `instructions="..."` literal: line 34, just inside its opening quote.
    assert stops["forecast_openai.py::call@34"].range.start == t.Position(33, 22)


@pytest.mark.asyncio
async def test_markdown_prompt_change_updates_diagnostics(client: LanguageClient) -> None:
    path = client.root / "prompts" / "summary.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text("# Task\nSummarise the article.\n")
    uri = await _open(client, path, "markdown")
    assert _by_name(client, uri, "missing-output-contract")
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(t.Position(2, 0), t.Position(2, 0)), text="\n# Output format\nThree bullet points.\n")]))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert not _by_name(client, uri, "missing-output-contract")
    assert _by_name(client, uri, "missing-stop-condition")


@pytest.mark.asyncio
async def test_utf16_columns_after_emoji(client: LanguageClient) -> None:
    path = client.root / "emoji.py"
    path.write_text('REPLY_PROMPT = "😀😀 Classify the review. Output: respond in JSON."\n')
    uri = await _open(client, path, "python")
    (vague,) = _by_name(client, uri, "vague-output-contract")
    text = path.read_text()
    utf16_col = len(text[:text.index("JSON")].encode("utf-16-le")) // 2
    assert vague.range.start == t.Position(0, utf16_col)
    assert utf16_col == text.index("JSON") + 2  # each emoji is two UTF-16 code units


@pytest.mark.asyncio
async def test_unescaped_brace_quick_fix_and_disable(client: LanguageClient) -> None:
    path = client.root / "parsing_templates.py"
    shutil.copy(CASES / "parsing_templates.py", path)
    uri = await _open(client, path, "python")
    (brace,) = _by_name(client, uri, "unescaped-brace")
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=brace.range,
        context=t.CodeActionContext(diagnostics=[brace])))
    titles = [a.title for a in actions]
    fix = next(a for a in actions if a.title.startswith("Double the braces"))
    disable = next(a for a in actions if a.title == "Disable PL201 for this line")
    assert fix.is_preferred and len(fix.edit.changes[uri]) == 2, titles
    # Apply the quick-fix as an editor would and see the finding go.
    text = path.read_text()
    lines = text.splitlines(True)
    for edit in sorted(fix.edit.changes[uri], key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        ln, ch = edit.range.start.line, edit.range.start.character
        lines[ln] = lines[ln][:ch] + edit.new_text + lines[ln][ch:]
    fixed = "".join(lines)
    assert '{{"name": "Dana Reyes", "phone": "+1 555 0100", "company": "Northwind"}}' in fixed
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=fixed)]))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert not _by_name(client, uri, "unescaped-brace")
    # "Disable for this line" on the original text: the comment goes above CONTACT_CARD_TMPL's
    # assignment (line 12, 0-based 11) and silences it.
    (edit,) = disable.edit.changes[uri]
    assert edit.new_text == "# promptlint: ignore[PL201]\n" and edit.range.start == t.Position(11, 0)
    lines = text.splitlines(True)
    lines.insert(11, edit.new_text)
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text="".join(lines))]))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert not _by_name(client, uri, "unescaped-brace")
    assert not _by_name(client, uri, "unused-suppression")


@pytest.mark.asyncio
async def test_fix_all_and_hover(client: LanguageClient) -> None:
    path = client.root / "review_chains.py"
    shutil.copy(CASES / "review_chains.py", path)
    uri = await _open(client, path, "python")
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=t.Range(t.Position(0, 0), t.Position(0, 0)),
        context=t.CodeActionContext(diagnostics=[], only=[t.CodeActionKind.SourceFixAll])))
    (fix_all,) = [a for a in actions if a.kind == t.CodeActionKind.SourceFixAll]
    assert '{{\\"label\\": \\"positive\\"}}' in fix_all.edit.changes[uri][0].new_text
    # Hover on the `{review_text}` placeholder (line 4) names where it is declared and used.
    line = path.read_text().splitlines()[3]
    hover = await client.text_document_hover_async(t.HoverParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=t.Position(3, line.index("{review_text}") + 2)))
    assert "Placeholder `review_text`" in hover.contents.value and "not declared" in hover.contents.value
    (undeclared,) = _by_name(client, uri, "undeclared-placeholder")
    (unused,) = _by_name(client, uri, "unused-variable")
    hover = await client.text_document_hover_async(t.HoverParams(
        text_document=t.TextDocumentIdentifier(uri=uri), position=unused.range.start))
    assert "**unused-variable** (PL203" in hover.contents.value


@pytest.mark.asyncio
async def test_close_clears_diagnostics(client: LanguageClient) -> None:
    path = client.root / "vague.prompt"
    path.write_text("write something nice\n")
    uri = await _open(client, path, "plaintext")
    assert client.diagnostics[uri]
    client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri=uri)))
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[uri]) == []


@pytest.mark.asyncio
async def test_rewrite_code_action_with_default_model(client: LanguageClient) -> None:
    pytest.importorskip("llama_cpp")
    path = client.root / "prompts" / "library_run_on.txt"  # a .txt prompt lives in a prompt folder (discovery rules)
    path.parent.mkdir(exist_ok=True)
    shutil.copy(CASES / "library_run_on.txt", path)
    uri = await _open(client, path, "plaintext")
    diag = _by_name(client, uri, "sections-not-separated")[0]
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri=uri), range=diag.range,
        context=t.CodeActionContext(diagnostics=[diag])))
    (rewrite,) = [a for a in actions if a.title == "Rewrite prompt with local model"]
    applied: list[t.ApplyWorkspaceEditParams] = []

    @client.feature(t.WORKSPACE_APPLY_EDIT)
    def on_apply(params: t.ApplyWorkspaceEditParams) -> t.ApplyWorkspaceEditResult:
        applied.append(params)
        return t.ApplyWorkspaceEditResult(applied=True)

    # pytest-lsp's converter reads a code action that carries only a command as a (Command | CodeAction)
    # union and picks Command, stringifying the nested command object; recover it.
    command = rewrite.command
    if isinstance(command, str):
        import ast

        command = t.Command(**ast.literal_eval(command))
    assert command.command == "promptlint.rewrite" and command.arguments == [uri, "prompts/library_run_on.txt"]
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command=command.command, arguments=command.arguments))
    assert result["applied"] is True and result["source"] in ("model", "fallback")
    (params,) = applied
    new_text = params.edit.changes[uri][0].new_text
    assert "{catalogue}" in new_text and "{request}" in new_text
    reports = [v for vs in client.progress_reports.values() for v in vs]
    assert isinstance(reports[0], t.WorkDoneProgressBegin) and reports[0].cancellable
    assert isinstance(reports[-1], t.WorkDoneProgressEnd)
    assert any(isinstance(r, t.WorkDoneProgressReport) and "attempt 1/1" in r.message for r in reports)


@pytest.mark.asyncio
async def test_rewrite_can_be_cancelled(client: LanguageClient) -> None:
    pytest.importorskip("llama_cpp")
    import asyncio

    path = client.root / "prompts" / "vague.txt"
    path.parent.mkdir(exist_ok=True)
    shutil.copy(CASES / "vague_request.txt", path)
    uri = await _open(client, path, "plaintext")
    before = set(client.progress_reports)
    task = asyncio.ensure_future(client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="promptlint.rewrite", arguments=[uri, "prompts/vague.txt"])))
    for _ in range(200):
        new = set(client.progress_reports) - before
        if new and client.progress_reports[next(iter(new))]:
            break
        await asyncio.sleep(0.05)
    (token,) = set(client.progress_reports) - before
    client.window_work_done_progress_cancel(t.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(task, 300)
    assert result["applied"] is False and result["message"] == "cancelled"
    assert isinstance(client.progress_reports[token][-1], t.WorkDoneProgressEnd)
    assert client.progress_reports[token][-1].message == "cancelled"
