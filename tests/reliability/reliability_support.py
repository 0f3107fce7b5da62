"""Helpers shared by the reliability suite: a tiny corpus, hand-made PDFs, the CLI in-process, index checks.

The corpus is deliberately tiny (a handful of chunks) so that every build, including the many killed and
repeated ones, costs well under a second of embedding on two cores.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from paths import write_files  # noqa: F401  (re-exported for the suite)
from pdf_factory import make_pdf

ROOT = Path(__file__).resolve().parents[2]

#: Three small documents about made-up things, so an answer can only come from the index.
TINY_CORPUS: dict[str, str] = {
    "lighthouse.txt": (
        "The Brannock lighthouse\n\n"
        "The Brannock lighthouse was built in 1874 by the engineer Mara Velt. "
        "Its lamp can be seen from 22 nautical miles away on a clear night. "
        "Keepers lived in the tower until the light was automated in 1961."
    ),
    "orchard.md": (
        "# The Quillon orchard\n\n"
        "The Quillon orchard grows forty varieties of pear on the southern slope. "
        "Its oldest tree was planted by Odile Farsen in 1902 and still bears fruit. "
        "The harvest festival is held on the second Sunday of September."
    ),
    "glacier.txt": (
        "Tessaly glacier survey\n\n"
        "Surveyors measured the Tessaly glacier in 2019 and found it had retreated 340 metres since 1990. "
        "The survey team was led by the glaciologist Ivo Brandt."
    ),
}

#: Questions the tiny corpus answers, with the document that must be cited.
TINY_QUESTIONS: dict[str, str] = {
    "Who built the Brannock lighthouse?": "lighthouse.txt",
    "Who planted the oldest tree in the Quillon orchard?": "orchard.md",
    "Who led the survey of the Tessaly glacier?": "glacier.txt",
}


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """`kb ...` in this process (the model stays loaded): exit code, stdout, stderr."""
    from kb.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def run_kb_subprocess(argv: list[str], timeout: float = 300, **kwargs) -> subprocess.Popen | subprocess.CompletedProcess:
    """`kb ...` in a fresh interpreter (for locking and crash tests that need a separate process)."""
    return subprocess.run(
        [sys.executable, "-m", "kb.cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kwargs
    )


def built_tiny_index(base: Path) -> Path:
    """``base`` with TINY_CORPUS in ``sources/`` and its index in ``index/``, built by `kb index` (module fixtures)."""
    write_files(base / "sources", TINY_CORPUS)
    code, _, err = run_cli(["index", "--sources", str(base / "sources"), "--index", str(base / "index")])
    assert code == 0, err
    return base


# -- PDFs --------------------------------------------------------------------------------------------------


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Secret text about the Brannock lamp."]))))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# -- index checks ----------------------------------------------------------------------------------------


@dataclass
class IndexState:
    version: str
    documents: dict[str, str]  # source -> sha256
    chunks_per_document: dict[str, int]
    chunk_count: int


def _milvus_under_test() -> bool:
    return os.environ.get("KB_TEST_STORE", "faiss") != "faiss"


def _backend(index_dir: Path):
    """The store backend of ``index_dir`` under the test's settings (KB_STORE names the Milvus database)."""
    from kb.config import load_settings
    from kb.store import open_backend

    return open_backend(load_settings({"index": index_dir}))


def index_lock(index_dir: Path):
    """Exactly the lock a running `kb index` holds, in the store under test."""
    if _milvus_under_test():
        return _backend(index_dir).lock()
    from kb.store import build_lock

    return build_lock(index_dir)


def check_index(index_dir: Path) -> IndexState:
    """Open the live version and assert its parts agree: FAISS ids == SQLite chunk ids == FTS rows == manifest.

    Every SQLite vector must also be found in FAISS (top hit with cosine ~1), so the two hold the same vectors,
    not just the same ids. Under KB_TEST_STORE=milvus the same through the store interface (tests/store_checks.py).
    """
    from kb.store import Snapshot

    if _milvus_under_test():
        from store_checks import check_version

        store = _backend(index_dir).open()
        check_version(store)
        docs = store.documents()
        return IndexState(version=store.version, documents={d.source: d.sha256 for d in docs},
                          chunks_per_document={d.source: d.chunks for d in docs}, chunk_count=store.count_chunks())

    snapshot = Snapshot.open(index_dir)
    try:
        db = snapshot.database
        faiss_ids = snapshot.vectors.ids()
        chunk_ids = db.chunk_ids()
        fts_ids = db.fts_ids()
        assert faiss_ids == chunk_ids, f"FAISS and SQLite disagree: {sorted(faiss_ids ^ chunk_ids)[:10]}"
        assert fts_ids == chunk_ids, f"FTS and chunks disagree: {sorted(fts_ids ^ chunk_ids)[:10]}"
        assert snapshot.manifest.chunks == len(chunk_ids)
        docs = db.documents()
        assert snapshot.manifest.documents == len(docs)
        ids, matrix = db.vectors(snapshot.manifest.dimension)
        for cid, vector in zip(ids, matrix):
            hits = snapshot.vectors.search(vector, 1)
            assert hits and hits[0][1] > 0.999, f"vector of chunk {cid} is not in FAISS"
        for row in db.chunks(chunk_ids).values():
            text = db.document_text(row.source)
            assert text is not None and text[row.start : row.end] == row.text, f"bad span in {row.source}"
        return IndexState(
            version=snapshot.version,
            documents={d.source: d.sha256 for d in docs},
            chunks_per_document={d.source: d.chunks for d in docs},
            chunk_count=len(chunk_ids),
        )
    finally:
        snapshot.close()


def corpus_state(folder: Path, chunk_size: int = 800, chunk_overlap: int = 120) -> dict[str, tuple[str, int]]:
    """What a correct index of ``folder`` holds: source -> (sha256, number of chunks)."""
    from kb.chunking import Chunker
    from kb.sources import read_document, scan_sources

    chunker = Chunker(chunk_size, chunk_overlap)
    files, _ = scan_sources(folder, 1 << 30)
    state = {}
    for f in files:
        document = read_document(f)
        state[f.source] = (document.sha256, len(chunker.run(document)))
    return state


def state_of(index: IndexState) -> dict[str, tuple[str, int]]:
    return {s: (h, index.chunks_per_document[s]) for s, h in index.documents.items()}


def one_line(message: str) -> bool:
    return "\n" not in message.strip() and "Traceback" not in message


def env_without_kb() -> dict[str, str]:
    """The environment minus KB_* settings, so a developer's shell cannot change what a subprocess test does
    (but KB_STORE under KB_TEST_STORE=milvus: conftest.py set it to the test's own database)."""
    keep = ("KB_STORE", "KB_TEST_STORE") if _milvus_under_test() else ()
    return {k: v for k, v in os.environ.items() if not k.startswith("KB_") or k in keep}
