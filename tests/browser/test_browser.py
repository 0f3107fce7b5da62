"""The app in a real browser: Playwright driving Debian's Chromium against `kb serve` in a subprocess.

The server runs over temporary copies of seeds/ and of the session's seeds index (never the repo's folders),
on a free localhost port. Screenshots go to tmp_path only (`python -m ui.screenshots` refreshes docs/).
Skipped when /usr/bin/chromium is absent (`make browser` installs it).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from browser.serving import BOT, ask, chromium, kb_server, needs_chromium, open_app, wait_loaded
from net import free_port
from paths import seed_questions

pytestmark = needs_chromium
XSS_DOC = ("Hostile <script>window.__xss=1</script> notice\n\n"
           'The snarkleberry parade <img src=x onerror="window.__xss=2"> ${window.__xss=3} is held every May in '
           "the town of Quimperlé. <script>window.__xss=4</script>\n")
BROKEN_PDF = b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n"
SIZES = [(1360, 900), (390, 844)]
SIZE_IDS = ["desktop", "phone"]
# No sideways scrolling: the page, and the documents table inside its container.
OVERFLOW_JS = """() => {
  const s = document.scrollingElement;
  const t = document.querySelector('#kb-docs table');
  const box = t ? t.parentElement.getBoundingClientRect() : null;
  const r = t ? t.getBoundingClientRect() : null;
  return {page: s.scrollWidth - s.clientWidth,
          table: t && t.offsetParent ? Math.max(t.scrollWidth - t.parentElement.clientWidth, r.right - box.right,
                                                r.right - window.innerWidth) : null};
}"""
IN_VIEW_JS = """(id) => { const c = document.getElementById(id); if (!c) return false;
  const r = c.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight - 40; }"""


@pytest.fixture(scope="module")
def server(seed_kb, tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    sources, index = base / "sources", base / "index"
    shutil.copytree(seed_kb.settings.sources, sources)
    shutil.copytree(seed_kb.settings.index, index)
    (sources / "hostile.txt").write_text(XSS_DOC, encoding="utf-8")
    (sources / "broken.pdf").write_bytes(BROKEN_PDF)  # fails at startup: listed as failed
    with kb_server(sources, index, base / "serve.log") as url:
        yield {"url": url, "sources": sources, "base": base}


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, server):
    context, pg = open_app(browser, server["url"])
    yield pg
    context.close()


def sized_page(browser, server, size):
    return open_app(browser, server["url"], *size)


def gold(question: str) -> dict:
    rows = [r for r in seed_questions() if r["q"] == question]
    if not rows:
        pytest.skip(f"{question!r} not in seed_qa.jsonl")
    return rows[0]


def documents_tab(page) -> None:
    page.get_by_role("tab", name="Documents").click()
    page.wait_for_selector("#kb-docs table")


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_both_tabs_fit_the_width_without_sideways_scrolling(browser, server, size, tmp_path):
    context, page = sized_page(browser, server, size)
    try:
        ask(page, "Who analyzed the letter published by Osechkin?")
        page.wait_for_selector("#kb-sources .kb-card")
        assert page.evaluate(OVERFLOW_JS)["page"] <= 0
        page.screenshot(path=str(tmp_path / "ask.png"))
        documents_tab(page)
        overflow = page.evaluate(OVERFLOW_JS)
        page.screenshot(path=str(tmp_path / "documents.png"), full_page=True)
        assert overflow["page"] <= 0 and overflow["table"] is not None and overflow["table"] <= 0, overflow
        # Every indexed document's row: a title, and "indexed ... ago" with the exact time on hover.
        when = page.locator("#kb-docs time")
        assert when.count() >= 5
        for i in range(when.count()):
            assert re.fullmatch(r"just now|\d+ min ago|\d+ h ago|yesterday|\d+ days ago|\d{4}-\d\d-\d\d",
                                when.nth(i).inner_text().strip()), when.nth(i).inner_text()
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", when.nth(i).get_attribute("title"))
        if size[0] > 640:  # header cells stay on one line (the Dataframe wrapped "Passages" one letter a line)
            heights = page.eval_on_selector_all("#kb-docs th", "ths => ths.map(t => t.getBoundingClientRect().height)")
            assert max(heights) < 2 * min(heights) + 1, heights
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_citation_link_brings_its_source_card_into_view_highlighted(browser, server, size):
    context, page = sized_page(browser, server, size)
    try:
        ask(page, "Who analyzed the letter published by Osechkin?")
        answer = page.locator(BOT).last
        link = answer.locator(".kb-answer a.kb-cite").first
        href = link.get_attribute("href")
        card_id = href.lstrip("#")
        assert re.fullmatch(r"kb-card-\d+-\d+", card_id), href
        if size[0] <= 640:  # on a phone the sources sit below the chat: out of view until the click
            page.evaluate("window.scrollTo(0, 0)")
            assert not page.evaluate(IN_VIEW_JS, card_id)
        assert page.locator("#kb-sources .kb-card-focus").count() == 0
        link.click()
        page.wait_for_function(IN_VIEW_JS, arg=card_id)
        assert page.locator(f"#{card_id}").get_attribute("class").split() == ["kb-card", "kb-card-focus"]
        assert page.locator("#kb-sources .kb-card-focus").count() == 1
    finally:
        context.close()


def test_citation_of_an_earlier_answer_shows_that_answers_sources(page):
    """... under a line that says whose they are: they had read as the sources of the answer just given."""
    ask(page, "Who analyzed the letter published by Osechkin?")
    first_files = page.locator("#kb-sources .kb-file").all_inner_texts()
    assert page.locator("#kb-sources .kb-cards-for").inner_text() == (
        "For: “Who analyzed the letter published by Osechkin?”")
    ask(page, "Where is the snarkleberry parade held?")
    assert "hostile.txt" in page.locator("#kb-sources").inner_text()
    page.locator(BOT).nth(0).locator(".kb-answer a.kb-cite").first.click()
    page.wait_for_selector("#kb-sources #kb-card-0-1.kb-card-focus, #kb-sources .kb-card-focus[id^='kb-card-0-']")
    assert page.locator("#kb-sources .kb-file").all_inner_texts() == first_files
    assert page.locator("#kb-sources .kb-cards-for").inner_text() == (
        "Earlier answer: “Who analyzed the letter published by Osechkin?”")
    page.locator(BOT).nth(1).locator(".kb-answer a.kb-cite").first.click()
    page.wait_for_selector("#kb-sources .kb-card-focus[id^='kb-card-1-']")
    assert page.locator("#kb-sources .kb-cards-for").inner_text().startswith("For: “Where is the snarkl")


def test_an_example_asked_leaves_a_draft_in_the_box(page):
    """Clicking an example question overwrote what the user was typing, and it was lost."""
    page.fill("#kb-question textarea", "How many emails were there")
    page.locator("#kb-examples button:has-text('Who translated the letters?')").click()
    page.wait_for_function("() => document.querySelectorAll('#kb-chat .kb-answer').length >= 1")
    page.wait_for_function("() => document.querySelector('#kb-question textarea').value === 'How many emails were there'")
    assert "Who translated the letters?" in page.locator("#kb-chat").inner_text()


PENDING_JS = """(selector) => { const bots = document.querySelectorAll(selector); const last = bots[bots.length - 1];
  return !!last && (!!last.querySelector('.kb-caret') || last.innerText.includes('Searching your documents')); }"""


def test_a_question_sent_while_the_last_is_answered_is_asked_next(page):
    """Enter pressed while an answer was being composed did nothing: the question stayed in the box, unsent. It is
    asked once that answer is done, after it in the conversation; the example buttons rest meanwhile (a click on
    one would have answered beside the first, on the same conversation)."""
    page.fill("#kb-question textarea", "Who translated the letters?")
    page.click("#kb-ask")
    page.wait_for_function("(s) => document.querySelector('#kb-question textarea').value === '' && "
                           "document.querySelectorAll(s).length >= 1", arg=BOT)
    page.fill("#kb-question textarea", "When was the letter published?")
    page.press("#kb-question textarea", "Enter")
    if not page.evaluate(PENDING_JS, BOT):
        pytest.skip("the first answer was done before the second question was sent")
    assert page.locator("#kb-examples button.kb-example:visible").first.is_disabled()
    page.wait_for_function(f"(s) => document.querySelectorAll(s).length >= 2 && !({PENDING_JS})(s)", arg=BOT)
    questions = page.locator("#kb-chat .kb-question").all_inner_texts()
    assert questions == ["Who translated the letters?", "When was the letter published?"], questions
    assert page.locator(BOT).count() == 2
    assert page.input_value("#kb-question textarea") == ""
    assert page.locator("#kb-examples button.kb-example:visible").first.is_enabled()


def test_a_citation_followed_from_the_keyboard_takes_the_focus_to_its_card(page):
    """Enter on an [n] link highlighted its card but left the focus in the chat: a keyboard user could not step into
    the card ("Open full document"). A mouse click still leaves the focus where it was."""
    ask(page, "Who analyzed the letter published by Osechkin?")
    link = page.locator(BOT).last.locator(".kb-answer a.kb-cite").first
    card_id = link.get_attribute("href").lstrip("#")
    link.click()
    page.wait_for_selector(f"#{card_id}.kb-card-focus")
    assert page.evaluate("document.activeElement?.id") != card_id
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.activeElement?.id === '{card_id}'")
    page.keyboard.press("Tab")  # on to the card's own button
    assert page.evaluate("document.activeElement?.closest('.kb-card')?.id") == card_id


def test_one_reference_line_per_cited_document_and_follow_up_chip_after_an_answer(page):
    follow = page.locator("#kb-examples button:has-text('Where is his organization based?')")
    assert page.locator("#kb-examples button:has-text('Who translated the letters?')").is_visible()
    assert follow.count() == 0 or not follow.is_visible()  # nothing to follow up yet
    ask(page, "Who translated the letters?")
    follow.wait_for(state="visible")
    answer = page.locator(BOT).last
    refs = answer.locator(".kb-ref")
    cited = page.locator("#kb-sources .kb-card .kb-file").all_inner_texts()
    assert refs.count() == len(set(cited)) >= 1
    numbers = [t for line in refs.all_inner_texts() for t in re.findall(r"\[(\d+)\]", line)]
    assert sorted(numbers, key=int) == [str(i) for i in range(1, len(cited) + 1)]  # each citation once
    assert re.fullmatch(r"Confidence \d{1,3}%", answer.locator(".kb-confidence").inner_text().strip())
    follow.click()
    page.wait_for_function(f"() => document.querySelectorAll(\"{BOT}\").length >= 2 && "
                           f"!document.querySelector('#kb-chat .kb-caret')")
    page.wait_for_function("() => /Washington/.test(document.querySelector('#kb-chat').innerText)")
    page.click("#kb-clear")
    follow.wait_for(state="hidden")


def test_the_chats_own_clear_button_starts_a_new_conversation(page):
    """Its trash button emptied the chat only: the sources stayed, the follow-up chip too, and the next "his" was
    resolved against the turns the user had just cleared."""
    follow = page.locator("#kb-examples button:has-text('Where is his organization based?')")
    ask(page, "Who translated the letters?")
    follow.wait_for(state="visible")
    assert page.locator("#kb-sources .kb-card").count() >= 1
    page.locator("#kb-chat button[aria-label='Clear'], #kb-chat button[title='Clear']").first.click()
    follow.wait_for(state="hidden")
    page.wait_for_function("() => !document.querySelector('#kb-sources .kb-card')")
    assert page.locator(BOT).count() == 0


def test_a_reload_or_a_server_restart_keeps_the_conversation_until_a_new_one(browser, server, tmp_path):
    """A reload, or `kb serve` started again, lost the whole conversation: the chat, its sources and who "his"
    meant."""
    context, page = open_app(browser, server["url"])
    try:
        first = ask(page, "Who translated the letters?")
        second = ask(page, "Who analyzed the letter published by Osechkin?")
        page.reload()
        wait_loaded(page)
        page.wait_for_function("(s) => document.querySelectorAll(s).length === 2", arg=BOT)
        assert [page.locator(BOT).nth(i).inner_text() for i in range(2)] == [first, second]
        assert page.locator("#kb-sources .kb-cards-for").inner_text() == (
            "For: “Who analyzed the letter published by Osechkin?”")
        page.locator("#kb-examples button:has-text('Where is his organization based?')").wait_for(state="visible")
        page.locator(BOT).nth(0).locator(".kb-answer a.kb-cite").first.click()  # an earlier answer's cards
        page.wait_for_selector("#kb-sources .kb-card-focus[id^='kb-card-0-']")
        ask(page, "Where is his organization based?")  # "his": resolved against the turns kept
        assert page.locator(BOT).last.locator(".kb-query").inner_text().startswith("searched for: ")
        page.locator("#kb-clear").click()
        page.wait_for_function("(s) => document.querySelectorAll(s).length === 0", arg=BOT)
        page.reload()
        wait_loaded(page)
        page.wait_for_timeout(1500)
        assert page.locator(BOT).count() == 0 and page.locator("#kb-sources .kb-card").count() == 0
    finally:
        context.close()

    # Another server over the same index, on the same address (a restart), shows the conversation kept before.
    base = tmp_path / "restart"
    sources, index = base / "sources", base / "index"
    shutil.copytree(server["sources"], sources)
    shutil.copytree(server["base"] / "index", index)
    port = free_port()
    context = browser.new_context()
    try:
        with kb_server(sources, index, base / "first.log", port=port) as url:
            page = context.new_page()
            page.set_default_timeout(90_000)
            page.goto(url)
            wait_loaded(page)
            answer = ask(page, "Who translated the letters?")
        with kb_server(sources, index, base / "second.log", port=port) as url:
            page.goto(url)
            wait_loaded(page)
            page.wait_for_function("(s) => document.querySelectorAll(s).length === 1", arg=BOT)
            assert page.locator(BOT).first.inner_text() == answer
    finally:
        context.close()


def test_full_document_opens_in_a_view_that_closes(page):
    row = gold("Who analyzed the letter published by Osechkin?")
    answer = ask(page, "Who analyzed the letter published by Osechkin?")
    assert re.search(r"\[\d+\]", answer) and any(a in answer for a in row["answers"]), answer
    files = page.locator("#kb-sources .kb-card .kb-file").all_inner_texts()
    assert any(f.startswith(tuple(row["sources"])) for f in files), files
    for close in ("button", "escape"):
        page.locator("#kb-sources button.kb-open").first.click()
        overlay = page.locator("#kb-docview .kb-doc-overlay")
        overlay.wait_for(state="visible")
        assert page.locator("#kb-docview .kb-doc-text").inner_text().strip()
        page.wait_for_function("""() => { const m = document.querySelector('#kb-docview mark#kb-focus');
            const box = document.querySelector('#kb-docview .kb-doc-text'); if (!m || !box) return false;
            const a = m.getBoundingClientRect(), b = box.getBoundingClientRect();
            return a.top >= b.top - 1 && a.top <= b.bottom; }""")
        if close == "button":
            page.click("#kb-docview .kb-doc-close")
        else:
            page.keyboard.press("Escape")
        page.wait_for_function("() => { const o = document.querySelector('#kb-docview .kb-doc-overlay'); "
                               "return !o || o.offsetParent === null; }")


def test_html_in_documents_and_questions_is_shown_as_text(page):
    question = 'Where is the snarkleberry parade held? <img src=x onerror="window.__xss=5"><script>window.__xss=6</script>'
    answer = ask(page, question)
    assert "Quimperl" in answer, answer
    page.wait_for_selector("#kb-sources .kb-card")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#kb-chat img[src='x']").count() == 0
    assert "<img src=x onerror=\"window.__xss=5\">" in page.locator("#kb-chat").inner_text()
    sources_text = page.locator("#kb-sources").inner_text()
    assert "<script>window.__xss=1</script>" in sources_text and "${window.__xss=3}" in sources_text
    page.locator("#kb-sources button.kb-open").first.click()
    page.wait_for_selector("#kb-docview mark#kb-focus")
    assert "<script>window.__xss=4</script>" in page.locator("#kb-docview").inner_text()
    page.keyboard.press("Escape")
    documents_tab(page)
    assert "<script>window.__xss=1</script>" in page.locator("#kb-docs").inner_text()
    assert page.evaluate("window.__xss") is None


def test_a_question_over_the_limit_stays_in_the_box_and_is_not_echoed(page):
    too_long = "Who analyzed the letter? " + "x" * 2100
    note = ask(page, too_long)
    assert "the limit is 2000" in note
    assert page.input_value("#kb-question textarea") == too_long  # kept, to be shortened
    assert "x" * 100 not in page.locator("#kb-chat").inner_text()  # no bubble filled with the rejected text


EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]")


def test_no_emoji_anywhere(page):
    ask(page, "Who analyzed the letter published by Osechkin?")
    texts = [page.locator("body").inner_text()]
    documents_tab(page)
    texts.append(page.locator("body").inner_text())
    assert not EMOJI.findall("".join(texts))


def delete_row(page, name: str) -> None:
    page.locator(f"#kb-docs button.kb-del[data-source='{name}']").click()
    page.locator("#kb-confirm").wait_for(state="visible")
    assert name in page.locator("#kb-confirm").inner_text()


def test_on_a_phone_the_page_opens_at_its_header_and_a_delete_confirmation_comes_into_view(browser, server):
    """On a phone, autofocus on the question box scrolled the page 556 px down on load, past the header and the tabs;
    and the delete confirmation, below the whole documents list, showed at y=2164 of 844, so the bin button seemed
    to do nothing."""
    context, page = sized_page(browser, server, (390, 844))
    try:
        page.wait_for_timeout(500)
        assert page.evaluate("window.scrollY") == 0
        assert page.get_by_role("tab", name="Documents").is_visible()
        documents_tab(page)
        page.locator("#kb-docs button.kb-del").first.click()
        page.locator("#kb-confirm").wait_for(state="visible")
        page.wait_for_function("() => { const r = document.querySelector('#kb-confirm').getBoundingClientRect(); "
                               "return r.top >= 0 && r.bottom <= window.innerHeight; }")
        page.wait_for_function("() => document.activeElement?.id === 'kb-cancel-delete'")
        page.keyboard.press("Enter")  # Cancel: nothing deleted
        page.locator("#kb-confirm").wait_for(state="hidden")
    finally:
        context.close()


def test_upload_delete_with_confirmation_then_undo(page, server, tmp_path):
    fact = tmp_path / "quokka facts.txt"
    fact.write_text("Quokka register\n\nThe quokka named Brindlewick has lived on Rottnest Island since 2019.\n",
                    encoding="utf-8")
    sources = server["sources"]
    documents_tab(page)
    page.locator("#kb-upload input[type=file]").set_input_files(str(fact))
    page.wait_for_function("() => /Index updated/.test(document.querySelector('#kb-build-summary').innerText)")
    assert page.locator("#kb-build-summary .kb-msg-ok").count() == 1
    assert (sources / "quokka facts.txt").is_file()
    assert "quokka facts.txt" in page.locator("#kb-docs").inner_text()

    page.get_by_role("tab", name="Ask").click()
    assert "Rottnest" in ask(page, "Where does the quokka Brindlewick live?")

    documents_tab(page)
    delete_row(page, "quokka facts.txt")
    page.click("#kb-cancel-delete")  # a cancelled delete changes nothing
    page.locator("#kb-confirm").wait_for(state="hidden")
    assert (sources / "quokka facts.txt").is_file()
    delete_row(page, "quokka facts.txt")
    page.click("#kb-confirm-delete")
    page.locator("#kb-undo").wait_for(state="visible")
    page.wait_for_function("() => !/quokka facts/.test(document.querySelector('#kb-docs').innerText)")
    assert not (sources / "quokka facts.txt").exists()
    assert [p.name.endswith("quokka facts.txt") for p in (sources / ".kb-trash").iterdir()].count(True) == 1

    page.get_by_role("tab", name="Ask").click()
    assert "don’t cover" in ask(page, "Where does the quokka Brindlewick live?")

    documents_tab(page)
    page.click("#kb-undo")
    page.wait_for_function("() => /quokka facts\\.txt/.test(document.querySelector('#kb-docs').innerText)")
    assert (sources / "quokka facts.txt").read_text(encoding="utf-8") == fact.read_text(encoding="utf-8")
    assert not any(p.name.endswith("quokka facts.txt") for p in (sources / ".kb-trash").iterdir())
    page.locator("#kb-undo").wait_for(state="hidden")
    page.get_by_role("tab", name="Ask").click()
    assert "Rottnest" in ask(page, "Where does the quokka Brindlewick live?")


def test_an_upload_named_like_a_document_replaces_it_with_undo_and_an_unreadable_one_does_not(page, server, tmp_path):
    sources = server["sources"]
    older, newer, broken = tmp_path / "v1", tmp_path / "v2", tmp_path / "v3"
    for path, text in ((older, "The heron Tallowmere nests by the mill pond."),
                       (newer, "The heron Tallowmere nests by the old weir.")):
        path.mkdir()
        (path / "heron notes.txt").write_text(f"Heron register\n\n{text}\n", encoding="utf-8")
    broken.mkdir()
    (broken / "heron notes.txt").write_bytes(b"\x00\x01binary\x00" * 200)

    def upload(folder: Path, expect: str) -> str:
        documents_tab(page)
        page.locator("#kb-upload input[type=file]").set_input_files(str(folder / "heron notes.txt"))
        page.wait_for_function(f"() => /{expect}/.test(document.querySelector('#kb-build-summary').innerText)")
        return page.locator("#kb-build-summary").inner_text()

    def answer() -> str:
        page.get_by_role("tab", name="Ask").click()
        return ask(page, "Where does the heron Tallowmere nest?")

    upload(older, "Index updated")
    assert "mill pond" in answer()
    summary = upload(newer, "Replaced heron notes")
    assert "press Undo" in summary and page.locator("#kb-undo").inner_text() == "Undo replace"
    assert sorted(p.name for p in sources.glob("heron*")) == ["heron notes.txt"]  # one version, not heron notes-1
    assert page.locator("#kb-docs").inner_text().count("heron notes.txt") == 1
    said = answer()
    assert "old weir" in said and "mill pond" not in said  # the superseded sentence is no longer citable
    documents_tab(page)
    page.click("#kb-undo")
    page.wait_for_function("() => /Restored the earlier version/.test("
                           "document.querySelector('#kb-build-summary').innerText)")
    assert "mill pond" in (sources / "heron notes.txt").read_text(encoding="utf-8")
    assert "mill pond" in answer()
    summary = upload(broken, "not replaced")  # unreadable: refused, the version it would replace stays indexed
    assert "the earlier version is kept" in summary and "binary content" in summary
    assert "mill pond" in (sources / "heron notes.txt").read_text(encoding="utf-8")
    assert "Replaced" not in summary and "removed" not in summary
    assert "mill pond" in answer()


def test_failed_upload_is_reported_as_failed_and_not_kept(page, server, tmp_path):
    bad = tmp_path / "report draft.pdf"
    bad.write_bytes(BROKEN_PDF)
    documents_tab(page)
    page.locator("#kb-upload input[type=file]").set_input_files(str(bad))
    page.wait_for_function("() => /could not be indexed/.test(document.querySelector('#kb-build-summary').innerText)")
    summary = page.locator("#kb-build-summary").inner_text()
    assert "report draft.pdf was not added: corrupt or unreadable PDF" in summary, summary
    assert page.locator("#kb-build-summary .kb-msg-ok").count() == 0
    assert "Index updated" not in summary
    assert not (server["sources"] / "report draft.pdf").exists()
    assert "report draft.pdf" not in page.locator("#kb-docs").inner_text()


def test_failed_file_is_listed_with_its_reason_and_removable(page, server):
    documents_tab(page)
    row = page.locator("#kb-docs tr.kb-failed", has_text="broken.pdf")
    assert "corrupt or unreadable PDF" in row.inner_text()
    delete_row(page, "broken.pdf")
    page.click("#kb-confirm-delete")
    page.wait_for_function("() => !/broken\\.pdf/.test(document.querySelector('#kb-docs').innerText)")
    assert not (server["sources"] / "broken.pdf").exists()
    page.click("#kb-undo")  # undo brings the file back, and with it its failure line
    page.wait_for_function("() => /broken\\.pdf/.test(document.querySelector('#kb-docs').innerText)")
    assert (server["sources"] / "broken.pdf").read_bytes() == BROKEN_PDF
    assert page.locator("#kb-build-summary .kb-msg-ok").count() == 0


def test_rejected_file_type_does_not_leave_the_upload_widget_in_error(page, server, tmp_path):
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ\x90\x00")
    documents_tab(page)
    page.locator("#kb-upload input[type=file]").set_input_files(str(bad))
    page.wait_for_selector(".toast-body:has-text('tool.exe')")
    page.wait_for_function("() => !document.querySelector('#kb-upload [data-testid=\"status-tracker\"] .error')")
    assert not (server["sources"] / "tool.exe").exists()
    ok = tmp_path / "walrus.txt"
    ok.write_text("Walrus log\n\nThe walrus named Obbe sleeps on the pier at Tromsø.\n", encoding="utf-8")
    page.locator("#kb-upload input[type=file]").set_input_files(str(ok))
    page.wait_for_function("() => /walrus\\.txt/.test(document.querySelector('#kb-docs').innerText)")
    accept = page.locator("#kb-upload input[type=file]").get_attribute("accept")
    from kb.sources import SUPPORTED_SUFFIXES

    assert {a.strip() for a in accept.split(",")} == set(SUPPORTED_SUFFIXES)
