"""Hybrid retrieval: dense and lexical candidates fused, then rescored at sentence level.

Measured on the SQuAD tuning half (docs/quality.md): BM25 alone puts the gold paragraph first for 0.81 of
questions, dense MiniLM for 0.66, their reciprocal rank fusion 0.75. Rescoring the fused pool with the best
sentence of each passage (its cosine to the question, from sentence vectors stored at index time, and its
share of the question's terms, weighted by IDF) next to the passage's own cosine and BM25 lifts that to ~0.87: a passage
is as good as the sentence in it that answers the question.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kb.config import Settings
from kb.retrieval.dense import DenseRetriever
from kb.retrieval.fusion import reciprocal_rank_fusion
from kb.retrieval.lexical import LexicalRetriever
from kb.store.base import Store
from kb.answer_types import AnswerType, expected_type, supplies
from kb.text import Sentence, fold, term_overlap, words

_PUNCT = "\"'“”‘’?!.,;:()[]{}"
from kb.types import Passage


@dataclass
class QueryContext:
    """What one question needs across retrieval and answering, computed once."""

    question: str
    vector: np.ndarray | None
    terms: dict[str, list[str]]  # content term -> accepted spellings (misspellings expanded)
    answer_type: AnswerType | None = None  # what kind of answer the question asks for (kb.answer_types)
    acronym: str | None = None
    question_words: frozenset[str] = frozenset()
    absent_names: tuple[str, ...] = ()  # names of the question found nowhere in the index: nothing can answer it
    names: tuple[str, ...] = ()  # names of the question the index has: a cited document must mention each
    idf: dict[str, float] | None = None  # term -> inverse document frequency: weights terms in rescoring and answering


class Retriever:
    def __init__(self, snapshot: Store, settings: Settings) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.dense = DenseRetriever(snapshot)
        self.lexical = LexicalRetriever(snapshot, settings.fuzzy_cutoff)

    def context(self, question: str, query_vector: np.ndarray | None) -> QueryContext:
        kind, acronym = expected_type(question)
        terms = self.lexical.query_terms(question)
        absent, present = self._names(question, terms)
        return QueryContext(question, query_vector, terms, kind, acronym, frozenset(words(question)),
                            absent_names=absent, names=present, idf=self._idf(terms))

    def _idf(self, terms: dict[str, list[str]]) -> dict[str, float]:
        """Inverse document frequency of each question term (its most frequent spelling), from the FTS5 vocabulary."""
        n = max(self.lexical.chunk_count(), 1)
        return {
            term: math.log(1 + n / (1 + max(self.lexical.document_frequency(a) for a in aliases)))
            for term, aliases in terms.items()
        }

    def _names(self, question: str, terms: dict[str, list[str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Names in the question (capitalized, not the first word): those no indexed chunk contains in any
        spelling, and those the index has as written (three letters or more; misspelled ones are left out).

        "What is the population of Hokkaido?" asked of documents that never mention Hokkaido cannot be
        answered from them, however close the other words come (absent). A known name must be mentioned by a
        document the answer cites (kb.answer.grounding).
        """
        tokens = question.split()
        names = {fold(w.strip(_PUNCT)).removesuffix("'s") for w in tokens[1:] if w.strip(_PUNCT)[:1].isupper()}
        absent, present = [], []
        for name in names:
            aliases = terms.get(name)
            if aliases is None or aliases[0] != name:
                continue
            frequency = self.lexical.document_frequency(name)
            if aliases == [name] and frequency == 0:
                absent.append(name)
            elif frequency > 0 and len(name) >= 3:
                present.append(name)
        return tuple(sorted(absent)), tuple(sorted(present))

    def sentences(self, passage: Passage) -> list[tuple[Sentence, np.ndarray]]:
        """The passage's sentences with the vectors stored at index time (cached on the passage)."""
        if passage.sentences is None:
            rows = self.snapshot.sentences_overlapping(passage.source, passage.start, passage.end)
            passage.sentences = [
                (Sentence(start, end, text), np.frombuffer(vector, dtype=np.float32)) for start, end, text, vector in rows
            ]
        return passage.sentences

    def run(self, question: str, query_vector: np.ndarray | None, k: int, mode: str | None = None,
            context: QueryContext | None = None) -> list[Passage]:
        mode = mode or self.settings.mode
        ctx = context or self.context(question, query_vector)
        depth = max(self.settings.candidates, k)
        use_dense = mode != "lexical" and ctx.vector is not None
        if mode == "hybrid" and use_dense:  # fused by the store (in Milvus: by Milvus' own RRF ranker)
            ranked, dense_hits, lexical_hits = self.snapshot.hybrid_search(
                ctx.vector, self.lexical.alternatives(ctx.terms), depth,
                (self.settings.dense_weight, self.settings.lexical_weight), self.settings.rrf_k,
            )
        else:
            dense_hits = self.dense.run(ctx.vector, depth) if use_dense else []
            lexical_hits = self.lexical.run(question, depth, ctx.terms) if mode != "dense" else []
        if mode == "dense":
            ranked = dense_hits
        elif mode == "lexical":
            ranked = lexical_hits
        elif not use_dense:
            ranked = reciprocal_rank_fusion(
                [[cid for cid, _ in dense_hits], [cid for cid, _ in lexical_hits]],
                [self.settings.dense_weight, self.settings.lexical_weight],
                self.settings.rrf_k,
            )
        pool = ranked[: max(k, self.settings.rerank_depth)] if mode == "hybrid" and use_dense else ranked[:k]
        passages = self._passages(pool, dict(dense_hits), lexical_hits)
        if mode == "hybrid" and use_dense:
            passages = self._rescore(passages, ctx, lexical_hits)
        return passages[:k]

    def _passages(self, ranked: list[tuple[int, float]], cosine: dict[int, float],
                  lexical_hits: list[tuple[int, float]]) -> list[Passage]:
        rows = self.snapshot.chunks(cid for cid, _ in ranked)
        lexical_rank = {cid: rank for rank, (cid, _) in enumerate(lexical_hits, start=1)}
        passages = []
        for cid, score in ranked:
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

    def _rescore(self, passages: list[Passage], ctx: QueryContext, lexical_hits: list[tuple[int, float]]) -> list[Passage]:
        s = self.settings
        bm25 = dict(lexical_hits)
        top_bm25 = max(bm25.values(), default=0.0) or 1.0
        vectors = self.snapshot.chunk_vectors([p.chunk_id for p in passages if p.dense_score is None])
        for p in passages:
            if p.dense_score is None:
                p.dense_score = float(vectors[p.chunk_id] @ ctx.vector) if p.chunk_id in vectors else 0.0
            sentences = self.sentences(p)
            best_cos = max((float(v @ ctx.vector) for _, v in sentences), default=0.0)
            best_overlap = max((term_overlap(ctx.terms, sent.text, ctx.idf) for sent, _ in sentences), default=0.0)
            p.score = (
                s.rescore_passage_cosine * p.dense_score
                + s.rescore_bm25 * bm25.get(p.chunk_id, 0.0) / top_bm25
                + s.rescore_sentence_cosine * best_cos
                + s.rescore_sentence_overlap * best_overlap
            )
            if ctx.answer_type is not None:  # can the passage hold the kind of answer asked for?
                typed = any(supplies(sent.text, ctx.answer_type, ctx.question_words, ctx.acronym) for sent, _ in sentences)
                p.score += s.rescore_answer_type if typed else -s.rescore_answer_type
        return sorted(passages, key=lambda p: -p.score)
