"""Dense retrieval: embed the question, nearest chunks by cosine in the store (FAISS or Milvus)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from kb.errors import IndexCorruptError

if TYPE_CHECKING:
    from kb.store.base import Store

#: The largest cosine a damaged vector file is not suspected of: unit vectors give at most 1, a compressed index
#: (scalar or product quantization) a little over it. Bytes overwritten inside the vectors file passed the file's
#: fingerprint (its size and both ends) and gave similarities of 1e37, ranked first. The manifest now sums files up to
#: kb.store.manifest.WHOLE_SUM_MAX whole; this still guards a larger file between its sampled blocks, and an index
#: written before the sums.
_MAX_COSINE = 1.5


class DenseRetriever:
    def __init__(self, store: "Store") -> None:
        self.store = store

    def run(self, query_vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """(chunk id, cosine) best first."""
        hits = self.store.dense_search(query_vector, limit)
        wrong = next((score for _, score in hits if not math.isfinite(score) or abs(score) > _MAX_COSINE), None)
        if wrong is not None:
            raise IndexCorruptError(f"the index's vectors are damaged (a similarity of {wrong:.3g}, where at most 1 "
                                    "is possible): run `kb index --full`")
        return hits
