"""Retrieval: question -> ranked passages (dense FAISS, lexical FTS5, fused)."""

from kb.retrieval.fusion import reciprocal_rank_fusion
from kb.retrieval.retriever import Retriever

__all__ = ["Retriever", "reciprocal_rank_fusion"]
