"""The UI without a browser: escaping, safe uploads, follow-up questions, the watcher, and the /ask API."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from net import free_port
from paths import copy_of

from kb.query import contextualize, is_follow_up, named_entities
from kb.errors import UsageError
from kb.types import Answer, Citation, Passage
from kb.watch import Debouncer, SourceWatcher, diff, fingerprint
from datetime import datetime, timedelta, timezone

from kb.store.database import DocumentRow
from kb.types import BuildReport, SourceFailure
from kb.answer import ABSTAIN_TEXT
from ui.render import (NOT_COVERED, Span, answer_html, document_html, documents_html, linkify, question_html,
                       relative_time, sources_html, spans_in)
from ui.uploads import (ALLOWED_SUFFIXES, TRASH, delete_source, discard_upload, restore_source, safe_name,
                        save_upload)

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


def test_chat_html_escapes_answers_and_questions():
    answer = hostile_answer()
    text = answer_html(answer.answer, False, answer.citations, answer_id=3)
    assert not RAW_TAG.search(text)
    assert '<a class="kb-cite" href="#kb-card-3-1"' in text
    question = question_html("**bold** [x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    assert not RAW_TAG.search(question) and "**bold** [x](javascript:alert(1))" in question


def test_a_cited_answer_shows_its_confidence_and_an_abstention_none():
    cites = [_citation(1, "a.txt", "Alpha")]
    html = answer_html("One [1].", False, cites, answer_id=1, confidence=0.784)
    assert re.search(r'<div class="kb-confidence"[^>]*>Confidence 78%</div>', html)
    assert "kb-confidence" not in answer_html("One [1].", False, cites, answer_id=1)  # an LLM's answer: none
    assert "kb-confidence" not in answer_html(ABSTAIN_TEXT, True, confidence=0.05)
    assert ">Confidence 99%<" in answer_html("One [1].", False, cites, confidence=0.9996)  # never "100%"


def test_a_kept_conversation_is_data_with_only_the_cited_passages_and_comes_back_for_its_user_alone():
    from ui.app import CONVERSATION_KEEP, kept_conversation, restored_conversation

    answer = hostile_answer()
    answer.passages.append(Passage(2, "other.txt", "Other", 0, 9, "Uncited.", 0.1))
    abstained = Answer("Who?", ABSTAIN_TEXT, True, [], [Passage(3, "x.txt", "X", 0, 4, "None", 0.2)])
    turns = [["first question", answer.answer], ["Who?", ""]]
    kept = kept_conversation(turns, [answer, abstained], "ada")
    assert [p["source"] for p in kept["turns"][0]["answer"]["passages"]] == ["evil<b>.txt"]
    assert kept["turns"][1]["answer"]["passages"] == []
    back = restored_conversation(kept, "ada")
    assert [q for q, _ in back] == ["first question", "Who?"]
    assert back[0][1].to_json()["citations"] == answer.to_json()["citations"]
    assert sources_html(back[0][1], True, 0) == sources_html(answer, True, 0)
    assert restored_conversation(kept, "grace") == [] and restored_conversation(kept, None) == []
    for broken in (None, [], {"version": 2, "turns": []}, {"version": 1, "user": "ada", "turns": [{"q": "x"}]},
                   {"version": 1, "user": "ada", "turns": "nonsense"}):
        assert restored_conversation(broken, "ada") == []
    many = kept_conversation([[f"q{i}", ""] for i in range(30)], [abstained] * 30, None)
    assert [t["q"] for t in many["turns"]] == [f"q{i}" for i in range(30 - CONVERSATION_KEEP, 30)]


def test_each_index_keeps_its_own_conversation(tmp_path):
    from ui.app import conversation_storage

    assert conversation_storage("faiss", tmp_path / "a") != conversation_storage("faiss", tmp_path / "b")
    assert conversation_storage("faiss", tmp_path / "a") != conversation_storage("milvus:kb.db", tmp_path / "a")
    assert conversation_storage("faiss", tmp_path / "a") == conversation_storage("faiss", tmp_path / "a")


def _citation(n: int, source: str, title: str) -> Citation:
    return Citation(n, source, title, 0, 5, "text.", 0.5)


def test_citation_markers_link_to_their_cards_and_references_list_each_document_once():
    cites = [_citation(1, "a.txt", "Alpha"), _citation(2, "b.txt", "Beta"), _citation(3, "a.txt", "Alpha")]
    html = answer_html("One [1]. Two [2][3]. Not a citation [7].", False, cites, answer_id=2)
    body, refs = html.split('<div class="kb-refs">')
    assert re.findall(r'href="#kb-card-2-(\d)"', body) == ["1", "2", "3"]
    assert "[7]" in body and "kb-card-2-7" not in html  # only real citations become links
    lines = re.findall(r'<div class="kb-ref">(.*?)</div>', refs)
    assert len(lines) == 2  # one line per document, each citation once
    assert re.findall(r"\[(\d)\]", lines[0]) == ["1", "3"] and "Alpha" in lines[0]
    assert re.findall(r"\[(\d)\]", lines[1]) == ["2"] and "Beta" in lines[1]


@pytest.mark.parametrize("text, url", [
    ("See https://example.org/a_b_(c)/d_e.", "https://example.org/a_b_(c)/d_e"),
    ("(at https://ex.org/x_(y))", "https://ex.org/x_(y)"),
    ("The secret is at https://ex.org/secret\\ now", "https://ex.org/secret\\"),
    ("Go to https://ex.org/?q=1&r=2, then", "https://ex.org/?q=1&r=2"),
])
def test_urls_in_answers_become_links_to_exactly_that_url(text, url):
    html = linkify(text)
    href = re.search(r'href="([^"]*)"', html).group(1)
    import html as html_lib

    assert html_lib.unescape(href) == url
    assert html_lib.unescape(re.sub(r"<[^>]+>", "", html)) == text


def test_linkify_never_makes_a_script_link():
    html = linkify('javascript:alert(1) <a href="x">https://ok.org/"onmouseover="alert(1)</a>')
    assert "javascript:alert" not in re.findall(r'href="([^"]*)"', html)
    assert not re.search(r"<a [^>]*onmouseover", html) and "<a href=\"x\">" not in html


@pytest.mark.parametrize("delta, text", [
    (timedelta(seconds=-30), "just now"), (timedelta(seconds=20), "just now"), (timedelta(minutes=5), "5 min ago"),
    (timedelta(hours=3, minutes=59), "3 h ago"), (timedelta(hours=30), "yesterday"), (timedelta(days=6), "6 days ago"),
    (timedelta(days=400), "2025-10-26"),
])
def test_relative_time_with_the_exact_time_for_hovering(delta, text):
    now = datetime(2026, 11, 30, 22, 12, 11, tzinfo=timezone.utc)
    moment = (now - delta).isoformat(timespec="seconds")
    assert relative_time(moment, now) == (text, (now - delta).strftime("%Y-%m-%d %H:%M:%S UTC"))
    assert relative_time("not a time", now) == ("not a time", "not a time")


def test_documents_table_lists_failed_files_with_their_reason_and_escapes_names():
    now = datetime(2026, 11, 30, 22, 17, 11, tzinfo=timezone.utc)
    rows = [DocumentRow("a<b>.txt", "<script>t</script>", "2024-01-02", "0" * 64, 10, "2026-11-30T22:12:11+00:00", 3)]
    html = documents_html(rows, [SourceFailure("bad<i>.pdf", "corrupt or unreadable PDF: startxref not found")], now)
    assert not RAW_TAG.search(html) and "<i>" not in html
    failed, indexed = re.findall(r"<tr[^>]*>(.*?)</tr>", html.split("<tbody>")[1])
    assert "corrupt or unreadable PDF" in failed and "bad&lt;i&gt;.pdf" in failed and "failed" in failed
    assert 'title="2026-11-30 22:12:11 UTC">5 min ago</time>' in indexed
    assert 'data-source="a&lt;b&gt;.txt"' in indexed and "&lt;script&gt;t&lt;/script&gt;" in indexed
    assert [h for h in re.findall(r"<th[^>]*>([^<]*)<", html) if h] == ["Title", "File", "Passages", "Date", "Indexed"]


def test_build_message_never_puts_a_failed_file_under_the_success_mark():
    from ui.app import build_message

    clean = build_message(BuildReport(added=["a.txt"]), "upload")
    assert "kb-msg-ok" in clean and "kb-msg-warn" not in clean
    failed = build_message(BuildReport(errors=[SourceFailure("x.pdf", "corrupt PDF")]), "upload", ["x.pdf"])
    assert "kb-msg-ok" not in failed and "Index updated" not in failed and "x.pdf was not added: corrupt PDF" in failed
    mixed = build_message(BuildReport(added=["a.txt"], errors=[SourceFailure("x.pdf", "corrupt PDF")]), "upload")
    ok_part, warn_part = mixed.split('<div class="kb-msg kb-msg-warn">')
    assert "a.txt" in ok_part and "x.pdf" not in ok_part and "x.pdf: corrupt PDF" in warn_part


def test_build_message_says_when_nothing_changed_and_reports_only_an_uploads_own_failures():
    """A rebuild that changed nothing read "Index updated: added 0, updated 0, removed 0" under a green check; an
    upload's result listed files that had failed before and were no part of it; the status bar named every file of
    a 15-file upload."""
    from ui.app import build_message, files_named

    same = build_message(BuildReport(unchanged=["a.txt", "b.txt"], chunks=7), "rebuild")
    assert "Index up to date (rebuild): nothing changed" in same and "2 documents, 7 passages" in same
    assert "Index updated" not in same
    upload = build_message(BuildReport(added=["new.txt"], errors=[SourceFailure("old.pdf", "corrupt PDF")]),
                           "uploaded new.txt", only=["new.txt"])
    assert "new.txt" in upload and "old.pdf" not in upload and "kb-msg-warn" not in upload
    assert files_named(["a.txt", "b.txt"]) == "a.txt, b.txt"
    assert files_named([f"minutes-{n}.txt" for n in range(15)]) == "15 files"


def test_abstained_answer_says_the_documents_do_not_cover_it():
    empty = Answer("q", "No passage answers this.", True)
    assert NOT_COVERED in answer_html(empty.answer, True)
    assert NOT_COVERED in sources_html(empty)
    # kb's own abstention is not said twice ("don't cover this. ... do not cover this question")
    bubble = answer_html(ABSTAIN_TEXT, True)
    assert NOT_COVERED in bubble and "cover this question" not in bubble and "nothing is quoted or cited" in bubble


def test_document_view_focuses_the_chosen_citation():
    text = "First sentence. <i>Second</i> sentence. Third."
    html = document_html("T", "t.txt", text, [Span(0, 15, 1), Span(16, 39, 2)], focus=2)
    assert html.count('id="kb-focus"') == 1
    assert re.search(r'<mark class="kb-mark" data-n="2" id="kb-focus">&lt;i&gt;Second', html)


def test_a_document_changed_since_the_answer_marks_only_the_passages_it_still_holds():
    """The answer's spans are the old index's: applied to the re-indexed text they marked "Kestrel project overview,
    revised edition. The" as the passage quoted for the budget. A passage still there is marked where it now is;
    one the text no longer holds is not marked, and the overlay says so."""
    old = "The Kestrel project budget is 9 million euros. The board met in Lisbon."
    cited = [(0, 46, 1, "The Kestrel project budget is 9 million euros."), (47, 71, 2, "The board met in Lisbon.")]
    assert spans_in(old, cited) == ([Span(0, 46, 1), Span(47, 71, 2)], [])
    new = "Kestrel project overview, revised edition. The board met in Lisbon. The budget was cut to 2 million euros."
    spans, gone = spans_in(new, cited)
    assert gone == [1] and spans == [Span(43, 67, 2)] and new[43:67] == "The board met in Lisbon."
    html = document_html("Kestrel", "x.txt", new, spans, focus=None,
                         notice="x.txt changed since this answer: it no longer holds the passage quoted as [1].")
    assert 'class="kb-doc-notice"' in html and "no longer holds the passage quoted as [1]" in html
    assert 'data-n="1"' not in html and 'id="kb-focus"' not in html


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
    first = save_upload(upload, "../../x.txt", sources, max_bytes=1000).path
    (sources / "y.txt").mkdir()  # a folder holds the name: never replaced, the upload goes beside it
    second = save_upload(upload, "/abs/path/y.txt", sources, max_bytes=1000).path
    assert first == sources / "x.txt" and second == sources / "y-1.txt"
    assert _all_files(tmp_path) - before == {first, second}
    with pytest.raises(UsageError, match="limit"):
        save_upload(upload, "big.txt", sources, max_bytes=5)
    with pytest.raises(UsageError, match="not accepted"):
        save_upload(upload, "../evil.sh", sources, max_bytes=1000)
    assert _all_files(tmp_path) - before == {first, second}


def test_an_upload_named_like_a_document_replaces_it_and_the_earlier_version_is_recoverable(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "budget.txt").write_text("Revenue was 4.1 million.", encoding="utf-8")
    newer, same = tmp_path / "newer.txt", tmp_path / "same.txt"
    newer.write_text("Revenue was 4.6 million.", encoding="utf-8")
    same.write_text("Revenue was 4.6 million.", encoding="utf-8")
    saved = save_upload(newer, "budget.txt", sources, max_bytes=1000)
    # One version under the name, so the superseded figure can no longer be cited beside the current one.
    assert saved.path == sources / "budget.txt" and fingerprint(sources).keys() == {"budget.txt"}
    assert saved.path.read_text(encoding="utf-8") == "Revenue was 4.6 million."
    assert saved.replaced.parent == (sources / TRASH).resolve()
    assert saved.replaced.read_text(encoding="utf-8") == "Revenue was 4.1 million."
    again = save_upload(same, "budget.txt", sources, max_bytes=1000)  # the same bytes: nothing written or trashed
    assert again.unchanged and again.replaced is None and len(list((sources / TRASH).iterdir())) == 1
    # Undo: the earlier version takes its name back, the newer one goes to the trash in turn.
    assert restore_source(saved.replaced, "budget.txt", sources, replace=True) == (sources / "budget.txt").resolve()
    assert (sources / "budget.txt").read_text(encoding="utf-8") == "Revenue was 4.1 million."
    assert sorted(p.read_text(encoding="utf-8") for p in (sources / TRASH).iterdir()) == ["Revenue was 4.6 million."]


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


def test_undo_restores_from_the_trash_without_overwriting(tmp_path):
    sources = tmp_path / "sources"
    (sources / "sub").mkdir(parents=True)
    (sources / "sub" / "a.txt").write_text("original", encoding="utf-8")
    moved = delete_source("sub/a.txt", sources)
    assert restore_source(moved, "sub/a.txt", sources) == (sources / "sub" / "a.txt").resolve()
    assert (sources / "sub" / "a.txt").read_text() == "original" and not moved.exists()
    moved = delete_source("sub/a.txt", sources)
    (sources / "sub" / "a.txt").write_text("newer", encoding="utf-8")  # same name added meanwhile: kept
    # Restored beside it as a-1.txt, the older version was cited as if current: refused, and it stays in the trash.
    with pytest.raises(UsageError, match="a newer sub/a.txt was added since"):
        restore_source(moved, "sub/a.txt", sources)
    assert moved.read_text() == "original" and sorted(p.name for p in (sources / "sub").iterdir()) == ["a.txt"]
    assert (sources / "sub" / "a.txt").read_text() == "newer"
    (sources / "sub" / "a.txt").unlink()
    restored = restore_source(moved, "sub/a.txt", sources)
    assert restored.read_text() == "original"
    outside = tmp_path / "outside.txt"
    outside.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError):
        restore_source(outside, "b.txt", sources)  # only files in the trash
    with pytest.raises(UsageError):
        restore_source(moved, "a.txt", sources)  # already restored
    assert outside.exists()


def test_discard_upload_removes_only_a_file_in_the_sources_folder(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "x.pdf").write_bytes(b"%PDF-broken")
    (tmp_path / "keep.pdf").write_bytes(b"keep")
    discard_upload("x.pdf", sources)
    assert not (sources / "x.pdf").exists()
    with pytest.raises(UsageError):
        discard_upload("../keep.pdf", sources)
    assert (tmp_path / "keep.pdf").exists()


def test_an_upload_saved_under_another_name_or_unchanged_says_so(make_kb, tmp_path):
    from ui.service import KBService

    kb = make_kb({"mole.txt": "Moles\n\nMoles dig tunnels."})
    upload = tmp_path / "upload.txt"
    upload.write_text("Moles again\n\nMoles eat worms.", encoding="utf-8")
    same = tmp_path / "same.txt"
    same.write_text("Moles\n\nMoles dig tunnels.", encoding="utf-8")
    out = KBService(kb).save_uploads([(str(same), "mole.txt"), (str(upload), "my notes?.txt")])
    assert out.errors == [] and out.saved == ["my notes.txt"] and out.replaced == []
    assert out.notes == ["mole.txt is already there with the same content: nothing changed",
                         "my notes?.txt was saved as my notes.txt: its name held characters a file name should not"]
    out = KBService(kb).save_uploads([(str(upload), "mole.txt")])
    assert out.saved == ["mole.txt"] and out.notes == [] and [name for name, _ in out.replaced] == ["mole.txt"]
    assert (kb.settings.sources / "mole.txt").read_text(encoding="utf-8") == "Moles again\n\nMoles eat worms."
    upper = tmp_path / "Doc.TXT"
    upper.write_text("Voles\n\nVoles eat grass.", encoding="utf-8")
    out = KBService(kb).save_uploads([(str(upper), "Doc.TXT")])
    assert out.saved == ["Doc.txt"] and out.notes == []  # a suffix's case is no news


def test_an_unreadable_new_version_or_a_second_file_of_one_name_replaces_nothing(make_kb, tmp_path):
    """A new version the indexer cannot read used to replace the document, be indexed (so the document left the
    index: "removed 1" under a green check), then be swapped back; two files of one name in one upload made Undo
    restore the first of them, never indexed, instead of the document. Both are refused up front."""
    from ui.service import KBService

    kb = make_kb({"notes.txt": "Budget\n\nRevenue was 4.2 million euros."})
    blank, v2, v3 = tmp_path / "blank.txt", tmp_path / "v2.txt", tmp_path / "v3.txt"
    blank.write_text("   \n\n  ", encoding="utf-8")
    v2.write_text("Budget\n\nRevenue was 6.8 million euros.", encoding="utf-8")
    v3.write_text("Budget\n\nRevenue was 9.9 million euros.", encoding="utf-8")
    service = KBService(kb)
    out = service.save_uploads([(str(blank), "notes.txt")])
    assert out.saved == [] and out.replaced == []
    assert out.errors == ["notes.txt was not replaced: no text to index (empty or whitespace only); the earlier "
                          "version is kept"]
    assert (kb.settings.sources / "notes.txt").read_text(encoding="utf-8").endswith("4.2 million euros.")
    assert not (kb.settings.sources / TRASH).exists()
    out = service.save_uploads([(str(v2), "notes.txt"), (str(v3), "notes.txt")])
    assert out.saved == ["notes.txt"] and len(out.replaced) == 1
    assert out.errors == ["notes.txt: another file of this name is in the same upload; it was not added"]
    assert out.replaced[0][1].read_text(encoding="utf-8").endswith("4.2 million euros.")  # what Undo brings back
    assert (kb.settings.sources / "notes.txt").read_text(encoding="utf-8").endswith("6.8 million euros.")


def test_service_reports_failed_files_and_the_status_is_not_green(make_kb):
    from ui.service import KBService

    kb = make_kb({"good.txt": "Good notes\n\nThe heron nests by the mill pond.", "bad.pdf": b"%PDF-1.4 broken"})
    service = KBService(kb)
    service.rebuild()
    assert [f.source for f in service.failures()] == ["bad.pdf"]
    text, kind, _ = service.status()
    assert kind == "warn" and "1 file not indexed" in text
    trashed = service.delete("bad.pdf")
    assert service.failures() == [] and service.status()[1] == "ok"  # removed: no longer listed
    service.restore(trashed, "bad.pdf")
    assert [f.source for f in service.failures()] == ["bad.pdf"]


def test_a_document_whose_file_is_already_gone_can_still_be_removed_from_the_index(make_kb):
    """Removed from the folder outside the UI (no watcher), it was refused ("'hidden.md' is not a file in the sources
    folder") and stayed citable; now there is nothing to move, and the rebuild drops it."""
    from ui.service import KBService
    from kb.errors import UsageError

    kb = make_kb({"a.txt": "Herons\n\nThe heron nests by the mill pond.", "b.txt": "Owls\n\nThe owl sleeps by day."})
    service = KBService(kb)
    service.rebuild()
    (kb.settings.sources / "b.txt").unlink()
    assert service.delete("b.txt") is None
    service.rebuild()
    assert [d.source for d in kb.documents()] == ["a.txt"]
    with pytest.raises(UsageError):  # a name the index never held is still refused
        service.delete("never.txt")


def test_upload_widget_accepts_what_the_indexer_reads():
    from kb.sources import SUPPORTED_SUFFIXES

    assert set(ALLOWED_SUFFIXES) == set(SUPPORTED_SUFFIXES)
    for suffix in SUPPORTED_SUFFIXES:
        assert safe_name(f"doc{suffix.upper()}") == f"doc{suffix}"


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
    # A name's number is part of it: "(Well)" alone left the follow-up about every well.
    well = [("Which well had the violation?", "Four nitrate samples from Well 4 were analyzed late. [1]")]
    assert contextualize("Which plant treats its water?", well).startswith("Which plant treats its water? (Well 4")


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
    from ui.app import launch
    from ui.service import KBService

    kb = copy_of(seed_kb, tmp_path_factory.mktemp("ui-api"))
    port = free_port()
    demo = launch(KBService(kb), port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", kb
    demo.close()


def test_ask_endpoint_returns_the_answer_json(api_server, seed_kb, capfd):
    from gradio_client import Client

    url, served = api_server
    client = Client(url, verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    result = client.predict("Who analyzed the letter published by Osechkin?", api_name="/ask")
    expected = seed_kb.ask("Who analyzed the letter published by Osechkin?").to_json()
    # the JSON of `kb ask --json`: it had no changed_since_indexed
    assert set(result) == set(expected) | {"changed_since_indexed"} and result["changed_since_indexed"] == []
    assert result["answer"] == expected["answer"] and result["citations"] == expected["citations"]
    capfd.readouterr()
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", api_name="/ask")
    assert "Traceback" not in capfd.readouterr().err  # a refused question is the caller's, not a server fault
    cited = served.indexed_from() / result["citations"][0]["source"]  # the folder it compares with
    text = cited.read_bytes()
    try:
        cited.write_bytes(text + b"\nA sentence added after indexing.\n")
        again = client.predict("Who analyzed the letter published by Osechkin?", api_name="/ask")
        assert again["changed_since_indexed"] == [result["citations"][0]["source"]]
    finally:
        cited.write_bytes(text)


def test_auth_protects_the_server(seed_kb, tmp_path):
    from gradio_client import Client

    from ui.app import launch
    from ui.service import KBService

    kb = copy_of(seed_kb, tmp_path)
    port = free_port()
    demo = launch(KBService(kb), port=port,
                  auth=("ann", "s3cret"), prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(Exception):
            Client(url, verbose=False).predict("Who analyzed the letter published by Osechkin?", api_name="/ask")
        result = Client(url, auth=("ann", "s3cret"), verbose=False).predict("What does FSB stand for?", api_name="/ask")
        assert result["citations"]
    finally:
        demo.close()
