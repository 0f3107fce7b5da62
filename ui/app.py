"""The Gradio app: chat with cited answers, a sources panel, a document viewer and index management.

Layout: a status bar (index size, rebuild progress, watch events), then two tabs. "Ask": the conversation on
the left, the sources of the latest answer on the right (each citation's passage with the cited sentences
highlighted, and a button that opens the whole document scrolled to it). "Documents": the indexed documents,
upload, delete and "Rebuild index". A named endpoint ``/ask`` returns ``Answer.to_json()`` for scripts.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Iterator, Sequence

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from kb.config import SEARCH_MODES  # noqa: E402
from kb.conversation import contextualize  # noqa: E402
from kb.errors import KBError  # noqa: E402
from kb.types import Answer  # noqa: E402
from ui.render import (  # noqa: E402
    Span,
    answer_markdown,
    document_html,
    esc,
    md_text,
    note_markdown,
    sources_html,
    status_html,
)
from ui.security import guard_middleware  # noqa: E402
from ui.service import KBService  # noqa: E402
from ui.style import CSS  # noqa: E402
from ui.uploads import ALLOWED_SUFFIXES  # noqa: E402

DEFAULT_EXAMPLES = (
    "Who verified the letter?",
    "What does FSB stand for?",
    "Who translated the letters?",
    "Where is his organization based?",
)
DOC_HEADERS = ["Title", "File", "Passages", "Date", "Indexed"]
STREAM_STEPS = 14
STREAM_DELAY = 0.025
UPLOAD_CACHE_S = 600  # uploads are copied into the sources folder at once; their temp copies go after this


# Scroll the focused citation into view whenever the viewer's HTML changes.
DOC_VIEW_JS = """
watch('value', () => {
  const mark = element.querySelector('#kb-focus');
  if (!mark) { return; }
  let box = mark.parentElement;
  while (box && box !== document.body && box.scrollHeight <= box.clientHeight + 1) { box = box.parentElement; }
  if (box && box !== document.body) {
    box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
  }
  element.scrollIntoView({block: 'nearest', behavior: 'smooth'});
});
"""
# Clicks on "Open full document" in a citation card become a `select` event carrying the citation number.
SOURCES_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.kb-open');
  if (button) { trigger('select', {cite: button.dataset.cite}); }
});
"""


def theme() -> gr.themes.Base:
    # System fonts only: the app works offline, so nothing is fetched from a font CDN.
    return gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        font=["Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def friendly(exc: BaseException) -> str:
    if isinstance(exc, KBError):
        text = str(exc)
        return text[:1].upper() + text[1:]
    traceback.print_exception(exc, file=sys.stderr)
    return f"Something went wrong ({type(exc).__name__}). Nothing was changed; please try again."


def build_app(service: KBService, examples: Sequence[str] = DEFAULT_EXAMPLES) -> gr.Blocks:
    settings = service.kb.settings

    def status_now() -> str:
        text, kind, fraction = service.status()
        return status_html(text, kind, fraction)

    def docs_now() -> tuple[Any, Any]:
        rows = service.documents()
        choices = [r[1] for r in rows]
        return rows, gr.update(choices=choices, value=None)

    # -- asking -----------------------------------------------------------------------------------
    def respond(question: str, chat: list, turns: list, k: float, mode: str, show_scores: bool) -> Iterator[tuple]:
        chat = list(chat or [])
        turns = list(turns or [])
        q = " ".join((question or "").split())
        if not q:
            chat.append({"role": "assistant", "content": note_markdown(
                "Type a question first, for example “Who verified the letter?”", "✍️")})
            yield chat, gr.skip(), turns, gr.skip(), "", gr.skip()
            return
        chat.append({"role": "user", "content": md_text(q)})
        chat.append({"role": "assistant", "content": note_markdown("Searching your documents…", "🔎")})
        yield chat, gr.skip(), turns, gr.skip(), "", gr.skip()
        query = contextualize(q, turns)
        answer: Answer | None = None
        streamed = False
        try:
            for update in service.ask_stream(query, k=int(k), mode=mode):
                if isinstance(update, Answer):
                    answer = update
                elif update:
                    streamed = True
                    chat[-1] = {"role": "assistant", "content": answer_markdown(update) + " ▍"}
                    yield chat, gr.skip(), turns, gr.skip(), "", gr.skip()
            if answer is None:
                raise RuntimeError("no answer was produced")
        except Exception as exc:  # shown in the chat, never as a traceback
            chat[-1] = {"role": "assistant", "content": note_markdown(friendly(exc), "⚠️")}
            yield chat, gr.skip(), turns, gr.skip(), "", gr.skip()
            return
        words = answer.answer.split(" ")
        step = max(1, len(words) // STREAM_STEPS)
        for end in range(step, 0 if streamed else len(words), step):  # the answer appears as it is composed
            chat[-1] = {"role": "assistant", "content": answer_markdown(" ".join(words[:end]), answer.abstained) + " ▍"}
            yield chat, gr.skip(), turns, gr.skip(), "", gr.skip()
            time.sleep(STREAM_DELAY)
        content = answer_markdown(answer.answer, answer.abstained, answer.citations)
        if query != q:
            content += f'\n\n<div class="kb-query">searched for: {esc(query)}</div>'
        chat[-1] = {"role": "assistant", "content": content}
        turns.append([q, "" if answer.abstained else answer.answer])
        yield chat, sources_html(answer, show_scores), turns, answer, "", ""

    def rerender_sources(answer: Answer | None, show_scores: bool) -> str:
        return sources_html(answer, show_scores)

    def open_document(answer: Answer | None, evt: gr.EventData) -> str:
        data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
        try:
            n = int(data.get("cite"))
        except (TypeError, ValueError):
            return gr.skip()
        if answer is None:
            return ""
        cited = next((c for c in answer.citations if c.n == n), None)
        if cited is None:
            return ""
        try:
            text = service.kb.document_text(cited.source)
        except KBError as exc:
            text, error = None, friendly(exc)
        else:
            error = "This document is no longer in the index."
        if text is None:
            return f'<div class="kb-empty">{esc(error)}</div>'
        spans = [Span(c.start, c.end, c.n) for c in answer.citations if c.source == cited.source]
        return document_html(cited.title, cited.source, text, spans, focus=n)

    def new_conversation() -> tuple:
        return [], [], None, sources_html(None), ""

    def api_ask(question: str) -> dict:
        """Answer one question from the documents: the JSON of `kb ask --json`."""
        try:
            return service.ask(question).to_json()
        except KBError as exc:
            raise gr.Error(str(exc)) from None

    # -- index management -------------------------------------------------------------------------
    def run_rebuild(full: bool, progress: gr.Progress, reason: str) -> str:
        progress(0.0, desc="starting")
        try:
            report = service.rebuild(full=full, reason=reason,
                                     on_progress=lambda f, m: progress(min(max(f, 0.0), 1.0), desc=m))
        except Exception as exc:
            return f"⚠️ {md_text(friendly(exc))}"
        lines = [f"✅ **Index updated** ({md_text(reason)}): {md_text(report.summary())}"]
        for name, items in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
            if items:
                lines.append(f"- {name}: {md_text(', '.join(items))}")
        for failure in report.errors:
            lines.append(f"- ⚠️ skipped {md_text(failure.source)}: {md_text(failure.error)}")
        return "\n".join(lines)

    def on_rebuild(full: bool, progress: gr.Progress = gr.Progress()) -> tuple:
        message = run_rebuild(bool(full), progress, "full rebuild" if full else "rebuild")
        return (message, *docs_now(), status_now())

    def on_upload(files: list | None, progress: gr.Progress = gr.Progress()) -> tuple:
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        saved, errors = service.save_uploads([(p, Path(p).name) for p in paths])
        lines = [f"⚠️ {md_text(e)}" for e in errors]
        if saved:
            lines.insert(0, f"📄 Saved {md_text(', '.join(saved))} to the sources folder.")
            lines.append(run_rebuild(False, progress, f"uploaded {', '.join(saved)}"))
        return ("\n\n".join(lines) or "Nothing uploaded.", *docs_now(), status_now(), None)

    def on_delete(source: str | None, progress: gr.Progress = gr.Progress()) -> tuple:
        if not source:
            return ("Choose a document to delete first.", gr.skip(), gr.skip(), status_now())
        try:
            moved = service.delete(source)
        except Exception as exc:
            return (f"⚠️ {md_text(friendly(exc))}", gr.skip(), gr.skip(), status_now())
        note = (f"🗑️ Deleted {md_text(source)} (moved to {md_text(str(moved.relative_to(service.sources.resolve())))}, "
                "move it back to restore).")
        return (note + "\n\n" + run_rebuild(False, progress, f"deleted {source}"), *docs_now(), status_now())

    def tick(seen: int) -> tuple:
        builds = service.state.builds
        if builds == seen:
            return status_now(), gr.skip(), gr.skip(), seen
        if service.state.reason.startswith("watch"):
            gr.Info(f"Index updated: {service.state.reason}")
        return (status_now(), *docs_now(), builds)

    # -- layout -----------------------------------------------------------------------------------
    with gr.Blocks(title="kb · ask your documents", analytics_enabled=False) as demo:
        turns = gr.State([])
        last_answer = gr.State(None)
        seen_builds = gr.State(0)
        with gr.Row(elem_id="kb-header", equal_height=True):
            gr.HTML('<div class="kb-brand"><span class="kb-logo">kb</span><div><div class="kb-name">'
                    'Ask your documents</div><div class="kb-tagline">Answers quoted from your files, every '
                    'sentence cited. Runs offline.</div></div></div>', scale=3)
            status = gr.HTML(status_now(), elem_id="kb-status", scale=2)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=380):
                        chat = gr.Chatbot(
                            elem_id="kb-chat", show_label=False, height=480, latex_delimiters=[],
                            group_consecutive_messages=False, feedback_options=None, buttons=["copy"],
                            placeholder="<div class='kb-placeholder'><b>Ask anything about your documents.</b>"
                                        "<br>Answers quote the documents and cite them [1]; follow-up "
                                        "questions understand “he”, “its”, “they”.</div>",
                        )
                        with gr.Row(elem_id="kb-ask-row", equal_height=True):
                            box = gr.Textbox(placeholder="Ask a question…", show_label=False, scale=6,
                                             elem_id="kb-question", autofocus=True, max_lines=4)
                            send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="kb-ask")
                        with gr.Row(elem_id="kb-examples"):
                            example_buttons = [
                                gr.Button(q, size="sm", variant="secondary", elem_classes=["kb-example"])
                                for q in examples
                            ]
                        with gr.Row():
                            with gr.Accordion("Settings", open=False, elem_id="kb-settings"):
                                with gr.Row():
                                    k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages to read")
                                    mode = gr.Radio(list(SEARCH_MODES), value=settings.mode, label="Retrieval")
                                    show_scores = gr.Checkbox(True, label="Show scores")
                        clear = gr.Button("New conversation", size="sm", variant="secondary", elem_id="kb-clear")
                    with gr.Column(scale=2, min_width=320):
                        gr.HTML('<div class="kb-panel-title">Sources</div>')
                        sources = gr.HTML(sources_html(None), elem_id="kb-sources", js_on_load=SOURCES_JS,
                                          max_height=560)
                        doc_view = gr.HTML("", elem_id="kb-docview", js_on_load=DOC_VIEW_JS, max_height=420)
            with gr.Tab("Documents", id="documents"):
                docs_table = gr.Dataframe(
                    value=service.documents(), headers=DOC_HEADERS, interactive=False, wrap=True,
                    elem_id="kb-docs", max_height=360, datatype=["str", "str", "number", "str", "str"],
                )
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        upload = gr.File(
                            label=f"Add documents ({', '.join(ALLOWED_SUFFIXES)}; up to {settings.max_file_mb:g} MB)",
                            file_count="multiple", file_types=list(ALLOWED_SUFFIXES), type="filepath",
                            elem_id="kb-upload", height=150,
                        )
                    with gr.Column(scale=2):
                        to_delete = gr.Dropdown(choices=service.sources_list(), value=None, label="Document",
                                                elem_id="kb-delete-choice", interactive=True)
                        delete_btn = gr.Button("Delete document", variant="stop", elem_id="kb-delete")
                        with gr.Row():
                            full = gr.Checkbox(False, label="Full rebuild", elem_id="kb-full", scale=1)
                            rebuild_btn = gr.Button("Rebuild index", variant="primary", elem_id="kb-rebuild",
                                                    scale=2)
                build_out = gr.Markdown("", elem_id="kb-build-summary")
        timer = gr.Timer(2.0)

        # -- events -------------------------------------------------------------------------------
        ask_inputs = [box, chat, turns, k, mode, show_scores]
        ask_outputs = [chat, sources, turns, last_answer, box, doc_view]
        common: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": 4, "concurrency_id": "ask"}
        send.click(respond, ask_inputs, ask_outputs, show_progress="hidden", **common)
        box.submit(respond, ask_inputs, ask_outputs, show_progress="hidden", **common)
        for button in example_buttons:
            button.click(lambda q: q, button, box, api_visibility="private", queue=False).then(
                respond, ask_inputs, ask_outputs, show_progress="hidden", **common)
        show_scores.change(rerender_sources, [last_answer, show_scores], sources, api_visibility="private")
        sources.select(open_document, [last_answer], doc_view, api_visibility="private")
        clear.click(new_conversation, None, [chat, turns, last_answer, sources, doc_view], api_visibility="private")
        gr.api(api_ask, api_name="ask", concurrency_limit=4, concurrency_id="api")

        build_kw: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": 1, "concurrency_id": "build"}
        rebuild_btn.click(on_rebuild, [full], [build_out, docs_table, to_delete, status], **build_kw)
        upload.upload(on_upload, [upload], [build_out, docs_table, to_delete, status, upload], **build_kw)
        delete_btn.click(on_delete, [to_delete], [build_out, docs_table, to_delete, status], **build_kw)
        timer.tick(tick, [seen_builds], [status, docs_table, to_delete, seen_builds], show_progress="hidden",
                   api_visibility="private", queue=False)
        demo.load(lambda: (status_now(), *docs_now()), None, [status, docs_table, to_delete],
                  api_visibility="private")
    return demo


def launch(service: KBService, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           auth: tuple[str, str] | list[tuple[str, str]] | None = None, examples: Sequence[str] = DEFAULT_EXAMPLES,
           prevent_thread_lock: bool = False, quiet: bool = False) -> gr.Blocks:
    """Start the server; binds to localhost unless ``host`` says otherwise, never shares unless asked.

    Every request passes ui.security's guard first (Host names, cross-site writes, body sizes, upload types,
    login attempts); uploaded temp files older than UPLOAD_CACHE_S are deleted, and all of them at shutdown.
    """
    demo = build_app(service, examples)
    demo.queue(default_concurrency_limit=4)
    demo.delete_cache = (UPLOAD_CACHE_S, UPLOAD_CACHE_S)  # read by launch(); the layout need not know
    demo.launch(
        server_name=host, server_port=port, share=share, auth=auth, prevent_thread_lock=prevent_thread_lock,
        max_file_size=service.max_bytes, theme=theme(), css=CSS, show_error=True, ssr_mode=False, quiet=quiet,
        auth_message="This knowledge base is protected: sign in with a user and password from `kb serve --auth-file`.",
        app_kwargs={"middleware": [guard_middleware(service.kb.settings, host, share)]},
        num_workers=0,  # static-file workers would serve uploads on other ports, outside the guard
    )
    return demo


__all__ = ["build_app", "launch", "theme", "DEFAULT_EXAMPLES", "CSS"]
