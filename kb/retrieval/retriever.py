"""Hybrid retrieval: dense and lexical candidates fused, then rescored at sentence level.

Measured on the SQuAD tuning half (docs/quality.md): BM25 alone puts the gold paragraph first for 0.81 of
questions, dense MiniLM for 0.66, their reciprocal rank fusion 0.75. Rescoring the fused pool with the best
sentence of each passage (its cosine to the question, from sentence vectors stored at index time, and its
share of the question's terms, weighted by IDF) next to the passage's own cosine and BM25 lifts that to ~0.87: a
passage is as good as the sentence in it that answers the question. The weights of those measurements are
learned (listwise logistic regression on the tune half, benchmarks/train_scorer.py), not set by hand.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from kb.config import Settings
from kb.retrieval.dense import DenseRetriever
from kb.retrieval.fusion import reciprocal_rank_fusion
from kb.retrieval.lexical import LexicalRetriever
from kb.store.base import Store
from kb.answer_types import expected_type
from kb.query import QueryContext, headline_names, resolved_subject, respellings
from kb.text import NUMBER_WORDS, Sentence, defined_acronyms, fold, named_entities, words

from kb.linear_model import RETRIEVAL_WEIGHTS, load_model
from kb.place_names import standing_for
from kb.types import Passage
from kb.word_vectors import WordVectors, word_vectors_for

_PUNCT = "\"'“”‘’?!.,;:()[]{}"

#: Measurements of a passage of the fused pool, in the order the passage model reads them.
PASSAGE_FEATURES = (
    "passage_cosine", "bm25", "best_sentence_cosine", "best_sentence_overlap", "passage_overlap",
    "type_supplied", "type_missing", "dense_rank", "lexical_rank", "fused_rank",
)


class Retriever:
    def __init__(self, snapshot: Store, settings: Settings) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.dense = DenseRetriever(snapshot)
        self.lexical = LexicalRetriever(snapshot, settings.fuzzy_cutoff)

    def context(self, question: str, query_vector: np.ndarray | None) -> QueryContext:
        kind, detail = expected_type(question)
        terms = self.lexical.query_terms(question)
        vectors = word_vectors_for(self.settings.model)
        absent, present, places = self._names(question, terms, vectors)
        return QueryContext(question, query_vector, terms, kind, detail, frozenset(words(question)),
                            absent_names=absent, names=present, places=places, idf=self._idf(terms),
                            chunks=self.lexical.chunk_count(),
                            subject=resolved_subject(question), word_vectors=vectors,
                            respelled=respellings(question, terms, vectors,
                                                  lambda w: self.lexical.document_frequency(w) > 0))

    def _idf(self, terms: dict[str, list[str]]) -> dict[str, float]:
        """Inverse document frequency of each question term (its most frequent spelling), from the FTS5 vocabulary."""
        n = max(self.lexical.chunk_count(), 1)
        return {
            term: math.log(1 + n / (1 + max(self.lexical.document_frequency(a) for a in aliases)))
            for term, aliases in terms.items()
        }

    def _names(self, question: str, terms: dict[str, list[str]], vectors: WordVectors | None
               ) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, frozenset[str]]]:
        """Names in the question (kb.text.named_entities, word by word): those no indexed chunk contains in any
        spelling, and those the index has as written (three letters or more; misspelled ones are left out).

        "What is the population of Hokkaido?" asked of documents that never mention Hokkaido cannot be
        answered from them, however close the other words come (absent). A known name must be mentioned by a
        document the answer cites (kb.answer.grounding). A place that stands for its country in the question
        (kb.place_names.standing_for) has the other names of it that the index has ("japan" for "tokyo") added to
        its spellings in ``terms`` and returned as its places; a name known only by them is a known name.
        """
        first = question.split()[0] if question.split() else ""
        # The question's first word is capitalized whatever it is ("Near which city ...", "Since what year ...").
        names = {fold(w.strip(_PUNCT)).removesuffix("'s") for entity in named_entities(question.removeprefix(first))
                 for w in entity.split() if w[:1].isupper() and w.strip(_PUNCT)} - NUMBER_WORDS
        if vectors is not None:  # "Who Verified the Letter?": capitals that say nothing of which words are names
            names = headline_names(question, names, vectors.knows)
        absent, present, standing = [], [], {}
        for name in names:
            aliases = terms.get(name)
            if aliases is None or aliases[0] != name:
                continue
            frequency = self.lexical.document_frequency(name)
            # The other names of a place that the index has (kb.place_names: "Tokyo" is found where the documents
            # say "Japan") become spellings of it: for the term shares and this check, not for BM25
            # (LexicalRetriever.alternatives).
            places = sorted(p for p in standing_for(question, name)
                            if p not in aliases and self.lexical.document_frequency(p) > 0)
            if aliases == [name] and frequency == 0 and not places:
                absent.append(name)
            elif (frequency > 0 or places) and len(name) >= 3:
                present.append(name)
            if places:
                aliases.extend(places)
                standing[name] = frozenset(places)
        return tuple(sorted(absent)), tuple(sorted(present)), standing

    def sentences(self, passage: Passage) -> list[tuple[Sentence, np.ndarray]]:
        """The passage's sentences with the vectors stored at index time (cached on the passage)."""
        if passage.sentences is None:
            rows = self.snapshot.sentences_overlapping(passage.source, passage.start, passage.end)
            passage.sentences = [
                (Sentence(start, end, text), vector) for start, end, text, vector in rows  # float32 rows (Store)
            ]
        return passage.sentences

    def run(self, question: str, query_vector: np.ndarray | None, k: int, mode: str | None = None,
            context: QueryContext | None = None,
            on_pool: Callable[[list[Passage], np.ndarray], None] | None = None) -> list[Passage]:
        mode = mode or self.settings.mode
        ctx = context or self.context(question, query_vector)
        depth = max(self.settings.candidates, k)
        use_dense = mode != "lexical" and ctx.vector is not None
        hybrid = mode == "hybrid" and use_dense  # fused by the store, then a deeper pool reordered by the passage model
        if hybrid:  # in Milvus: by Milvus' own RRF ranker
            ranked, dense_hits, lexical_hits = self.snapshot.hybrid_search(
                ctx.vector, self.lexical.alternatives(ctx.terms, ctx.places), depth,
                (self.settings.dense_weight, self.settings.lexical_weight), self.settings.rrf_k,
            )
        else:
            dense_hits = self.dense.run(ctx.vector, depth) if use_dense else []
            lexical_hits = self.lexical.run(question, depth, ctx.terms, ctx.places) if mode != "dense" else []
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
        passages = self._passages(ranked[: max(k, self.settings.rerank_depth) if hybrid else k], dict(dense_hits),
                                  lexical_hits)
        ctx.count_acronyms(defined_acronyms(p.text for p in passages))
        ctx.spell_out_absent(p.text for p in passages)
        if not hybrid:
            return passages
        features = self.passage_features(passages, ctx, lexical_hits, dense_hits)
        if on_pool is not None:  # benchmarks/train_scorer.py reads the pool the model ranks
            on_pool(passages, features)
        return self._rescore(passages, features)[:k]

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

    def passage_features(self, passages: list[Passage], ctx: QueryContext,
                         lexical_hits: list[tuple[int, float]], dense_hits: list[tuple[int, float]]) -> np.ndarray:
        """One row of PASSAGE_FEATURES per passage of the fused pool (the input of the learned passage model)."""
        bm25 = dict(lexical_hits)
        top_bm25 = max(bm25.values(), default=0.0) or 1.0
        dense_rank = {cid: rank for rank, (cid, _) in enumerate(dense_hits, start=1)}
        vectors = self.snapshot.chunk_vectors([p.chunk_id for p in passages if p.dense_score is None])
        rows = []
        for fused_rank, p in enumerate(passages, start=1):
            if p.dense_score is None:
                p.dense_score = float(vectors[p.chunk_id] @ ctx.vector) if p.chunk_id in vectors else 0.0
            sentences = self.sentences(p)
            cosines = np.stack([v for _, v in sentences]) @ ctx.vector if sentences else np.zeros(0)
            typed = None
            if ctx.answer_type is not None:  # can the passage hold the kind of answer asked for?
                typed = any(ctx.supplies(sent.text) for sent, _ in sentences)
            row = {
                "passage_cosine": p.dense_score,
                "bm25": bm25.get(p.chunk_id, 0.0) / top_bm25,
                "best_sentence_cosine": float(cosines.max()) if len(cosines) else 0.0,
                "best_sentence_overlap": max((ctx.term_share(sent.text) for sent, _ in sentences), default=0.0),
                "passage_overlap": ctx.term_share(p.text),
                "type_supplied": float(typed is True),
                "type_missing": float(typed is False),
                "dense_rank": 1.0 / dense_rank[p.chunk_id] if p.chunk_id in dense_rank else 0.0,
                "lexical_rank": 1.0 / p.lexical_rank if p.lexical_rank else 0.0,
                "fused_rank": 1.0 / fused_rank,
            }
            rows.append([row[name] for name in PASSAGE_FEATURES])
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(PASSAGE_FEATURES))

    def _rescore(self, passages: list[Passage], features: np.ndarray) -> list[Passage]:
        """Rank the fused pool by the learned passage model (kb/retrieval/weights/passage.json)."""
        model = load_model("passage", RETRIEVAL_WEIGHTS)
        scores = model.logits(features[:, [PASSAGE_FEATURES.index(f) for f in model.features]])
        for p, score in zip(passages, scores):
            p.score = float(score)
        return sorted(passages, key=lambda p: -p.score)
