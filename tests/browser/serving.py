"""`kb serve` in a subprocess over temporary folders, and Chromium through Playwright, for the browser tests.

Debian's Chromium (/usr/bin/chromium, `make browser`) rather than Playwright's download, which cannot work offline.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from net import free_port, stop, wait_until_ready
from paths import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
TIMEOUT = 90_000  # ms: a first question loads the model in the server
needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed (run `make browser`)"),
]


@contextlib.contextmanager
def kb_server(sources: Path, index: Path, log_path: Path, *extra: str, port: int | None = None) -> Iterator[str]:
    """Run `kb serve` on a free localhost port (or ``port``) until the block ends; yields its URL."""
    port = port or free_port()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kb.cli", "serve", "--sources", str(sources), "--index", str(index),
             "--port", str(port), *extra],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
        )
        try:
            wait_until_ready(proc, lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(),
                             "kb serve", log_path.read_text)
            yield f"http://127.0.0.1:{port}/"
        finally:
            stop(proc, timeout=20)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROME_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_app(browser, url: str, width: int = 1360, height: int = 900):
    """A new page on the app, once the startup build is done; returns (context, page)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    wait_loaded(page)
    return context, page


def wait_loaded(page) -> None:
    """Until the app is on the page and its startup build is done (after a goto or a reload)."""
    page.wait_for_selector("#kb-question textarea")
    page.wait_for_function("() => { const s = document.querySelector('#kb-status'); "
                           "return s && /documents/.test(s.innerText) && !/Building/.test(s.innerText); }")


BOT = "#kb-chat [data-testid='bot']"


def ask(page, question: str) -> str:
    """Ask in the chat; returns the text of the new answer bubble once it is complete."""
    before = page.locator(BOT).count()
    page.fill("#kb-question textarea", question)
    page.click("#kb-ask")
    page.wait_for_function(
        """([selector, before]) => { const bots = document.querySelectorAll(selector);
            if (bots.length <= before) return false; const last = bots[bots.length - 1];
            return !last.querySelector('.kb-caret') && !last.innerText.includes('Searching your documents'); }""",
        arg=[BOT, before])
    return page.locator(BOT).nth(page.locator(BOT).count() - 1).inner_text()
