"""Metric primitives shared by `kb eval` and the peer benchmark, so every system is scored by the same code.

A system's reply to one question is an ``Outcome``: its ranked spans, its answer text, whether it abstained,
its citations. Everything here is a pure function of questions and outcomes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Sequence

from kb.answer.extractive import answer_contains
from kb.evaluation.datasets import EvalQuestion


@dataclass(frozen=True)
class Span:
    """A retrieved passage or a cited sentence: where it is, and the text the system claims is there."""

    source: str
    start: int
    end: int
    text: str = ""


@dataclass
class Outcome:
    ranked: list[Span]
    answer: str = ""
    abstained: bool = False
    citations: list[Span] = field(default_factory=list)
    ms: float = 0.0
    valid_citations: int | None = None  # filled by check_citations; None = not checked
    error: str | None = None  # the system refused the question (e.g. a kb UsageError)
    confidence: float | None = None  # kb's probability that its answer is right (None: a system without one)


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Half-open [start, end) intervals share at least one character."""
    return a_start < b_end and b_start < a_end


def is_gold(question: EvalQuestion, span: Span) -> bool:
    """SQuAD questions: the span overlaps the gold paragraph in the same file. JSONL: it comes from a gold source."""
    if question.unanswerable:
        return False
    if question.spans:
        return any(g.source == span.source and overlaps(span.start, span.end, g.start, g.end) for g in question.spans)
    return any(names_source(p, span.source) for p in question.sources)


def names_source(gold: str, source: str) -> bool:
    """Does a JSONL question's gold source (a file name or its prefix: "000") name this indexed document, by its
    path or its file name?"""
    return source.startswith(gold) or source.rsplit("/", 1)[-1].startswith(gold)


def unindexed_sources(questions: Sequence[EvalQuestion], indexed: Sequence[str]) -> list[str]:
    """The gold sources of JSONL questions that name no indexed document: nothing kb cites can match them."""
    wanted = sorted({p for q in questions if not q.spans for p in q.sources})
    return [p for p in wanted if not any(names_source(p, source) for source in indexed)]


def first_gold_rank(question: EvalQuestion, ranked: Sequence[Span], k: int = 10) -> int | None:
    """1-based rank of the first gold passage within the top k, or None."""
    for rank, span in enumerate(ranked[:k], start=1):
        if is_gold(question, span):
            return rank
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr_at(ranks: Sequence[int | None], k: int = 10) -> float:
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def holds_answer(question: EvalQuestion, text: str) -> bool:
    """The text contains one of the question's gold answers as whole words (any case): how an answer, a candidate
    sentence or a training label is judged."""
    return any(answer_contains(text, gold) for gold in question.answers)


def answer_correct(question: EvalQuestion, outcome: Outcome) -> bool:
    """An answer is right when it did not abstain and contains a gold answer as whole words (any case)."""
    if outcome.abstained or question.unanswerable:
        return False
    return holds_answer(question, outcome.answer)


def citation_gold(question: EvalQuestion, outcome: Outcome) -> bool:
    return any(is_gold(question, c) for c in outcome.citations)


def citation_is_valid(citation: Span, document_text: str | None) -> bool:
    """The cited text must be exactly what the document holds at [start:end]."""
    return (
        document_text is not None
        and 0 <= citation.start < citation.end <= len(document_text)
        and document_text[citation.start:citation.end] == citation.text
    )


def abstain_precision_recall(must_abstain: Sequence[bool], abstained: Sequence[bool]) -> tuple[float | None, float | None]:
    """Precision: of the abstentions, the share that should have been. Recall: of the must-abstains, the share that did.

    None where the denominator is zero (no abstentions / no unanswerable questions).
    """
    tp = sum(1 for m, a in zip(must_abstain, abstained) if m and a)
    n_abstained = sum(1 for a in abstained if a)
    n_must = sum(1 for m in must_abstain if m)
    return (tp / n_abstained if n_abstained else None, tp / n_must if n_must else None)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 100]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


@dataclass(frozen=True)
class CalibrationBin:
    """Predictions whose probability fell in [low, high): how many, what they said on average, how often right."""

    low: float
    high: float
    count: int
    predicted: float
    observed: float


def calibration(probabilities: Sequence[float], right: Sequence[bool],
                edges: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                ) -> tuple[list[CalibrationBin], float | None, float | None]:
    """Reliability of a probability that an answer is right: the non-empty bins (the last one closed, so 1.0 falls
    in it), the expected calibration error (|predicted - observed| averaged over bins, weighted by their counts)
    and the Brier score (mean squared error of the probability). Both None for no predictions. A probability is
    only as good as its calibration on questions it was not fit on: kb abstains below a threshold read as one."""
    p = [float(v) for v in probabilities]
    y = [1.0 if r else 0.0 for r in right]
    if len(p) != len(y):
        raise ValueError("one outcome per probability")
    if not p:
        return [], None, None
    bins = []
    for i, (low, high) in enumerate(zip(edges, edges[1:])):
        last = i == len(edges) - 2
        members = [j for j, v in enumerate(p) if low <= v < high or (last and v == high)]
        if members:
            bins.append(CalibrationBin(low, high, len(members), sum(p[j] for j in members) / len(members),
                                       sum(y[j] for j in members) / len(members)))
    ece = sum(b.count * abs(b.predicted - b.observed) for b in bins) / len(p)
    brier = sum((a - b) ** 2 for a, b in zip(p, y)) / len(p)
    return bins, ece, brier


def grouped_interval(values: Sequence[float], groups: Sequence[str], level: float = 0.95, draws: int = 4000,
                     seed: int = 0) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean of ``values``, resampling whole groups with replacement.

    Questions written about one SQuAD article share its difficulty, so they are not independent draws: a held-out
    half of six articles is six draws of "an article", and a question-level interval would be several times too
    narrow. Resampling articles says how far a number could move on other articles like these, which is what
    the issue's targets are read against. None for no values; one group gives its own mean twice.
    """
    if len(values) != len(groups):
        raise ValueError("one group per value")
    if not values:
        return None
    names = sorted(set(groups))
    sums = [sum(v for v, g in zip(values, groups) if g == name) for name in names]
    counts = [sum(1 for g in groups if g == name) for name in names]
    rng = random.Random(seed)
    means = []
    for _ in range(draws):
        picks = [rng.randrange(len(names)) for _ in names]
        means.append(sum(sums[i] for i in picks) / sum(counts[i] for i in picks))
    means.sort()
    tail = (1.0 - level) / 2
    low = means[min(int(tail * draws), draws - 1)]
    high = means[min(int((1.0 - tail) * draws), draws - 1)]
    return low, high


__all__ = [
    "CalibrationBin", "Outcome", "Span", "abstain_precision_recall", "answer_correct", "calibration", "citation_gold",
    "citation_is_valid", "first_gold_rank", "grouped_interval", "hit_at", "is_gold", "mrr_at", "names_source",
    "overlaps", "percentile", "unindexed_sources",
]
