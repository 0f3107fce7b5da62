"""Dense retrieval: embed the question, nearest chunks by cosine in FAISS."""

from __future__ import annotations

import numpy as np

from kb.store import VectorIndex


class DenseRetriever:
    def __init__(self, vectors: VectorIndex) -> None:
        self.vectors = vectors

    def run(self, query_vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """(chunk id, cosine) best first."""
        return self.vectors.search(query_vector, limit)
