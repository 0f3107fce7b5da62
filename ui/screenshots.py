"""Refresh the screenshots in docs/: ``python -m ui.screenshots`` (needs Playwright and /usr/bin/chromium).

Runs the app in this process over a temporary copy of seeds/ (its own index, built here), asks one question,
and saves both tabs at a desktop (1360x900) and a phone (390x844) size: screenshot.png (the desktop Ask tab,
the README's picture), ui-ask-phone.png, ui-documents-desktop.png, ui-documents-phone.png.
The tests never write here; this script is the only thing that does.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SIZES = {"desktop": (1360, 900), "phone": (390, 844)}
QUESTION = "Who analyzed the letter published by Osechkin?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def capture(out: Path, sources: Path, question: str = QUESTION) -> list[Path]:
    """Screenshots of both tabs at both sizes into ``out``; returns the files written."""
    from playwright.sync_api import sync_playwright

    from kb import KnowledgeBase
    from ui.app import launch
    from ui.service import KBService

    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="kb-shots-") as tmp:
        copy = Path(tmp) / "sources"
        shutil.copytree(sources, copy)
        kb = KnowledgeBase(copy, Path(tmp) / "index")
        kb.build()
        port = _free_port()
        demo = launch(KBService(kb), port=port, prevent_thread_lock=True, quiet=True)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
                for label, (width, height) in SIZES.items():
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.set_default_timeout(90_000)
                    page.goto(f"http://127.0.0.1:{port}/")
                    page.fill("#kb-question textarea", question)
                    page.click("#kb-ask")
                    page.wait_for_function("() => document.querySelector('#kb-sources .kb-card') && "
                                           "!document.querySelector('#kb-chat .kb-caret')")
                    page.locator("#kb-chat .kb-answer a.kb-cite").first.click()  # the highlighted card
                    page.wait_for_selector("#kb-sources .kb-card-focus")
                    page.wait_for_timeout(800)  # the smooth scroll
                    if label == "desktop":
                        page.evaluate("window.scrollTo(0, 0)")
                    # The desktop Ask tab is docs/screenshot.png, the README's picture.
                    written.append(out / ("screenshot.png" if label == "desktop" else f"ui-ask-{label}.png"))
                    page.screenshot(path=str(written[-1]))
                    page.get_by_role("tab", name="Documents").click()
                    page.wait_for_selector("#kb-docs table")
                    page.evaluate("window.scrollTo(0, 0)")
                    written.append(out / f"ui-documents-{label}.png")
                    page.screenshot(path=str(written[-1]))
                    page.close()
                browser.close()
        finally:
            demo.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (default: docs/)")
    parser.add_argument("--sources", type=Path, default=ROOT / "seeds", help="documents to show (default: seeds/)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in capture(args.out, args.sources):
        print(f"{path} {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
