"""A Snapshot is one opened, immutable index version: manifest + SQLite + FAISS read together."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from kb.store.base import Hits, Store
from kb.store.database import ChunkRow, DocumentRow, IndexDatabase
from kb.errors import IndexCorruptError
from kb.store.layout import CURRENT, DATABASE, MANIFEST, VECTORS, current_version, read_pointer
from kb.store.manifest import Manifest
from kb.store.sentence_cache import SentenceCache, SentenceRows
from kb.store.vectors import VectorIndex


def _parsed(rows: list[tuple[int, int, str, bytes]]) -> SentenceRows:
    return [(s, e, text, np.frombuffer(vector, dtype=np.float32)) for s, e, text, vector in rows]


@dataclass
class Snapshot(Store):
    """The FAISS + SQLite ``Store``: dense search in FAISS, everything else in SQLite (FTS5 for BM25)."""

    folder: Path
    manifest: Manifest
    database: IndexDatabase
    vectors: VectorIndex
    # The sentences of recently returned chunks, across questions (kb.store.sentence_cache).
    sentence_cache: SentenceCache = field(default_factory=SentenceCache, repr=False, compare=False)

    @property
    def version(self) -> str:
        return self.folder.name

    @classmethod
    def open(cls, index_dir: Path, attempts: int = 3) -> "Snapshot":
        """Open the live version; retried when a rebuild swapped (and cleaned up) versions while we opened it."""
        for attempt in range(attempts):
            folder = current_version(index_dir)
            try:
                return cls._open_folder(folder)
            except IndexCorruptError:
                if attempt + 1 == attempts or read_pointer(index_dir / CURRENT) == folder.name:
                    raise  # the live version itself is damaged, not just replaced under us
        raise AssertionError("unreachable")

    @classmethod
    def _open_folder(cls, folder: Path) -> "Snapshot":
        manifest = Manifest.read(folder / MANIFEST)
        database = IndexDatabase.open_readonly(folder / DATABASE)
        try:
            vectors = VectorIndex.load(folder / VECTORS, manifest.dimension)
            counts = {"manifest": manifest.chunks, "vectors.faiss": len(vectors), "kb.sqlite": database.count_chunks()}
            if len(set(counts.values())) != 1:
                # A file from another version or a partial copy: FAISS and SQLite must describe the same chunks.
                found = ", ".join(f"{name} {n}" for name, n in counts.items())
                raise IndexCorruptError(f"index files in {folder} disagree on the chunk count ({found}): run `kb index --full`")
        except Exception:
            database.close()
            raise
        return cls(folder, manifest, database, vectors)

    def close(self) -> None:
        self.database.close()

    # -- Store --------------------------------------------------------------------------------------
    def count_chunks(self) -> int:
        return self.database.count_chunks()

    def dense_search(self, vector: np.ndarray, k: int) -> Hits:
        return self.vectors.search(vector, k)

    def lexical_search(self, terms: list[str], k: int) -> Hits:
        return self.database.lexical_search(terms, k)

    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRow]:
        """The rows, with the sentences of those not in the sentence cache fetched in one batch for the
        ``sentences_overlapping`` calls that follow (retrieval measures every sentence of the pool it asked for)."""
        rows = self.database.chunks(ids)
        missing = self.sentence_cache.missing((r.source, r.start, r.end) for r in rows.values())
        if missing:
            for span, found in self.database.sentences_of(missing).items():
                self.sentence_cache.put(span, _parsed(found))
        return rows

    def chunk_vectors(self, ids: list[int]) -> dict[int, np.ndarray]:
        return self.database.chunk_vectors(ids)

    def sentences_overlapping(self, source: str, start: int, end: int) -> SentenceRows:
        span = (source, start, end)
        rows = self.sentence_cache.get(span)
        if rows is None:  # evicted since ``chunks``, or asked without it
            rows = _parsed(self.database.sentences_overlapping(source, start, end))
            self.sentence_cache.put(span, rows)
        return list(rows)

    def documents(self) -> list[DocumentRow]:
        return self.database.documents()

    def document_text(self, source: str) -> str | None:
        return self.database.document_text(source)

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        return self.database.document_frequencies(terms)

    def vocabulary(self, initial: str | None = None) -> dict[str, int]:
        return self.database.vocabulary(initial)
