"""A Snapshot is one opened, immutable index version: manifest + SQLite + FAISS read together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.store.database import IndexDatabase
from kb.store.layout import DATABASE, MANIFEST, VECTORS, current_version
from kb.store.manifest import Manifest
from kb.store.vectors import VectorIndex


@dataclass
class Snapshot:
    folder: Path
    manifest: Manifest
    database: IndexDatabase
    vectors: VectorIndex

    @property
    def version(self) -> str:
        return self.folder.name

    @classmethod
    def open(cls, index_dir: Path) -> "Snapshot":
        folder = current_version(index_dir)
        manifest = Manifest.read(folder / MANIFEST)
        database = IndexDatabase.open_readonly(folder / DATABASE)
        try:
            vectors = VectorIndex.load(folder / VECTORS, manifest.dimension)
        except Exception:
            database.close()
            raise
        return cls(folder, manifest, database, vectors)

    def close(self) -> None:
        self.database.close()
