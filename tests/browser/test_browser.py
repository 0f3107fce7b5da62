"""The app in a real browser: Playwright driving Debian's Chromium against `kb serve` in a subprocess.

The server runs over temporary copies of seeds/ and of the session's seeds index (never the repo's folders),
on a free localhost port. Skipped when /usr/bin/chromium is absent (`make browser` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from net import free_port, stop

from tests.conftest import ROOT, seed_questions

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed (run `make browser`)"),
]
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
XSS_DOC = ("Hostile <script>window.__xss=1</script> notice\n\n"
           'The snarkleberry parade <img src=x onerror="window.__xss=2"> ${window.__xss=3} is held every May in '
           "the town of Quimperlé. <script>window.__xss=4</script>\n")
TIMEOUT = 90_000  # ms: a first question loads the model in the server


@pytest.fixture(scope="module")
def server(seed_kb, tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    sources, index = base / "sources", base / "index"
    shutil.copytree(seed_kb.settings.sources, sources)
    shutil.copytree(seed_kb.settings.index, index)
    (sources / "hostile.txt").write_text(XSS_DOC, encoding="utf-8")
    port = free_port()
    log = (base / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "serve", "--sources", str(sources), "--index", str(index), "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"kb serve exited: {(base / 'serve.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    yield {"url": url, "sources": sources, "base": base}
    stop(proc, timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROME_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(server["url"])
    pg.wait_for_selector("#kb-question textarea")
    # Wait until the startup build (it adds hostile.txt) is done.
    pg.wait_for_function("() => { const s = document.querySelector('#kb-status'); "
                         "return s && /documents/.test(s.innerText) && !/Building/.test(s.innerText); }")
    yield pg
    context.close()


BOT = "#kb-chat [data-testid='bot']"


def ask(page, question: str) -> str:
    """Ask in the chat; returns the text of the new answer bubble once it is complete."""
    before = page.locator(BOT).count()
    page.fill("#kb-question textarea", question)
    page.click("#kb-ask")
    page.wait_for_function(
        """([selector, before]) => { const bots = document.querySelectorAll(selector);
            if (bots.length <= before) return false; const t = bots[bots.length - 1].innerText;
            return !t.includes('▍') && !t.includes('Searching your documents'); }""",
        arg=[BOT, before])
    return page.locator(BOT).nth(page.locator(BOT).count() - 1).inner_text()


def gold(question: str) -> dict:
    rows = [r for r in seed_questions() if r["q"] == question]
    if not rows:
        pytest.skip(f"{question!r} not in seed_qa.jsonl")
    return rows[0]


def test_cited_answer_sources_panel_document_view_and_screenshot(page):
    row = gold("Who verified the letter?")
    page.click("#kb-examples button:has-text('Who verified the letter?')")
    page.wait_for_selector("#kb-sources .kb-card")
    bots = page.locator("#kb-chat [data-testid='bot']")
    page.wait_for_function("() => !document.querySelector('#kb-chat').innerText.includes('▍')")
    answer = bots.nth(bots.count() - 1).inner_text()
    files = page.locator("#kb-sources .kb-card .kb-file").all_inner_texts()
    assert any(f.startswith(tuple(row["sources"])) for f in files), files
    assert page.locator("#kb-sources mark.kb-mark").count() >= 1
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))
    page.locator("#kb-sources button.kb-open").first.click()
    page.wait_for_selector("#kb-docview mark#kb-focus")
    assert page.locator("#kb-docview .kb-doc-text").inner_text().strip()
    # The viewer scrolled itself so that the cited sentence is visible.
    assert page.locator("#kb-docview mark#kb-focus").is_visible()
    page.wait_for_function("""() => { const m = document.querySelector('#kb-docview mark#kb-focus');
        let box = m.parentElement; while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
        if (!box || box === document.body) return true;
        const a = m.getBoundingClientRect(), b = box.getBoundingClientRect();
        return a.top >= b.top - 1 && a.bottom <= b.bottom + 1; }""")
    assert re.search(r"\[\d+\]", answer), answer
    assert any(a in answer for a in row["answers"]), answer


def test_follow_up_question_uses_the_conversation(page):
    ask(page, "Who translated the letters?")
    answer = ask(page, "Where is his organization based?")
    assert "Washington" in answer, answer


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
    page.get_by_role("tab", name="Documents").click()
    page.wait_for_selector("#kb-docs")
    assert "<script>window.__xss=1</script>" in page.locator("#kb-docs").inner_text()
    assert page.evaluate("window.__xss") is None


def test_upload_ask_delete_rebuild(page, server, tmp_path):
    fact = tmp_path / "quokka facts.txt"
    fact.write_text("Quokka register\n\nThe quokka named Brindlewick has lived on Rottnest Island since 2019.\n",
                    encoding="utf-8")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#kb-upload input[type=file]").set_input_files(str(fact))
    page.wait_for_function("() => /Index updated/.test(document.querySelector('#kb-build-summary').innerText)")
    saved = [p.name for p in server["sources"].iterdir() if "quokka" in p.name]
    assert saved == ["quokka facts.txt"]
    assert "quokka facts.txt" in page.locator("#kb-docs").inner_text()

    page.get_by_role("tab", name="Ask").click()
    answer = ask(page, "Where does the quokka Brindlewick live?")
    assert "Rottnest" in answer, answer
    assert "quokka facts.txt" in page.locator("#kb-sources").inner_text()

    page.get_by_role("tab", name="Documents").click()
    page.locator("#kb-delete-choice input").click()
    page.locator("#kb-delete-choice input").fill("quokka")
    page.locator("[role=option]:has-text('quokka facts.txt')").first.click()
    page.click("#kb-delete")
    page.wait_for_function("() => /Deleted/.test(document.querySelector('#kb-build-summary').innerText)")
    assert not (server["sources"] / "quokka facts.txt").exists()
    page.click("#kb-rebuild")
    page.wait_for_function("() => /Index updated \\(rebuild\\)/.test("
                           "document.querySelector('#kb-build-summary').innerText)")
    assert "quokka facts.txt" not in page.locator("#kb-docs").inner_text()

    page.get_by_role("tab", name="Ask").click()
    answer = ask(page, "Where does the quokka Brindlewick live?")
    assert "Rottnest" not in answer and "don’t cover" in answer, answer
