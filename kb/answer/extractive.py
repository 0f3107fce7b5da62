"""Passages -> a short answer made of the source sentences that answer the question, each with citations.

No language model: the answer is the best-supported sentence(s), quoted, so it can never say something the
sources do not. A sentence's support combines its cosine to the question with how many of the question's
content terms it contains (misspellings tolerated). Sentences from other sources that say the same thing
become extra citations of one statement instead of repeated text. When the best support is below the
calibrated threshold the answerer abstains and cites nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from kb.answer.facts import same_facts
from kb.answer_types import AnswerType, supplies
from kb.retrieval.retriever import QueryContext
from kb.text import Sentence, split_sentences, term_overlap, words
from kb.types import Answer, Citation, Passage

ABSTAIN_TEXT = "The indexed documents do not cover this question, so there is no answer to cite."


SentenceSource = Callable[[Passage], list[tuple[Sentence, np.ndarray]]]


class SentenceEmbedder(Protocol):
    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


@dataclass
class ScoredSentence:
    passage: Passage
    sentence: Sentence  # span in document coordinates
    cosine: float
    overlap: float
    score: float
    vector: np.ndarray
    supplies_type: bool | None = None  # None: the question expects no particular kind of answer
    context: "ScoredSentence | None" = None  # the neighbour whose match lifted this sentence, quoted with it

    def span(self) -> tuple[int, int]:
        """Document span of the statement: the sentence, plus its context sentence when it has one."""
        if self.context is None:
            return self.sentence.start, self.sentence.end
        return min(self.sentence.start, self.context.sentence.start), max(self.sentence.end, self.context.sentence.end)

    def text(self) -> str:
        if self.context is None:
            return self.sentence.text
        start, end = self.span()  # inside the passage: checked when the context was attached
        return self.passage.text[start - self.passage.start : end - self.passage.start]


class ExtractiveAnswerer:
    def __init__(
        self,
        embedder: SentenceEmbedder,
        abstain_threshold: float,
        max_sentences: int = 2,
        duplicate_similarity: float = 0.8,
        cosine_weight: float = 0.6,
        context_weight: float = 0.85,
        type_bonus: float = 0.1,
        type_penalty: float = 0.1,
        heading_penalty: float = 0.1,
    ) -> None:
        self.embedder = embedder
        self.abstain_threshold = abstain_threshold
        self.max_sentences = max_sentences
        self.duplicate_similarity = duplicate_similarity
        self.cosine_weight = cosine_weight
        self.context_weight = context_weight
        self.type_bonus = type_bonus
        self.type_penalty = type_penalty
        self.heading_penalty = heading_penalty

    def candidates(
        self, query: QueryContext, passages: list[Passage], sentence_source: SentenceSource | None = None
    ) -> list[ScoredSentence]:
        """Every distinct sentence of the passages, scored, best first.

        ``sentence_source`` returns a passage's sentences with vectors computed at index time; without it the
        passages are split and embedded here (slower: one model call per question).
        """
        seen: set[tuple[str, int, int]] = set()
        pending: list[tuple[Passage, Sentence, np.ndarray | None]] = []
        for passage in passages:
            found = sentence_source(passage) if sentence_source else [
                (s, None) for s in split_sentences(passage.text, offset=passage.start)
            ]
            for sentence, vector in found:
                key = (passage.source, sentence.start, sentence.end)
                if key in seen or not words(sentence.text):
                    continue
                seen.add(key)
                pending.append((passage, sentence, vector))
        if not pending:
            return []
        if any(v is None for _, _, v in pending):
            vectors = self.embedder.embed([s.text for _, s, _ in pending])
        else:
            vectors = np.stack([v for _, _, v in pending])
        cosines = vectors @ query.vector
        kind = query.answer_type
        scored = []
        for (passage, sentence, _), vector, cosine in zip(pending, vectors, cosines):
            overlap = term_overlap(query.terms, sentence.text, query.idf)
            score = self.cosine_weight * float(cosine) + (1 - self.cosine_weight) * overlap
            ok = None if kind is None else supplies(sentence.text, kind, query.question_words, query.acronym)
            scored.append(ScoredSentence(passage, sentence, float(cosine), overlap, score, vector, ok))
        # A sentence right next to a strong match, in the same passage, often holds the answer ("... Fact Check"
        # heading under the company's name): it inherits a discounted share of its neighbour's score.
        # Only a sentence that holds the expected kind of answer inherits from one that does not, so the pair
        # reads as question context + answer; both must lie inside the passage so the quote is one exact span.
        base = [c.score for c in scored]
        for i, item in enumerate(scored):
            if not item.supplies_type:
                continue
            for j in (i - 1, i + 1):
                neighbour = scored[j] if 0 <= j < len(scored) else None
                if neighbour is None or neighbour.passage is not item.passage or neighbour.supplies_type:
                    continue
                lo = min(item.sentence.start, neighbour.sentence.start)
                hi = max(item.sentence.end, neighbour.sentence.end)
                if lo < item.passage.start or hi > item.passage.end:
                    continue
                inherited = self.context_weight * base[j]
                if inherited > item.score:
                    item.score, item.context = inherited, neighbour
        for item in scored:
            if item.supplies_type is True:
                item.score += self.type_bonus
            elif item.supplies_type is False:
                item.score -= self.type_penalty
            if item.context is None and _is_heading(item.sentence.text):
                item.score -= self.heading_penalty  # a title restates the topic; it rarely answers
        scored.sort(key=lambda c: -c.score)
        return scored

    def run(self, query: QueryContext, passages: list[Passage], sentence_source: SentenceSource | None = None) -> Answer:
        question = query.question
        scored = self.candidates(query, passages, sentence_source)
        confidence = scored[0].score if scored else 0.0
        if not scored or confidence < self.abstain_threshold:
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=confidence)
        kind = query.answer_type
        chosen: list[ScoredSentence] = []
        for candidate in scored:
            if len(chosen) == self.max_sentences or candidate.score < max(self.abstain_threshold, confidence * 0.9):
                break
            if any(_overlaps(candidate, c) or float(candidate.vector @ c.vector) >= self.duplicate_similarity for c in chosen):
                continue
            chosen.append(candidate)

        citations: list[Citation] = []
        cited: dict[tuple[str, int, int], int] = {}
        parts: list[str] = []
        for statement in chosen:
            support = [statement] + [
                other
                for other in scored
                if other is not statement
                and other.passage.source != statement.passage.source
                and (
                    # Similar wording is the same statement only when the numbers, dates, names and polarity agree.
                    (float(other.vector @ statement.vector) >= self.duplicate_similarity
                     and same_facts(other.sentence.text, statement.sentence.text))
                    # Every sentence that spells the acronym out states the same answer.
                    or (kind is AnswerType.EXPANSION and other.supplies_type and statement.supplies_type)
                )
            ]
            markers = []
            sources_done: set[str] = set()
            for item in support:
                if item.passage.source in sources_done:
                    continue
                sources_done.add(item.passage.source)
                start, end = item.span() if item is statement else (item.sentence.start, item.sentence.end)
                key = (item.passage.source, start, end)
                if key not in cited:
                    cited[key] = len(citations) + 1
                    citations.append(
                        Citation(
                            n=cited[key], source=item.passage.source, title=item.passage.title, start=start, end=end,
                            text=item.text() if item is statement else item.sentence.text,
                            score=item.score, date=item.passage.date,
                        )
                    )
                markers.append(f"[{cited[key]}]")
            parts.append(" ".join(statement.text().split()) + " " + "".join(markers))
        return Answer(question, " ".join(parts), False, citations, passages, confidence=confidence)


def _is_heading(text: str) -> bool:
    """A short line without a sentence end: a title or a section heading."""
    return len(text.split()) < 8 and not text.rstrip("\"'”’)»").endswith((".", "!", "?", ":"))


def _overlaps(a: ScoredSentence, b: ScoredSentence) -> bool:
    (a0, a1), (b0, b1) = a.span(), b.span()
    return a.passage.source == b.passage.source and a0 < b1 and b0 < a1


def answer_contains(answer: str, gold: str) -> bool:
    """Whole-word, case- and accent-insensitive containment (the evaluation's notion of a correct answer)."""
    def norm(text: str) -> str:  # possessives fold to the noun: "Bellingcat's" contains "Bellingcat"
        return " " + " ".join(w.removesuffix("'s") for w in words(text)) + " "

    a, g = norm(answer), norm(gold)
    return bool(g.strip()) and g in a


__all__ = ["ABSTAIN_TEXT", "ExtractiveAnswerer", "ScoredSentence", "answer_contains"]
