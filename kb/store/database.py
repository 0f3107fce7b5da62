"""SQLite holds everything but the FAISS graph: documents, chunks with spans and vectors, and the FTS5 table.

It is the source of truth: FAISS is rebuilt from the vectors here, and an incremental build starts from a copy
of the previous version's database, so unchanged documents keep their chunks and vectors without re-embedding.
"""

from __future__ import annotations

import errno
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from kb.errors import IndexCorruptError
from kb.text import FTS_TOKENIZE, Sentence, fts_terms  # noqa: F401  (fts_terms: re-exported for the store)
from kb.types import Chunk, SourceDocument

SCHEMA = """
CREATE TABLE documents(
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    date TEXT,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    indexed_at TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE TABLE chunks(
    id INTEGER PRIMARY KEY,
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX chunks_by_doc ON chunks(doc_id);
-- Sentence spans with their vectors, embedded at index time so answering a question embeds only the question.
CREATE TABLE sentences(
    id INTEGER PRIMARY KEY,
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX sentences_by_span ON sentences(doc_id, start);
-- Standalone FTS5 table keyed by chunk id; its body is title + chunk text so a document's subject helps rank.
CREATE VIRTUAL TABLE chunks_fts USING fts5(body, tokenize='{tokenize}');
CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');
"""
#: FTS5 tokenizer of chunks_fts; ``fts_terms`` runs the same one, so query words can be looked up in chunks_vocab.
SCHEMA = SCHEMA.replace("{tokenize}", FTS_TOKENIZE)


@dataclass(frozen=True)
class ChunkRow:
    id: int
    source: str
    title: str
    date: str | None
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class DocumentRow:
    source: str
    title: str
    date: str | None
    sha256: str
    size: int
    indexed_at: str
    chunks: int


class IndexDatabase:
    """One SQLite file. Writers use it inside a build folder; readers open it read-only."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    # -- opening -----------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, copy_from: Path | None = None) -> "IndexDatabase":
        """A new database at ``path``, empty or a copy of ``copy_from`` (the live version's).

        A failed copy is blamed on the live version only when SQLite says the source is bad; a full disk or a
        write error is the new file's problem and is raised as is (sqlite3.OperationalError, SQLITE_FULL ...),
        so the Indexer reports it as such instead of telling the user to rebuild a healthy index.
        """
        conn = sqlite3.connect(path, check_same_thread=False)
        if copy_from is not None:
            src = _connect_readonly(copy_from)
            try:
                src.backup(conn)
            except sqlite3.DatabaseError as exc:
                conn.close()
                if write_errno(exc) is not None:
                    raise
                raise IndexCorruptError(f"{copy_from} is damaged ({exc}): run `kb index --full`") from None
            finally:
                src.close()
        else:
            conn.executescript(SCHEMA)
        conn.execute("PRAGMA foreign_keys=ON")
        return cls(conn)

    @classmethod
    def open_readonly(cls, path: Path) -> "IndexDatabase":
        if not path.is_file():
            raise IndexCorruptError(f"{path} is missing: run `kb index --full`")
        conn = _connect_readonly(path)
        try:
            conn.execute("SELECT count(*) FROM documents").fetchone()
            conn.execute("SELECT count(*) FROM chunks_fts").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise IndexCorruptError(f"{path} is damaged ({exc}): run `kb index --full`") from None
        return cls(conn)

    def close(self) -> None:
        self._conn.close()

    # -- writing -----------------------------------------------------------------------------------
    def stored_hashes(self) -> dict[str, str]:
        """Source -> sha256 of the documents stored; checks the file first, because an incremental build copies it.

        A damaged page that the open-time probe did not touch would otherwise be carried into every later
        version; IndexCorruptError here makes the Indexer fall back to a full rebuild instead.
        """
        try:
            problems = [r[0] for r in self._conn.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise IndexCorruptError(f"index database is damaged ({'; '.join(problems)[:160]}): run `kb index --full`")
            return dict(self._conn.execute("SELECT source, sha256 FROM documents"))
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"index database is damaged ({exc}): run `kb index --full`") from None

    def remove_document(self, source: str) -> int:
        row = self._conn.execute("SELECT id FROM documents WHERE source = ?", (source,)).fetchone()
        if row is None:
            return 0
        ids = [r[0] for r in self._conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (row[0],))]
        self._conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
        self._conn.execute("DELETE FROM chunks WHERE doc_id = ?", (row[0],))
        self._conn.execute("DELETE FROM sentences WHERE doc_id = ?", (row[0],))
        self._conn.execute("DELETE FROM documents WHERE id = ?", (row[0],))
        return len(ids)

    def add_document(
        self,
        document: SourceDocument,
        chunks: list[Chunk],
        vectors: np.ndarray,
        sentences: list[Sentence] = (),
        sentence_vectors: np.ndarray | None = None,
    ) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        cur = self._conn.execute(
            "INSERT INTO documents(source, title, date, sha256, size, indexed_at, text) VALUES (?,?,?,?,?,?,?)",
            (document.source, document.title, document.date, document.sha256, document.size, now, document.text),
        )
        doc_id = cur.lastrowid
        for chunk, vector in zip(chunks, vectors, strict=True):
            cur = self._conn.execute(
                "INSERT INTO chunks(doc_id, ordinal, start, end, text, vector) VALUES (?,?,?,?,?,?)",
                (doc_id, chunk.ordinal, chunk.start, chunk.end, chunk.text, np.asarray(vector, np.float32).tobytes()),
            )
            self._conn.execute(
                "INSERT INTO chunks_fts(rowid, body) VALUES (?, ?)", (cur.lastrowid, f"{document.title}\n{chunk.text}")
            )
        if sentences:
            self._insert_sentences(doc_id, sentences, sentence_vectors)

    def add_sentences(self, source: str, sentences: list[Sentence], vectors: np.ndarray) -> None:
        """More sentences of a document already added (kb.store.base.StoreWriter.add_sentences)."""
        row = self._conn.execute("SELECT id FROM documents WHERE source = ?", (source,)).fetchone()
        if row is None:
            raise KeyError(source)
        self._insert_sentences(row[0], sentences, vectors)

    def _insert_sentences(self, doc_id: int, sentences: Sequence[Sentence], vectors: np.ndarray | None) -> None:
        # Rows made as they are written: a list would hold a large document's vectors once more.
        self._conn.executemany(
            "INSERT INTO sentences(doc_id, start, end, vector) VALUES (?,?,?,?)",
            ((doc_id, s.start, s.end, np.asarray(v, np.float32).tobytes())
             for s, v in zip(sentences, vectors if vectors is not None else (), strict=True)),
        )

    def vectors_of(self, sources: list[str], dimension: int) -> tuple[list[tuple[str, str, np.ndarray]],
                                                                       list[tuple[str, np.ndarray]]]:
        """Per document of ``sources`` its (title, chunk text, vector) and (sentence text, vector) rows; a
        sentence's text is its span of the document, what was embedded."""
        chunks: list[tuple[str, str, np.ndarray]] = []
        sentences: list[tuple[str, np.ndarray]] = []
        width = dimension * 4
        for source in sources:
            row = self._conn.execute("SELECT id, title, text FROM documents WHERE source = ?", (source,)).fetchone()
            if row is None:
                continue
            doc_id, title, text = row
            chunks += [(title, chunk_text, np.frombuffer(blob, np.float32))
                       for chunk_text, blob in self._conn.execute(
                           "SELECT text, vector FROM chunks WHERE doc_id = ?", (doc_id,))
                       if len(blob) == width]
            sentences += [(text[start:end], np.frombuffer(blob, np.float32))
                          for start, end, blob in self._conn.execute(
                              "SELECT start, end, vector FROM sentences WHERE doc_id = ?", (doc_id,))
                          if len(blob) == width]
        return chunks, sentences

    def commit(self) -> None:
        self._conn.commit()

    def vectors(self, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self._conn.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dimension)
        return ids, matrix

    # -- reading -----------------------------------------------------------------------------------
    def count_chunks(self) -> int:
        return int(self._query("SELECT count(*) FROM chunks")[0][0])

    def chunk_ids(self) -> set[int]:
        return {r[0] for r in self._query("SELECT id FROM chunks")}

    def fts_ids(self) -> set[int]:
        return {r[0] for r in self._query("SELECT rowid FROM chunks_fts")}

    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRow]:
        ids = list(ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._query(
            "SELECT c.id, d.source, d.title, d.date, c.start, c.end, c.text FROM chunks c "
            f"JOIN documents d ON d.id = c.doc_id WHERE c.id IN ({marks})",
            ids,
        )
        return {r[0]: ChunkRow(*r) for r in rows}

    def chunk_vectors(self, ids: list[int]) -> dict[int, np.ndarray]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._query(f"SELECT id, vector FROM chunks WHERE id IN ({marks})", ids)
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def sentences_overlapping(self, source: str, start: int, end: int) -> list[tuple[int, int, str, bytes]]:
        """(start, end, text, float32 vector bytes) of the sentences that overlap [start, end) of a document.

        The text is cut from the stored document, so a citation built from it is exact even when the sentence
        runs past the passage boundary.
        """
        return self.sentences_of([(source, start, end)])[(source, start, end)]

    def sentences_of(self, spans: list[tuple[str, int, int]]) -> dict[tuple[str, int, int], list[tuple[int, int, str, bytes]]]:
        """``sentences_overlapping`` for many (source, start, end) at once: two queries for a question's whole pool
        of passages instead of one or two per passage (SQLite's per-statement cost was ~2 ms of a question)."""
        found: dict[tuple[str, int, int], list[tuple[int, int, str, bytes]]] = {span: [] for span in spans}
        wanted = list(found)
        for at in range(0, len(wanted), 200):  # well under SQLite's bound on parameters
            part = wanted[at:at + 200]
            values = ",".join("(?,?,?,?)" for _ in part)
            params = [v for i, (source, lo, hi) in enumerate(part) for v in (i, source, lo, hi)]
            rows = self._query(
                f"WITH want(i, source, lo, hi) AS (VALUES {values}) "
                "SELECT w.i, s.start, s.end, s.vector FROM want w JOIN documents d ON d.source = w.source "
                "JOIN sentences s ON s.doc_id = d.id AND s.start < w.hi AND s.end > w.lo AND s.start >= max(0, w.lo - 4000) "
                "ORDER BY w.i, s.start",
                params,
            )
            by_span: dict[int, list[tuple[int, int, bytes]]] = {}
            for i, a, b, vector in rows:
                by_span.setdefault(i, []).append((a, b, vector))
            if not by_span:
                continue
            # One cut of each document per passage, not substr() per sentence: that reads the whole document value
            # again for every row.
            cuts = {i: (items[0][0], max(b for _, b, _ in items)) for i, items in by_span.items()}
            marks = ",".join("(?,?,?,?)" for _ in cuts)
            cut_params = [v for i, (first, last) in cuts.items() for v in (i, part[i][0], first + 1, last - first)]
            texts = dict(self._query(
                f"WITH want(i, source, a, n) AS (VALUES {marks}) "
                "SELECT w.i, substr(d.text, w.a, w.n) FROM want w JOIN documents d ON d.source = w.source",
                cut_params,
            ))
            for i, items in by_span.items():
                first, text = cuts[i][0], texts.get(i) or ""
                found[part[i]] = [(a, b, text[a - first:b - first], vector) for a, b, vector in items]
        return found

    def lexical_search(self, match: str | list[str], limit: int) -> list[tuple[int, float]]:
        """(chunk id, bm25) best first; FTS5's bm25() is lower-is-better, so we negate it.

        ``match`` is an FTS5 query, or terms to OR (quoted, so user text is never parsed as query syntax).
        """
        if not isinstance(match, str):
            match = " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(match))
        rows = self._query(
            "SELECT rowid, bm25(chunks_fts) AS r FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY r LIMIT ?",
            (match, limit),
        )
        return [(int(r[0]), -float(r[1])) for r in rows]

    def vocabulary(self, initial: str | None = None) -> dict[str, int]:
        """Indexed terms (porter-stemmed, as FTS5 stores them) with their document frequency.

        fts5vocab counts by walking every posting list it returns, so the whole vocabulary costs a scan of the
        full-text index; ``initial`` limits it to the terms starting with that letter (a range on ``term``).
        """
        if initial is None:
            return {term: int(df) for term, df in self._query("SELECT term, doc FROM chunks_vocab")}
        upper = initial[:-1] + chr(ord(initial[-1]) + 1)
        rows = self._query("SELECT term, doc FROM chunks_vocab WHERE term >= ? AND term < ?", (initial, upper))
        return {term: int(df) for term, df in rows}

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Chunks containing each indexed (stemmed) term, 0 for unknown ones: one posting-list walk per term.

        fts5vocab answers ``term = ?`` without scanning the rest of the vocabulary.
        """
        found: dict[str, int] = {}
        for term in dict.fromkeys(terms):
            rows = self._query("SELECT doc FROM chunks_vocab WHERE term = ?", (term,))
            found[term] = int(rows[0][0]) if rows else 0
        return found

    def documents(self) -> list[DocumentRow]:
        rows = self._query(
            "SELECT d.source, d.title, d.date, d.sha256, d.size, d.indexed_at, count(c.id) FROM documents d "
            "LEFT JOIN chunks c ON c.doc_id = d.id GROUP BY d.id ORDER BY d.source"
        )
        return [DocumentRow(*r) for r in rows]

    def document_text(self, source: str) -> str | None:
        rows = self._query("SELECT text FROM documents WHERE source = ?", (source,))
        return rows[0][0] if rows else None

    def _query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and "fts5" in str(exc).lower():
                    raise
                raise IndexCorruptError(f"index database is damaged ({exc}): run `kb index --full`") from None


# SQLite result codes (https://sqlite.org/rescode.html) that mean "could not write", never "bad source file".
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 3, 8, 10, 13, 14
_SQLITE_IOERR_READS = {266, 522}  # SQLITE_IOERR_READ, SQLITE_IOERR_SHORT_READ: the source could not be read


def write_errno(exc: sqlite3.Error) -> int | None:
    """The errno a failed SQLite write amounts to (ENOSPC, EACCES, EIO); None when it is not a write failure.

    Lets callers tell "the disk is full" from "the file is damaged" without parsing SQLite's messages.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # raised without a code (older SQLite, or by hand): go by SQLite's fixed messages
        text = str(exc)
        return errno.ENOSPC if "disk is full" in text else errno.EACCES if "readonly database" in text else None
    primary = code & 0xFF
    if primary == _SQLITE_FULL:
        return errno.ENOSPC
    if primary in (_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CANTOPEN):
        return errno.EACCES
    if primary == _SQLITE_IOERR and code not in _SQLITE_IOERR_READS:
        return errno.EIO
    return None


def _connect_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
