"""Source folders written by someone hostile: a file swapped for a symlink mid-build, a PDF decompression bomb.

Issue 14.2: the scan checked a file was not a link, the reader opened it later by path; a file swapped for a
symlink to a 0600 file outside the folder in between got that file indexed in 5 of 13 builds.
Issue 14.3: a 20 KB PDF whose pages share one compressed content stream extracted to 52 MB of text.
"""

from __future__ import annotations

import io
import os
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from kb.errors import SourceError
from kb.sources import ReadLimits, parse_document
from pdf_factory import make_shared_stream_pdf
from reliability_support import one_line, write_files

SECRET = "ZQX-SECRET-7731 the vault code is in this private file"
SWAP_TEXT = "Swap notes\n\nThe swap file talks about the Brannock lighthouse lamp."


def _index_bytes(index: Path) -> bytes:
    """Everything the index folder holds (SQLite, FAISS, manifests of every version), for a plain byte search."""
    return b"".join(p.read_bytes() for p in index.rglob("*") if p.is_file())


@pytest.mark.slow
def test_file_swapped_for_symlink_during_builds_never_leaks(tmp_path):
    from kb import KnowledgeBase

    secret = tmp_path / "private" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    secret.chmod(0o600)
    sources = tmp_path / "sources"
    write_files(sources, {"a.txt": "Alpha\n\nThe alpha file is about pears.", "swap.txt": SWAP_TEXT})
    staging = tmp_path / "staging"  # same file system, outside the sources folder: renames are atomic swaps
    staging.mkdir()
    kb = KnowledgeBase(sources, tmp_path / "index")

    stop = threading.Event()
    swaps = 0

    def swapper() -> None:
        nonlocal swaps
        link, real = staging / "link", staging / "real"
        while not stop.is_set():
            os.symlink(secret, link)
            os.replace(link, sources / "swap.txt")
            time.sleep(0.003)
            real.write_text(SWAP_TEXT)
            os.replace(real, sources / "swap.txt")
            time.sleep(0.003)
            swaps += 1

    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    outcomes: dict[str, int] = {}
    try:
        for _ in range(50):
            report = kb.build(full=True)
            errors = {e.source: e.error for e in report.errors}
            assert all(one_line(e) for e in errors.values())
            # swap.txt is always there (renames are atomic): indexed, or skipped with a reason.
            assert ("swap.txt" in report.added) != ("swap.txt" in errors), (report.added, errors)
            key = "indexed" if "swap.txt" in report.added else errors["swap.txt"].split(";")[0]
            outcomes[key] = outcomes.get(key, 0) + 1
            text = kb.document_text("swap.txt")
            assert text is None or text == SWAP_TEXT
            assert SECRET.encode() not in _index_bytes(tmp_path / "index")
    finally:
        stop.set()
        thread.join()
    assert swaps > 50, "the swapper must have run during the builds"
    print(f"\n50 builds, {swaps} swaps: {outcomes}")


def test_pdf_bomb_stops_at_the_text_limit_with_bounded_memory():
    pages, lines = 560, 1250
    bomb = make_shared_stream_pdf(pages, lines)
    # What the file would extract to without a limit: every page draws the same ~100 KB of text.
    from pypdf import PdfReader

    per_page = len(PdfReader(io.BytesIO(bomb)).pages[0].extract_text())
    assert len(bomb) < 100_000 and pages * per_page > 50 * 1024 * 1024
    limits = ReadLimits(max_text_chars=int(0.5 * 1024 * 1024))
    tracemalloc.start()
    try:
        with pytest.raises(SourceError) as caught:
            parse_document(bomb, "bomb.pdf", ".pdf", limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value) == "extracted text over 0.5 MB limit (setting max_text_mb)"
    # Extraction stopped a few pages in: memory is a small multiple of the limit, not of the 52 MB of text.
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB"


def test_pdf_page_limit_refuses_before_extracting():
    with pytest.raises(SourceError, match=r"^PDF has 560 pages, over the 100 page limit \(setting max_pages\)$"):
        parse_document(make_shared_stream_pdf(560, 1250), "bomb.pdf", ".pdf", ReadLimits(max_pages=100))


def test_pdf_bomb_in_a_build_is_one_skip_line(tmp_path):
    from reliability_support import TINY_CORPUS, run_cli

    sources = tmp_path / "sources"
    write_files(sources, {**TINY_CORPUS, "bomb.pdf": make_shared_stream_pdf(560, 1250)})
    (sources / "kb.toml").write_text("[kb]\nmax_text_mb = 0.5\n")
    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(tmp_path / "index")])
    assert code == 0 and out.startswith(f"added {len(TINY_CORPUS)},")
    assert err.strip() == "skipped bomb.pdf: extracted text over 0.5 MB limit (setting max_text_mb)"


def test_a_long_run_of_letters_in_a_pdf_is_read_in_one_pass():
    """A text layer can hold any run of characters. The line-end rejoining once tried every letter of a run as the
    start of a hyphenated word (80,000 letters: 34 s, growing with the square); now only word starts. The guard is a
    hang guard, hundreds of times the expected time, not a speed check (benchmarks measure speed)."""
    from kb.sources.pdf import join_broken_words

    text = "a" * 2_000_000 + "-\nb " + "x" * 1_000_000
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(join_broken_words(text)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert result == ["a" * 2_000_000 + "b\n" + "x" * 1_000_000]
