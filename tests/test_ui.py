"""The UI without a browser: escaping, safe uploads, follow-up questions, the watcher, and the /ask API."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest

from net import free_port

from kb.query import contextualize, is_follow_up, named_entities
from kb.errors import UsageError
from kb.types import Answer, Citation, Passage
from kb.watch import Debouncer, SourceWatcher, diff, fingerprint
from ui.render import NOT_COVERED, answer_markdown, document_html, md_text, sources_html, Span
from ui.uploads import TRASH, delete_source, safe_name, save_upload

HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> ${window.__xss=3} {{x}}'
RAW_TAG = re.compile(r"<\s*(script|img)\b", re.I)


def hostile_answer() -> Answer:
    doc = "Intro. " + HOSTILE + " The cited sentence is here. Tail."
    start = doc.index("The cited")
    end = start + len("The cited sentence is here.")
    passage = Passage(1, "evil<b>.txt", HOSTILE, 0, len(doc), doc, 0.5, date="2024-01-01")
    citation = Citation(1, "evil<b>.txt", HOSTILE, start, end, doc[start:end], 0.5)
    return Answer(HOSTILE, HOSTILE + " The cited sentence is here. [1]", False, [citation], [passage])


# -- rendering ------------------------------------------------------------------------------------
def test_sources_panel_escapes_document_content_and_marks_the_cited_span():
    html = sources_html(hostile_answer(), show_scores=True)
    assert not RAW_TAG.search(html), html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "${" not in html and "{{" not in html  # gr.HTML templates cannot see a placeholder
    marked = re.findall(r'<mark class="kb-mark" data-n="1">(.*?)<sup', html)
    assert marked == ["The cited sentence is here."]
    assert "score 0.500" in html and "score" not in sources_html(hostile_answer(), show_scores=False)


def test_chat_markdown_escapes_answers_and_questions():
    answer = hostile_answer()
    text = answer_markdown(answer.answer, False, answer.citations)
    assert not RAW_TAG.search(text)
    assert '<sup class="kb-cite">[1]</sup>' in text
    question = md_text("**bold** [x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    assert not RAW_TAG.search(question) and "](" not in question and "**" not in question


def test_abstained_answer_says_the_documents_do_not_cover_it():
    empty = Answer("q", "No passage answers this.", True)
    assert NOT_COVERED in answer_markdown(empty.answer, True)
    assert NOT_COVERED in sources_html(empty)


def test_document_view_focuses_the_chosen_citation():
    text = "First sentence. <i>Second</i> sentence. Third."
    html = document_html("T", "t.txt", text, [Span(0, 15, 1), Span(16, 39, 2)], focus=2)
    assert html.count('id="kb-focus"') == 1
    assert re.search(r'<mark class="kb-mark" data-n="2" id="kb-focus">&lt;i&gt;Second', html)


# -- uploads ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("../../x.txt", "x.txt"),
    ("/etc/passwd.md", "passwd.md"),
    ("C:\\Windows\\evil.html", "evil.html"),
    (".hidden.txt", "hidden.txt"),
    ("a\x00b\nc.txt", "abc.txt"),
    ("Résumé notes (v2).PDF", "Résumé notes (v2).pdf"),
    ("semi;colon|pipe.txt", "semi_colon_pipe.txt"),
])
def test_safe_name_keeps_only_a_harmless_base_name(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", ["../../etc/passwd", "run.sh", "x.exe", "..", "/", "", "archive.txt.zip", ".txt"])
def test_safe_name_refuses_disallowed_types_and_empty_names(name):
    with pytest.raises(UsageError):
        safe_name(name)


def _all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_save_upload_writes_only_inside_the_sources_folder(tmp_path):
    sources = tmp_path / "area" / "sources"
    sources.mkdir(parents=True)
    upload = tmp_path / "upload.bin"
    upload.write_text("hello world", encoding="utf-8")
    before = _all_files(tmp_path)
    first = save_upload(upload, "../../x.txt", sources, max_bytes=1000)
    second = save_upload(upload, "/abs/path/x.txt", sources, max_bytes=1000)
    assert first == sources / "x.txt" and second == sources / "x-1.txt"  # never overwrites
    assert _all_files(tmp_path) - before == {first, second}
    with pytest.raises(UsageError, match="limit"):
        save_upload(upload, "big.txt", sources, max_bytes=5)
    with pytest.raises(UsageError, match="not accepted"):
        save_upload(upload, "../evil.sh", sources, max_bytes=1000)
    assert _all_files(tmp_path) - before == {first, second}


def test_delete_moves_into_trash_and_refuses_paths_outside(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "a.txt").write_text("a", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("s", encoding="utf-8")
    for bad in ("../secret.txt", str(outside), "", "missing.txt"):
        with pytest.raises(UsageError):
            delete_source(bad, sources)
    assert outside.exists()
    moved = delete_source("a.txt", sources)
    assert not (sources / "a.txt").exists() and moved.parent == sources / TRASH and moved.read_text() == "a"
    assert fingerprint(sources) == {}  # the trash is never indexed


# -- conversation -----------------------------------------------------------------------------------
def test_contextualize_appends_names_only_for_follow_ups():
    history = [("Who translated the letters?", "Igor Sushko, director of the Wind of Change Research Group, did. [1]")]
    assert contextualize("Who verified the letter?", history) == "Who verified the letter?"
    query = contextualize("Where is his organization based?", history)
    assert query.startswith("Where is his organization based?")
    assert "Igor Sushko" in query and "Wind of Change Research Group" in query
    assert contextualize("Where is his organization based?", []) == "Where is his organization based?"
    assert is_follow_up("And what about Japan?") and not is_follow_up("Who won?")
    assert "The" not in named_entities("The FSB said so. Japan agreed.")


def test_follow_up_question_is_resolved_from_the_conversation(seed_kb):
    first = seed_kb.ask("Who translated the letters?")
    assert not first.abstained
    query = contextualize("Where is his organization based?", [("Who translated the letters?", first.answer)])
    second = seed_kb.ask(query)
    assert not second.abstained and "Washington" in second.answer


# -- watch ------------------------------------------------------------------------------------------
def test_debouncer_fires_once_after_the_folder_is_quiet():
    base = {"a.txt": (1, 1)}
    d = Debouncer(base, debounce=2.0)
    assert d.poll(base, 0.0) is None
    edited = {"a.txt": (2, 5), "b.md": (1, 1)}
    assert d.poll(edited, 1.0) is None  # just changed
    assert d.poll(edited, 2.0) is None  # not quiet long enough
    changes = d.poll(edited, 3.5)
    assert changes is not None and changes.added == ["b.md"] and changes.edited == ["a.txt"]
    assert d.poll(edited, 10.0) is None  # fired once
    assert diff(edited, {}).deleted == ["a.txt", "b.md"]


def test_source_watcher_reports_added_and_deleted_files(tmp_path):
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    seen = []
    event = threading.Event()
    watcher = SourceWatcher(tmp_path, lambda c: (seen.append(c), event.set()), interval=0.05, debounce=0.2).start()
    try:
        (tmp_path / "b.md").write_text("b", encoding="utf-8")
        (tmp_path / "a.txt").unlink()
        (tmp_path / ".b.md.swp").write_text("ignored", encoding="utf-8")
        assert event.wait(20)
    finally:
        watcher.stop()
    assert seen[0].added == ["b.md"] and seen[0].deleted == ["a.txt"]


# -- server -----------------------------------------------------------------------------------------
def test_serve_defaults_are_local_and_private(monkeypatch):
    from kb.cli import build_parser
    from kb.commands.serve import parse_auth

    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1" and args.port == 7860 and args.share is False and args.auth is None
    assert parse_auth("ann:pa:ss") == ("ann", "pa:ss")
    for bad in ("ann", ":x", "ann:"):
        with pytest.raises(UsageError):
            parse_auth(bad)


@pytest.fixture(scope="module")
def api_server(seed_kb, tmp_path_factory):
    """A live app over a copy of the seeds index, started in this process on a free localhost port."""
    from kb import KnowledgeBase
    from ui.app import launch
    from ui.service import KBService

    base = tmp_path_factory.mktemp("ui-api")
    shutil.copytree(seed_kb.settings.sources, base / "sources")
    shutil.copytree(seed_kb.settings.index, base / "index")
    port = free_port()
    demo = launch(KBService(KnowledgeBase(base / "sources", base / "index")), port=port,
                  prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", demo
    demo.close()


def test_ask_endpoint_returns_the_answer_json(api_server, seed_kb):
    from gradio_client import Client

    url, _ = api_server
    client = Client(url, verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    result = client.predict("Who verified the letter?", api_name="/ask")
    expected = seed_kb.ask("Who verified the letter?").to_json()
    assert set(result) == set(expected)
    assert result["answer"] == expected["answer"] and result["citations"] == expected["citations"]
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", api_name="/ask")


def test_auth_protects_the_server(seed_kb, tmp_path):
    from gradio_client import Client

    from kb import KnowledgeBase
    from ui.app import launch
    from ui.service import KBService

    shutil.copytree(seed_kb.settings.sources, tmp_path / "sources")
    shutil.copytree(seed_kb.settings.index, tmp_path / "index")
    port = free_port()
    demo = launch(KBService(KnowledgeBase(tmp_path / "sources", tmp_path / "index")), port=port,
                  auth=("ann", "s3cret"), prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(Exception):
            Client(url, verbose=False).predict("Who verified the letter?", api_name="/ask")
        result = Client(url, auth=("ann", "s3cret"), verbose=False).predict("What does FSB stand for?", api_name="/ask")
        assert result["citations"]
    finally:
        demo.close()
