"""Hostile file names and awkward URLs on their way to the browser.

Two defects reproduced here: the `kb serve --watch` re-index notice only reached the server console (and a file
named like an HTML tag must show as text once it reaches the page), and answers kept Markdown escapes in their
links (`secret%5C`; addresses with `_ ( )` broke). Each is checked on the HTML the server sends and, where
Chromium is installed, in the page itself.
"""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pytest

from browser.serving import CHROMIUM, ask, chromium, kb_server, open_app
from kb.types import SourceFailure
from reliability_support import TINY_CORPUS, write_files
from ui.render import answer_html, notice_html

HOSTILE_NAME = "<img src=x onerror=alert(1)>.md"
URL = "https://example.org/wiki/Brannock_(lighthouse)/logs_1874?page=keeper_notes&back=a\\b"
ARCHIVE = ("# Brannock archive\n\nThe keepers' logbooks of the Brannock lighthouse are published online at "
           f"{URL} since 2015.\n")
QUESTION = "Where are the keepers' logbooks of the Brannock lighthouse published?"
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed (make browser)")


class Tags(HTMLParser):
    """The elements and the visible text of an HTML fragment, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(fragment: str) -> Tags:
    parser = Tags()
    parser.feed(fragment)
    parser.close()
    return parser


def test_watch_notice_html_shows_a_hostile_file_name_as_text():
    html = notice_html(f"added {HOSTILE_NAME}", "added 1, updated 0",
                       [SourceFailure(HOSTILE_NAME, "no text to index <b>x</b>")], "12:00:00")
    parsed = parse(html)
    assert {tag for tag, _ in parsed.tags} <= {"div", "span", "b", "ul", "li"}
    assert not any(name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    assert HOSTILE_NAME in "".join(parsed.text) and "no text to index <b>x</b>" in "".join(parsed.text)


def test_url_with_underscores_and_parentheses_in_a_quoted_answer_stays_one_link(make_kb):
    kb = make_kb({**TINY_CORPUS, "archive.md": ARCHIVE})
    kb.build()
    answer = kb.ask(QUESTION)
    assert not answer.abstained and URL in answer.answer, answer.answer
    parsed = parse(answer_html(answer.answer, answer.abstained, answer.citations))
    links = [attrs for tag, attrs in parsed.tags if tag == "a" and "kb-link" in (attrs.get("class") or "")]
    assert [a["href"] for a in links] == [URL]
    assert URL in "".join(parsed.text) and "\\_" not in "".join(parsed.text)


@pytest.fixture(scope="module")
def watch_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("ui-watch")
    sources = base / "sources"
    write_files(sources, {**TINY_CORPUS, "archive.md": ARCHIVE})
    with kb_server(sources, base / "index", base / "serve.log", "--watch") as url:
        yield {"url": url, "sources": sources, "log": base / "serve.log"}


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@needs_browser
@pytest.mark.browser
def test_watch_notice_reaches_the_browser_with_the_file_name_as_text(watch_server, browser, tmp_path):
    context, page = open_app(browser, watch_server["url"])
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        staged = tmp_path / "staged.md"
        staged.write_text("# Pier notes\n\nThe pier at Velt harbour was rebuilt in 1931.\n", encoding="utf-8")
        shutil.copyfile(staged, watch_server["sources"] / HOSTILE_NAME)  # dropped in by hand, not uploaded
        page.wait_for_function("(name) => document.querySelector('#kb-notice').innerText.includes(name)",
                               arg=HOSTILE_NAME, timeout=60_000)
        assert page.locator("#kb-notice img").count() == 0 and page.locator("img[src='x']").count() == 0
        assert dialogs == []
        page.get_by_role("tab", name="Documents").click()
        page.wait_for_function("(name) => document.querySelector('#kb-docs').innerText.includes(name)",
                               arg=HOSTILE_NAME)
        assert page.locator("#kb-docs img").count() == 0 and dialogs == []
    finally:
        context.close()


@needs_browser
@pytest.mark.browser
def test_url_in_an_answer_is_the_same_url_in_the_page(watch_server, browser):
    context, page = open_app(browser, watch_server["url"])
    try:
        text = ask(page, QUESTION)
        assert URL in text, text
        link = page.locator("#kb-chat .kb-answer a.kb-link").last
        assert link.get_attribute("href") == URL and link.inner_text() == URL
    finally:
        context.close()
