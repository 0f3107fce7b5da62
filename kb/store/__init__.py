"""Storage behind one interface (kb.store.base): FAISS + SQLite folders (default) or Milvus collections.

Either way an index is a set of versions and one of them is live; a build writes the next one beside it and
swaps it in atomically.
"""

from kb.store.base import Store, StoreBackend, StoreWriter, open_backend
from kb.store.database import ChunkRow, DocumentRow, IndexDatabase
from kb.store.layout import build_lock, current_version, current_version_or_none
from kb.store.manifest import Manifest
from kb.store.snapshot import Snapshot
from kb.store.vectors import VectorIndex

__all__ = [
    "ChunkRow", "DocumentRow", "IndexDatabase", "Manifest", "Snapshot", "Store", "StoreBackend", "StoreWriter",
    "VectorIndex", "open_backend",
    "build_lock", "current_version", "current_version_or_none",
]
