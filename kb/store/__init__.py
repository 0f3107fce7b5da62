"""Storage: versioned index folders holding SQLite (truth) and FAISS (derived), swapped in atomically."""

from kb.store.database import ChunkRow, DocumentRow, IndexDatabase
from kb.store.layout import build_lock, current_version, current_version_or_none
from kb.store.manifest import Manifest
from kb.store.snapshot import Snapshot
from kb.store.vectors import VectorIndex

__all__ = [
    "ChunkRow", "DocumentRow", "IndexDatabase", "Manifest", "Snapshot", "VectorIndex",
    "build_lock", "current_version", "current_version_or_none",
]
