"""A Snapshot is one opened, immutable index version: manifest + SQLite + FAISS read together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.store.database import IndexDatabase
from kb.errors import IndexCorruptError
from kb.store.layout import CURRENT, DATABASE, MANIFEST, VECTORS, current_version, read_pointer
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
