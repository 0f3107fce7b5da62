"""The dense index: a FAISS inner-product index over normalized vectors, keyed by chunk id.

FAISS holds no state of its own that matters: it is always rebuilt from the vectors stored in SQLite, so the
two can never disagree about which chunks exist. We use FAISS directly rather than LangChain's FAISS vector
store, because that wrapper persists its docstore with pickle (unsafe to load, and slow at scale).
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from kb.errors import IndexCorruptError


class VectorIndex:
    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dimension: int) -> "VectorIndex":
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
        return cls(index)

    @classmethod
    def load(cls, path: Path, dimension: int) -> "VectorIndex":
        if not path.is_file():
            raise IndexCorruptError(f"{path} is missing: run `kb index --full`")
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexCorruptError(f"{path} is damaged ({str(exc).splitlines()[0][:120]}): run `kb index --full`") from None
        if index.d != dimension:
            raise IndexCorruptError(f"{path} has dimension {index.d}, manifest says {dimension}: run `kb index --full`")
        return cls(index)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if len(self) == 0:
            return []
        scores, ids = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def ids(self) -> set[int]:
        return set(int(i) for i in faiss.vector_to_array(self._index.id_map))
