"""The Gradio app: chat with cited answers, a sources panel, a document viewer and index management.

Layout: a status bar (index size, rebuild progress), a notice for re-indexes the server started itself
(``--watch``), then two tabs. "Ask": the conversation, and the sources of the latest answer (each citation's
passage with the cited sentences highlighted; each ``[n]`` in an answer brings its card into view; "Open full
document" shows the whole text in a closable overlay). "Documents": the indexed documents and the files that
failed, upload, delete with confirmation and undo, and "Rebuild index". A named endpoint ``/ask`` returns
``Answer.to_json()`` for scripts.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from kb.config import SEARCH_MODES  # noqa: E402
from kb.query import contextualize, is_follow_up  # noqa: E402
from kb.errors import KBError  # noqa: E402
from kb.knowledge_base import clean_question  # noqa: E402
from kb.types import Answer, BuildReport  # noqa: E402
from ui.render import (  # noqa: E402
    CARET,
    answer_html,
    document_error_html,
    document_html,
    documents_html,
    esc,
    message_html,
    note_html,
    notice_html,
    passage_for,
    question_html,
    sources_html,
    spans_in,
    status_html,
)
from ui.security import guard_middleware  # noqa: E402
from ui.service import KBService  # noqa: E402
from ui.style import CSS  # noqa: E402
from ui.uploads import ALLOWED_SUFFIXES  # noqa: E402

DEFAULT_EXAMPLES = (
    "Who analyzed the letter published by Osechkin?",
    "What does FSB stand for?",
    "Who translated the letters?",
    "Where is his organization based?",
)
STREAM_STEPS = 14
STREAM_DELAY = 0.025
WATCH_PREFIX = "watch:"  # kb serve --watch rebuilds with reason "watch: <changes>"
UPLOAD_CACHE_S = 600  # uploads are copied into the sources folder at once; their temp copies go after this
CONVERSATION_KEEP = 20  # answers the browser keeps for a reload or a server restart (a few KB each)

# The sources panel: "Open full document" buttons, and the [n] links of answers in the chat. A link whose card
# is on show scrolls to it and highlights it at once; a link of an earlier answer asks the server for that
# answer's cards (select {show, answer}), and `watch` scrolls to the focused card when they arrive.
SOURCES_JS = """
const focusCard = (card, keyboard) => {
  element.querySelectorAll('.kb-card-focus').forEach((c) => {
    if (c !== card) { c.classList.remove('kb-card-focus'); }
  });
  card.classList.add('kb-card-focus');
  card.scrollIntoView({block: 'center', behavior: 'smooth'});
  // A link followed from the keyboard takes the focus to its card, so Tab goes on to "Open full document"; a
  // mouse click leaves the focus where it was.
  if (keyboard) { card.setAttribute('tabindex', '-1'); card.focus({preventScroll: true}); }
};
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.kb-open');
  if (button) { trigger('select', {open: Number(button.dataset.cite), answer: Number(button.dataset.answer)}); }
});
if (window.kbCiteClick) { document.removeEventListener('click', window.kbCiteClick, true); }
window.kbCiteClick = (event) => {
  const link = event.target.closest && event.target.closest('#kb-chat a.kb-cite');
  if (!link) { return; }
  const m = /^#kb-card-(\\d+)-(\\d+)$/.exec(link.getAttribute('href') || '');
  if (!m) { return; }
  event.preventDefault();
  event.stopPropagation();
  const card = element.querySelector('#kb-card-' + m[1] + '-' + m[2]);
  const keyboard = event.detail === 0;  // Enter on a link clicks it with no pointer
  if (card) { focusCard(card, keyboard); } else {
    window.kbCardKeyboard = keyboard;
    trigger('select', {show: Number(m[2]), answer: Number(m[1])});
  }
};
document.addEventListener('click', window.kbCiteClick, true);
watch('value', () => {
  const card = element.querySelector('.kb-card-focus');
  if (card) { focusCard(card, window.kbCardKeyboard === true); }
  window.kbCardKeyboard = false;
});
"""
# The document overlay: Close, Esc or a click beside it hide it at once and tell the server (select {close});
# a new document scrolls its focused citation into view.
DOC_VIEW_JS = """
const close = () => {
  const overlay = element.querySelector('.kb-doc-overlay');
  if (overlay && overlay.style.display !== 'none') { overlay.style.display = 'none'; trigger('select', {close: true}); }
};
element.addEventListener('click', (event) => {
  if (event.target.closest('.kb-doc-close') || event.target.classList.contains('kb-doc-overlay')) { close(); }
});
if (window.kbDocKey) { document.removeEventListener('keydown', window.kbDocKey); }
window.kbDocKey = (event) => { if (event.key === 'Escape') { close(); } };
document.addEventListener('keydown', window.kbDocKey);
watch('value', () => {
  const mark = element.querySelector('#kb-focus');
  const box = element.querySelector('.kb-doc-text');
  if (!mark || !box) { return; }
  box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
});
"""
# Row buttons of the documents table -> select {source}: the server asks for confirmation.
DOCS_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.kb-del');
  if (button) { trigger('select', {source: button.dataset.source}); }
});
"""
# The upload widget checks file types itself (against ALLOWED_SUFFIXES) and, on a rejected one, shows its toast
# and stays red with "Error" until cleared. Clear it right away: the toast has said what was wrong.
UPLOAD_RESET_JS = """
new MutationObserver(() => {
  const tracker = document.querySelector('#kb-upload [data-testid="status-tracker"]');
  if (tracker && tracker.querySelector('.error')) {
    const clear = tracker.querySelector('.clear-status button');
    if (clear) { clear.click(); }
  }
}).observe(document.body, {subtree: true, childList: true});
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


def event_data(evt: gr.EventData) -> dict:
    """The payload a js_on_load `trigger(name, data)` sent."""
    data = getattr(evt, "_data", None)
    return data if isinstance(data, dict) else {}


def build_message(report: BuildReport, reason: str, discarded: Sequence[str] = (),
                  only: Sequence[str] | None = None) -> str:
    """The result of a rebuild: what changed under a green check, files that failed apart, never under it. ``only``:
    the files this build was for (an upload's); other files that still fail are listed in the documents table, not
    reported as this upload's."""
    parts = []
    lines = [f"{name}: {', '.join(items)}" for name, items in
             (("added", report.added), ("updated", report.updated), ("removed", report.removed)) if items]
    errors = [f for f in report.errors if only is None or f.source in only]
    if lines:
        parts.append(message_html("ok", f"Index updated ({reason}): {report.summary()}", lines))
    elif not errors:
        parts.append(message_html("ok", f"Index up to date ({reason}): nothing changed",
                                  [f"{len(report.unchanged)} documents, {report.chunks} passages"]))
    if errors:
        failed = [f"{f.source} was not added: {f.error}" if f.source in discarded else f"{f.source}: {f.error}"
                  for f in errors]
        count = len(failed)
        parts.append(message_html("warn", f"{count} file{'s' if count > 1 else ''} could not be indexed", failed))
    return "".join(parts)


def files_named(names: Sequence[str]) -> str:
    """A build's reason names at most three files: it is shown in the status bar, which must stay one line."""
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} files"


def conversation_storage(store: str, index: Path) -> tuple[str, str]:
    """The localStorage key and Gradio's obfuscation key for the conversation kept for this index.

    Per index (its store and folder), so two servers on one address never mix their conversations. Not a secret:
    Gradio sends it to the page. What is kept is what the page already shows, visible to anyone using the same
    browser profile, like its history; "New conversation" erases it.
    """
    digest = hashlib.sha256(f"{store}\n{Path(index).absolute()}".encode("utf-8")).hexdigest()
    return f"kb-conversation-{digest[:12]}", digest[12:44]


def kept_conversation(turns: list, answers: list, user: str | None) -> dict:
    """The last CONVERSATION_KEEP questions and answers as data (never HTML: the page re-renders them), with
    only the passages a citation quotes."""
    kept = []
    for (question, _), answer in list(zip(turns, answers))[-CONVERSATION_KEEP:]:
        data = answer.to_json()
        cited = [passage_for(c, answer.passages) for c in answer.citations]
        data["passages"] = [p.to_json() for p in answer.passages if any(p is q for q in cited)]
        kept.append({"q": question, "answer": data})
    return {"version": 1, "user": user or "", "turns": kept}


def turn(question: str, answer: Answer) -> list[str]:
    """What a follow-up is resolved against (kb.query.contextualize): the question, and the answer unless kb
    abstained."""
    return [question, "" if answer.abstained else answer.answer]


def restored_conversation(kept: Any, user: str | None) -> list[tuple[str, Answer]]:
    """The (question, answer) pairs ``kept_conversation`` wrote for this user; none for anything else (nothing
    kept, another signed-in user's, an older format)."""
    try:
        if not isinstance(kept, dict) or kept.get("version") != 1 or kept.get("user", "") != (user or ""):
            return []
        return [(str(turn["q"]), Answer.from_json(turn["answer"])) for turn in kept["turns"]][-CONVERSATION_KEEP:]
    except (KeyError, TypeError, ValueError, AttributeError):
        return []


def build_app(service: KBService, examples: Sequence[str] = DEFAULT_EXAMPLES) -> gr.Blocks:
    settings = service.kb.settings
    starters = [q for q in examples if not is_follow_up(q)]
    follow_ups = [q for q in examples if is_follow_up(q)]  # offered once there is something to follow up

    def status_now() -> str:
        text, kind, fraction = service.status()
        return status_html(text, kind, fraction)

    def docs_now() -> str:
        return documents_html(service.documents(), service.failures(), datetime.now(timezone.utc))

    # -- asking -----------------------------------------------------------------------------------
    def answer_message(question: str, query: str, answer: Answer, answer_id: int) -> str:
        content = answer_html(answer.answer, answer.abstained, answer.citations, answer_id, answer.confidence)
        if query != question:
            content += f'<div class="kb-query">searched for: {esc(query)}</div>'
        return content

    def respond(question: str, chat: list, turns: list, answers: list, k: float, mode: str,
                show_scores: bool, evt: gr.EventData, request: gr.Request) -> Iterator[dict]:
        chat = list(chat or [])
        turns = list(turns or [])
        answers = list(answers or [])
        # An example button asks its own words and leaves the box alone: a draft the user was typing there stays.
        example = getattr(evt, "target", None)
        typed = not any(example is b for b in ask_buttons)
        if not typed:
            question = str(getattr(example, "value", "") or "")
        box_now: dict[Any, Any] = {box: ""} if typed else {}
        q = " ".join((question or "").split())
        if not q:
            chat.append({"role": "assistant", "content": note_html(
                "Type a question first, for example “Who analyzed the letter published by Osechkin?”", "edit")})
            yield {chatbot: chat, **box_now}
            return
        try:
            clean_question(q)
        except KBError as exc:  # too long: the text stays in the box to be shortened, and is not echoed
            chat.append({"role": "assistant", "content": note_html(friendly(exc), "edit")})
            yield {chatbot: chat}
            return
        chat.append({"role": "user", "content": question_html(q)})
        chat.append({"role": "assistant", "content": note_html("Searching your documents…", "search")})
        # The example and follow-up buttons rest while this answer is composed: each runs its own event, which
        # would answer beside this one on the same conversation. A question typed meanwhile waits instead (the
        # ask event's trigger mode, below).
        yield {chatbot: chat, **box_now, **{b: gr.update(interactive=False) for b in ask_buttons}}
        query = contextualize(q, turns)
        answer: Answer | None = None
        streamed = False
        try:
            for update in service.ask_stream(query, k=int(k), mode=mode):
                if isinstance(update, Answer):
                    answer = update
                elif update:
                    streamed = True
                    chat[-1] = {"role": "assistant", "content": answer_html(update) + CARET}
                    yield {chatbot: chat}
            if answer is None:
                raise RuntimeError("no answer was produced")
        except Exception as exc:  # shown in the chat, never as a traceback
            chat[-1] = {"role": "assistant", "content": note_html(friendly(exc), "warn")}
            # a typed question goes back in the box, to send again ("ask again in a moment")
            yield {chatbot: chat, **({box: question} if typed else {}),
                   **{b: gr.update(interactive=True) for b in ask_buttons}}
            return
        words = answer.answer.split(" ")
        step = max(1, len(words) // STREAM_STEPS)
        # the answer appears as it is composed (an abstention is shown whole: there is nothing to compose)
        for end in range(step, 0 if streamed or answer.abstained else len(words), step):
            chat[-1] = {"role": "assistant", "content": answer_html(" ".join(words[:end]), answer.abstained) + CARET}
            yield {chatbot: chat}
            time.sleep(STREAM_DELAY)
        answer_id = len(answers)
        chat[-1] = {"role": "assistant", "content": answer_message(q, query, answer, answer_id)}
        turns.append(turn(q, answer))
        answers.append(answer)
        yield {chatbot: chat, sources: sources_html(answer, show_scores, answer_id), turns_state: turns,
               answers_state: answers, shown: answer_id, doc_view: "",
               kept: kept_conversation(turns, answers, getattr(request, "username", None)),
               **{b: gr.update(interactive=True) for b in example_buttons},
               **{b: gr.update(visible=not answer.abstained, interactive=True) for b in follow_buttons}}

    def cards(answers: list, index: int | None, show_scores: bool, focus: int | None = None) -> str:
        """The Sources panel for the conversation's answer ``index`` (none: the empty panel), labelled as an
        earlier answer's unless it is the last."""
        answers = answers or []
        answer = answers[index] if index is not None and -len(answers) <= index < len(answers) else None
        return sources_html(answer, show_scores, index or 0, focus=focus,
                            earlier=answer is not None and index != len(answers) - 1)

    def on_sources_select(answers: list, show_scores: bool, evt: gr.EventData) -> dict:
        data = event_data(evt)
        try:
            index = int(data.get("answer"))
            answer = answers[index]
        except (TypeError, ValueError, IndexError):
            return {}
        if "show" in data:  # a citation of an earlier answer: show its cards, focused
            try:
                n = int(data["show"])
            except (TypeError, ValueError):
                return {}
            return {sources: cards(answers, index, show_scores, focus=n), shown: index}
        if "open" in data:
            try:
                return {doc_view: open_document(answer, int(data["open"]))}
            except (TypeError, ValueError):
                return {}
        return {}

    def open_document(answer: Answer, n: int) -> str:
        cited = next((c for c in answer.citations if c.n == n), None)
        if cited is None:
            return ""
        try:
            text = service.kb.document_text(cited.source)
        except KBError as exc:
            return document_error_html(friendly(exc))
        if text is None:
            return document_error_html(f"{cited.source} is no longer in the index.")
        spans, gone = spans_in(text, [(c.start, c.end, c.n, c.text) for c in answer.citations
                                      if c.source == cited.source])
        notice = ""
        if gone:
            marks = ", ".join(f"[{g}]" for g in gone)
            notice = (f"{cited.source} changed since this answer: it no longer holds the passage{'s' * (len(gone) > 1)} "
                      f"quoted as {marks}. Ask again for an answer from the document as it is now.")
        return document_html(cited.title, cited.source, text, spans, focus=n if n not in gone else None,
                             notice=notice)

    def on_doc_select(evt: gr.EventData) -> Any:
        return "" if event_data(evt).get("close") else gr.skip()

    def new_conversation() -> dict:
        return {chatbot: [], turns_state: [], answers_state: [], shown: None, sources: sources_html(None),
                doc_view: "", kept: {}, **{b: gr.update(visible=False) for b in follow_buttons}}

    def restore(stored: Any, show_scores: bool, request: gr.Request) -> dict:
        """The conversation as it was before a reload or a server restart: the chat re-rendered from its answers
        (so its [n] links and Sources panel work), and the turns a follow-up's "he" is resolved against."""
        pairs = restored_conversation(stored, getattr(request, "username", None))
        if not pairs:
            return {}
        chat: list[dict] = []
        for answer_id, (question, answer) in enumerate(pairs):
            try:
                asked = clean_question(question)
            except KBError:
                asked = question
            chat += [{"role": "user", "content": question_html(question)},
                     {"role": "assistant", "content": answer_message(asked, answer.question, answer, answer_id)}]
        answers = [answer for _, answer in pairs]
        return {chatbot: chat, turns_state: [turn(q, a) for q, a in pairs], answers_state: answers,
                shown: len(answers) - 1, sources: cards(answers, len(answers) - 1, show_scores),
                **{b: gr.update(visible=not answers[-1].abstained) for b in follow_buttons}}

    def api_ask(question: str) -> dict:
        """Answer one question from the documents: the JSON of `kb ask --json`."""
        try:
            return service.kb.answer_json(service.ask(question))
        except KBError as exc:
            # the caller gets the one-line reason; a question refused (empty, too long) is not a server fault,
            # and Gradio printed a 25-line traceback for each on the server's stderr
            raise gr.Error(friendly(exc), print_exception=False) from None

    # -- index management -------------------------------------------------------------------------
    def rebuild(full: bool, progress: gr.Progress, reason: str) -> BuildReport:
        progress(0.0, desc="starting")
        return service.rebuild(full=full, reason=reason,
                               on_progress=lambda f, m: progress(min(max(f, 0.0), 1.0), desc=m))

    def on_rebuild(full: bool, progress: gr.Progress = gr.Progress()) -> tuple:
        reason = "full rebuild" if full else "rebuild"
        try:
            message = build_message(rebuild(bool(full), progress, reason), reason)
        except Exception as exc:
            message = message_html("error", friendly(exc))
        return message, docs_now(), status_now()

    def on_upload(files: list | None, progress: gr.Progress = gr.Progress()) -> dict:
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        out = service.save_uploads([(p, Path(p).name) for p in paths])
        parts = [message_html("error", e) for e in out.errors] + [message_html("info", note) for note in out.notes]
        replaced = dict(out.replaced)
        result: dict[Any, Any] = {upload: None}  # the widget empties for the next upload
        if out.saved:
            reason = f"uploaded {files_named(out.saved)}"
            try:
                report = rebuild(False, progress, reason)
            except Exception as exc:
                discarded = list(out.saved)  # not indexed: not kept either
                parts.append(message_html("error", f"{friendly(exc)} ({', '.join(out.saved)} not added)"))
            else:
                # An upload the indexer could not read is removed again: the user still has the file, and the
                # sources folder should only hold what is searchable.
                discarded = [f.source for f in report.errors if f.source in out.saved]
                parts.insert(0, build_message(report, reason, discarded, only=out.saved))
            restored = []
            for name in discarded:
                service.discard(name)
                if name in replaced:  # the version it was to replace comes back: an upload that fails loses nothing
                    service.restore(replaced.pop(name), name)
                    restored.append(name)
            if restored:
                parts.append(message_html("info", f"The earlier version of {', '.join(restored)} is kept."))
                try:
                    rebuild(False, progress, f"restored {', '.join(restored)}")
                except Exception as exc:
                    parts.append(message_html("error", friendly(exc)))
            if replaced:
                parts.append(message_html("info", f"Replaced {', '.join(replaced)}.", [
                    "The earlier version moved to the trash folder (.kb-trash); press Undo to bring it back."]))
                result |= {undo_state: ["replace", [[name, str(path)] for name, path in replaced.items()]],
                           undo_row: gr.update(visible=True), undo_btn: gr.update(value="Undo replace")}
        return {**result, build_out: "".join(parts) or message_html("info", "Nothing uploaded."),
                docs_table: docs_now(), status: status_now()}

    def on_ask_delete(evt: gr.EventData) -> tuple:
        source = event_data(evt).get("source")
        if not isinstance(source, str) or not source:
            return gr.skip(), gr.skip(), gr.skip()
        if any(f.source == source for f in service.failures()):  # never indexed: it only leaves the folder
            prompt = message_html("warn", f"Remove {source}?", [
                "It was not indexed; it moves to the trash folder (.kb-trash); you can undo this."])
        else:
            prompt = message_html("warn", f"Delete {source}?",
                                  ["It leaves the index and moves to the trash folder (.kb-trash); you can undo this."])
        return source, prompt, gr.update(visible=True)

    def on_cancel() -> tuple:
        return None, "", gr.update(visible=False)

    def on_confirm(source: str | None, progress: gr.Progress = gr.Progress()) -> dict:
        result: dict[Any, Any] = {pending_delete: None, confirm_text: "", confirm_row: gr.update(visible=False)}
        if not source:
            return {**result, build_out: message_html("info", "Choose a document to delete first.")}
        try:
            trashed = service.delete(source)
        except Exception as exc:
            return {**result, build_out: message_html("error", friendly(exc)), docs_table: docs_now()}
        try:
            built = build_message(rebuild(False, progress, f"deleted {source}"), f"deleted {source}")
        except Exception as exc:
            built = message_html("error", friendly(exc))
        if trashed is None:  # its file was already gone: only the index held it, and nothing can be undone
            note = message_html("info", f"Removed {source} from the index.", ["Its file had already been removed "
                                                                               "from the sources folder."])
            return {**result, build_out: note + built, docs_table: docs_now(), status: status_now()}
        note = message_html("info", f"Deleted {source}.", ["Moved to the trash folder; press Undo to bring it back."])
        return {**result, build_out: note + built, undo_state: ["delete", [[source, str(trashed)]]],
                undo_row: gr.update(visible=True), undo_btn: gr.update(value="Undo delete"), docs_table: docs_now(),
                status: status_now()}

    def on_undo(undo: list | None, progress: gr.Progress = gr.Progress()) -> dict:
        """Undo the last delete (the file comes back) or replacing upload (the earlier version takes its name
        back; the newer one goes to the trash in turn)."""
        result: dict[Any, Any] = {undo_state: None, undo_row: gr.update(visible=False)}
        if not undo:
            return result
        action, items = undo
        names = []
        for source, trashed in items:
            try:
                restored = service.restore(Path(trashed), source, replace=action == "replace")
            except Exception as exc:
                return {**result, build_out: message_html("error", friendly(exc)), docs_table: docs_now()}
            names.append(restored.relative_to(service.sources.resolve()).as_posix())
        done = f"restored {', '.join(names)}"
        try:
            built = build_message(rebuild(False, progress, done), done)
        except Exception as exc:
            built = message_html("error", friendly(exc))
        what = "the earlier version of " if action == "replace" else ""
        return {**result, build_out: message_html("info", f"Restored {what}{', '.join(names)}.") + built,
                docs_table: docs_now(), status: status_now()}

    def tick(seen: int, last_docs: str) -> tuple:
        builds = service.state.builds
        docs = docs_now()  # also refreshes "indexed 5 min ago"
        notice: Any = gr.skip()
        if builds != seen and service.state.reason.startswith(WATCH_PREFIX):
            st = service.state
            when = time.strftime("%H:%M:%S", time.localtime(st.last_finished or time.time()))
            notice = notice_html(st.reason[len(WATCH_PREFIX):].strip(), st.last_error or st.last_summary,
                                 service.failures(), when)
        # While any build runs (an upload, a delete, the watcher) another rebuild would only queue behind it.
        running = service.state.running
        button = gr.update(interactive=not running, value="Building…" if running else "Rebuild index")
        return (status_now(), docs if docs != last_docs else gr.skip(), notice, builds, docs, button)

    # -- layout -----------------------------------------------------------------------------------
    with gr.Blocks(title="kb · ask your documents", analytics_enabled=False) as demo:
        turns_state = gr.State([])
        answers_state = gr.State([])  # every answer of this conversation, for its [n] links and cards
        shown = gr.State(None)  # which answer the sources panel shows
        seen_builds = gr.State(0)
        seen_docs = gr.State("")
        pending_delete = gr.State(None)
        undo_state = gr.State(None)  # ["delete" or "replace", [[source, path in the trash], ...]] of the last one
        storage_key, storage_secret = conversation_storage(settings.store, settings.index)
        kept = gr.BrowserState({}, storage_key=storage_key, secret=storage_secret)  # kept_conversation's
        with gr.Row(elem_id="kb-header", equal_height=True):
            gr.HTML('<div class="kb-brand"><span class="kb-logo">kb</span><div><div class="kb-name">'
                    'Ask your documents</div><div class="kb-tagline">Answers quoted from your files, every '
                    'sentence cited. Runs offline.</div></div></div>', scale=3, min_width=260)
            status = gr.HTML(status_now(), elem_id="kb-status", scale=2, min_width=260, js_on_load=UPLOAD_RESET_JS)
        notice = gr.HTML("", elem_id="kb-notice", js_on_load="element.addEventListener('click', (e) => { "
                         "if (e.target.closest('.kb-msg')) { trigger('click'); } });")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        chatbot = gr.Chatbot(
                            elem_id="kb-chat", show_label=False, height=480, latex_delimiters=[],
                            group_consecutive_messages=False, feedback_options=None, buttons=[],
                            render_markdown=False,  # ui/render.py writes the HTML: Markdown mangled URLs
                            placeholder="<div class='kb-placeholder'><b>Ask anything about your documents.</b>"
                                        "<br>Answers quote the documents and cite them [1]; follow-up "
                                        "questions understand “he”, “its”, “they”.</div>",
                        )
                        with gr.Row(elem_id="kb-ask-row", equal_height=True):
                            box = gr.Textbox(placeholder="Ask a question…", show_label=False, scale=6,
                                             elem_id="kb-question", max_lines=4, min_width=160)
                            send = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="kb-ask")
                        with gr.Row(elem_id="kb-examples"):
                            example_buttons = [
                                gr.Button(q, size="sm", variant="secondary", elem_classes=["kb-example"])
                                for q in starters
                            ]
                            follow_buttons = [
                                gr.Button(q, size="sm", variant="secondary", visible=False,
                                          elem_classes=["kb-example", "kb-example-follow"])
                                for q in follow_ups
                            ]
                        with gr.Accordion("Settings", open=False, elem_id="kb-settings"):
                            with gr.Row():
                                k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages to read")
                                mode = gr.Radio(list(SEARCH_MODES), value=settings.mode, label="Retrieval")
                                show_scores = gr.Checkbox(True, label="Show scores")
                        clear = gr.Button("New conversation", size="sm", variant="secondary", elem_id="kb-clear")
                    with gr.Column(scale=2, min_width=300):
                        gr.HTML('<div class="kb-panel-title">Sources</div>')
                        sources = gr.HTML(sources_html(None), elem_id="kb-sources", js_on_load=SOURCES_JS,
                                          max_height=560)
                doc_view = gr.HTML("", elem_id="kb-docview", js_on_load=DOC_VIEW_JS)
            with gr.Tab("Documents", id="documents"):
                docs_table = gr.HTML(docs_now(), elem_id="kb-docs", js_on_load=DOCS_JS)
                with gr.Row(elem_id="kb-confirm", visible=False) as confirm_row:
                    confirm_text = gr.HTML("", elem_id="kb-confirm-text")
                    with gr.Column(scale=0, min_width=220):
                        with gr.Row():
                            confirm_btn = gr.Button("Delete", variant="stop", elem_id="kb-confirm-delete",
                                                    min_width=90)
                            cancel_btn = gr.Button("Cancel", variant="secondary", elem_id="kb-cancel-delete",
                                                   min_width=90)
                with gr.Row(elem_id="kb-undo-row", visible=False) as undo_row:
                    undo_btn = gr.Button("Undo delete", variant="secondary", elem_id="kb-undo", size="sm")
                build_out = gr.HTML("", elem_id="kb-build-summary")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=280):
                        upload = gr.File(
                            label=f"Add documents ({', '.join(ALLOWED_SUFFIXES)}; up to {settings.max_file_mb:g} MB)",
                            file_count="multiple", file_types=list(ALLOWED_SUFFIXES), type="filepath",
                            elem_id="kb-upload", height=170,
                        )
                    with gr.Column(scale=2, min_width=240):
                        full = gr.Checkbox(False, label="Full rebuild (re-read and re-embed every file)",
                                           elem_id="kb-full")
                        rebuild_btn = gr.Button("Rebuild index", variant="primary", elem_id="kb-rebuild")
        timer = gr.Timer(2.0)

        # -- events -------------------------------------------------------------------------------
        ask_inputs = [box, chatbot, turns_state, answers_state, k, mode, show_scores]
        ask_buttons = [*example_buttons, *follow_buttons]
        ask_outputs = [chatbot, sources, turns_state, answers_state, shown, box, doc_view, kept, *ask_buttons]
        common: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": 4, "concurrency_id": "ask"}
        # One event for Enter, the send button and the example buttons, so that they share one pending state. A
        # question sent while the last is being answered is asked once that answer is done ("always_last": the box's
        # text as it is then), where the default ("once") ignored it and left it in the box; "multiple" would answer
        # both at once, each on the conversation as it was. The example buttons rest meanwhile (respond): a deferred
        # event is run again without knowing which button started it.
        gr.on([send.click, box.submit, *(b.click for b in ask_buttons)], respond, ask_inputs, ask_outputs,
              show_progress="hidden", trigger_mode="always_last", **common)
        show_scores.change(cards, [answers_state, shown, show_scores], sources, api_visibility="private")
        sources.select(on_sources_select, [answers_state, show_scores], [sources, shown, doc_view],
                       api_visibility="private", show_progress="hidden")
        doc_view.select(on_doc_select, None, doc_view, api_visibility="private", show_progress="hidden")
        conversation = [chatbot, turns_state, answers_state, shown, sources, doc_view, kept, *follow_buttons]
        clear.click(new_conversation, None, conversation, api_visibility="private")
        # The chat's own clear (trash) button empties what is shown; the conversation behind it goes too, or the next
        # "his" was resolved against the turns the user had just cleared.
        chatbot.clear(new_conversation, None, conversation, api_visibility="private")
        notice.click(lambda: "", None, notice, api_visibility="private", show_progress="hidden")
        gr.api(api_ask, api_name="ask", concurrency_limit=4, concurrency_id="api")

        # One progress bar, over the build summary: the status bar already says what the build is doing, and an
        # overlay on the documents table would hide the list while it is being changed.
        build_kw: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": 1, "concurrency_id": "build",
                                    "show_progress_on": build_out}
        rebuild_btn.click(on_rebuild, [full], [build_out, docs_table, status], **build_kw)
        upload.upload(on_upload, [upload], [build_out, docs_table, status, upload, undo_state, undo_row, undo_btn],
                      **build_kw)
        # The confirmation sits below the documents table; with a long list, or on a phone, it was off screen and the
        # bin button seemed to do nothing: it is brought into view, its Cancel focused.
        docs_table.select(on_ask_delete, None, [pending_delete, confirm_text, confirm_row],
                          api_visibility="private", show_progress="hidden").then(
            None, None, None, api_visibility="private",
            js="() => { setTimeout(() => { const row = document.querySelector('#kb-confirm'); if (row) { "
               "row.scrollIntoView({block: 'center'}); document.querySelector('#kb-cancel-delete')?.focus(); } }, 50); }")
        cancel_btn.click(on_cancel, None, [pending_delete, confirm_text, confirm_row], api_visibility="private")
        confirm_btn.click(on_confirm, [pending_delete],
                          [pending_delete, confirm_text, confirm_row, build_out, undo_state, undo_row, undo_btn,
                           docs_table, status], **build_kw)
        undo_btn.click(on_undo, [undo_state], [build_out, undo_state, undo_row, docs_table, status], **build_kw)
        timer.tick(tick, [seen_builds, seen_docs], [status, docs_table, notice, seen_builds, seen_docs, rebuild_btn],
                   show_progress="hidden", api_visibility="private", queue=False)
        demo.load(lambda: (status_now(), docs_now(), service.state.builds), None,
                  [status, docs_table, seen_builds], api_visibility="private")
        # A reload, or a restart of the server, keeps the conversation (the browser holds it: kept_conversation).
        demo.load(restore, [kept, show_scores], [chatbot, turns_state, answers_state, shown, sources, *follow_buttons],
                  api_visibility="private", show_progress="hidden")
        # The question box takes the focus without scrolling to it: autofocus scrolled a phone's page 556 px down on
        # load, past the header, the status bar and the tabs. On a phone it is not focused (the keyboard would cover
        # the page).
        demo.load(None, None, None, api_visibility="private",
                  js="() => { if (window.innerWidth > 640) { document.querySelector('#kb-question textarea')"
                     "?.focus({preventScroll: true}); } }")
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
