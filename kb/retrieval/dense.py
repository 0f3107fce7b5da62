"""Dense retrieval: embed the question, nearest chunks by cosine in the store (FAISS or Milvus)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kb.store.base import Store


class DenseRetriever:
    def __init__(self, store: "Store") -> None:
        self.store = store

    def run(self, query_vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """(chunk id, cosine) best first."""
        return self.store.dense_search(query_vector, limit)
