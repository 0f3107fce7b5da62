"""The default store: versioned folders of SQLite (truth, FTS5) and FAISS (derived), see kb.store.layout.

A build copies the live version's SQLite file into a hidden build folder (unchanged documents keep their chunks
and vectors), applies the changes, rebuilds FAISS from the stored vectors, writes the manifest last and swaps
CURRENT. Readers open ``Snapshot``s.

With ``index_mode = "private"`` (the default) the folders are 0700 and the files 0600 whatever the umask (see
kb.store.layout). A write that fails (disk full, no permission) leaves no build folder behind; kb.indexing turns
it into a one-line IndexWriteError.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from kb.config import Settings
from kb.errors import KBError
from kb.store.base import StoreBackend, StoreWriter
from kb.store.database import IndexDatabase
from kb.store.layout import (
    CURRENT, DATABASE, MANIFEST, VECTORS, build_lock, collect_garbage, current_version_or_none, new_build_dir, publish,
    read_pointer,
)
from kb.store.manifest import Manifest
from kb.store.snapshot import Snapshot
from kb.store.vectors import IndexPlan, VectorIndex
from kb.text import Sentence
from kb.types import Chunk, SourceDocument


class FaissSqliteBackend(StoreBackend):
    kind = "faiss"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_dir: Path = settings.index
        self.private = settings.index_mode == "private"

    def describe(self) -> str:
        return str(self.index_dir)

    def live_version(self) -> str | None:
        return read_pointer(self.index_dir / CURRENT)

    def open(self) -> Snapshot:
        return Snapshot.open(self.index_dir)

    def live_manifest(self) -> Manifest | None:
        folder = current_version_or_none(self.index_dir)
        return None if folder is None else Manifest.read(folder / MANIFEST)

    def lock(self, wait: float = 0.0) -> AbstractContextManager[None]:
        return build_lock(self.index_dir, wait=wait, private=self.private)

    def writer(self, full: bool, dimension: int) -> "FaissSqliteWriter":
        previous = None if full else current_version_or_none(self.index_dir)
        return FaissSqliteWriter(self.settings, previous, dimension)

    def collect_garbage(self) -> None:
        collect_garbage(self.index_dir)


class FaissSqliteWriter(StoreWriter):
    """Writes a build folder; ``publish`` renames it to the next version and swaps CURRENT."""

    def __init__(self, settings: Settings, previous: Path | None, dimension: int) -> None:
        self.settings = settings
        self.previous = previous
        self.dimension = dimension
        self.private = settings.index_mode == "private"
        self.build_dir: Path | None = None
        self.db: IndexDatabase | None = None

    def stored_hashes(self) -> dict[str, str]:
        if self.previous is None:
            return {}
        old_db = IndexDatabase.open_readonly(self.previous / DATABASE)
        try:
            return old_db.stored_hashes()
        finally:
            old_db.close()

    def reusable_vectors(self, sources: list[str]) -> tuple[list[tuple[str, str, np.ndarray]],
                                                             list[tuple[str, np.ndarray]]]:
        if self.previous is None or not sources:
            return [], []
        old_db = IndexDatabase.open_readonly(self.previous / DATABASE)
        try:
            return old_db.vectors_of(sources, self.dimension)
        finally:
            old_db.close()

    def _database(self) -> IndexDatabase:
        if self.db is None:
            self.build_dir = new_build_dir(self.settings.index, self.private)
            copy_from = None if self.previous is None else self.previous / DATABASE
            self.db = IndexDatabase.create(self.build_dir / DATABASE, copy_from=copy_from)
        return self.db

    def remove_document(self, source: str) -> None:
        self._database().remove_document(source)

    def add_document(self, document: SourceDocument, chunks: list[Chunk], vectors: np.ndarray,
                     sentences: list[Sentence], sentence_vectors: np.ndarray) -> None:
        self._database().add_document(document, chunks, vectors, sentences, sentence_vectors)

    def add_sentences(self, document: SourceDocument, sentences: list[Sentence], vectors: np.ndarray) -> None:
        self._database().add_sentences(document.source, sentences, vectors)

    def publish(self, manifest: Manifest) -> tuple[str, int]:
        db = self._database()
        assert self.build_dir is not None
        db.commit()
        ids, matrix = db.vectors(self.dimension)
        db.close()
        self.db = None
        vector_index = VectorIndex.build(ids, matrix, self.dimension, IndexPlan.from_settings(self.settings))
        vector_index.save(self.build_dir / VECTORS)
        manifest.faiss = vector_index.describe()
        manifest.chunks = len(ids)
        manifest.write(self.build_dir / MANIFEST)
        version = publish(self.settings.index, self.build_dir, self.private)
        self.build_dir = None
        return version.name, len(ids)

    def abort(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except (KBError, sqlite3.Error):
                pass
            self.db = None
        if self.build_dir is not None:
            shutil.rmtree(self.build_dir, ignore_errors=True)
            self.build_dir = None
