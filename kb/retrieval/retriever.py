"""Hybrid retrieval: dense and lexical candidate lists fused, then resolved to passages with spans."""

from __future__ import annotations

import numpy as np

from kb.config import Settings
from kb.retrieval.dense import DenseRetriever
from kb.retrieval.fusion import reciprocal_rank_fusion
from kb.retrieval.lexical import LexicalRetriever
from kb.store import Snapshot
from kb.types import Passage


class Retriever:
    def __init__(self, snapshot: Snapshot, settings: Settings) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.dense = DenseRetriever(snapshot.vectors)
        self.lexical = LexicalRetriever(snapshot.database, settings.fuzzy_cutoff)

    def run(self, question: str, query_vector: np.ndarray | None, k: int, mode: str | None = None) -> list[Passage]:
        mode = mode or self.settings.mode
        depth = max(self.settings.candidates, k)
        dense_hits = self.dense.run(query_vector, depth) if mode != "lexical" and query_vector is not None else []
        lexical_hits = self.lexical.run(question, depth) if mode != "dense" else []
        cosine = dict(dense_hits)
        lexical_rank = {cid: rank for rank, (cid, _) in enumerate(lexical_hits, start=1)}
        if mode == "dense":
            ranked = dense_hits
        elif mode == "lexical":
            ranked = lexical_hits
        else:
            ranked = reciprocal_rank_fusion(
                [[cid for cid, _ in dense_hits], [cid for cid, _ in lexical_hits]],
                [self.settings.dense_weight, self.settings.lexical_weight],
                self.settings.rrf_k,
            )
        top = ranked[:k]
        rows = self.snapshot.database.chunks(cid for cid, _ in top)
        passages = []
        for cid, score in top:
            row = rows.get(cid)
            if row is None:  # FAISS and SQLite are built from the same rows; a gap means a damaged index
                continue
            passages.append(
                Passage(
                    chunk_id=cid, source=row.source, title=row.title, start=row.start, end=row.end, text=row.text,
                    score=float(score), date=row.date, dense_score=cosine.get(cid), lexical_rank=lexical_rank.get(cid),
                )
            )
        return passages
