"""Outcomes -> an EvalReport (metrics with their counts, per split) and the tables `kb eval` and benchmarks print.

Denominators, so numbers from different runs mean the same thing:
- hit@k, MRR@10, answer accuracy: answerable questions (an abstention counts as a wrong answer).
- citation accuracy: answerable questions the system answered (did not abstain).
- citation validity: every citation of every question.
- abstain precision: abstentions (reported only when some questions must be abstained on);
  abstain recall: questions that must be abstained on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from kb.evaluation.datasets import EvalQuestion
from kb.evaluation.metrics import (
    Outcome, abstain_precision_recall, answer_correct, citation_gold, first_gold_rank, hit_at, mrr_at, percentile,
)

#: (key, label) in table order.
METRICS: tuple[tuple[str, str], ...] = (
    ("hit1", "hit@1"),
    ("hit5", "hit@5"),
    ("hit10", "hit@10"),
    ("mrr10", "MRR@10"),
    ("answer_accuracy", "answer accuracy"),
    ("citation_accuracy", "citation accuracy"),
    ("citation_validity", "citation validity"),
    ("abstain_precision", "abstain precision"),
    ("abstain_recall", "abstain recall"),
    ("p50_ms", "p50 latency ms"),
    ("p95_ms", "p95 latency ms"),
)
LOWER_IS_BETTER = {"p50_ms", "p95_ms"}


@dataclass
class QuestionResult:
    id: str
    question: str
    split: str
    unanswerable: bool
    rank: int | None
    correct: bool
    abstained: bool
    cited_gold: bool
    answer: str
    ms: float
    error: str | None = None
    confidence: float | None = None  # the system's probability that its answer is right, where it gives one
    # What the answer cited, (source, start, end, text): without it a wrong citation could not be read from
    # `kb eval --json --details` without asking again.
    citations: tuple[tuple[str, int, int, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__, ms=round(self.ms, 3),
                    confidence=None if self.confidence is None else round(self.confidence, 4),
                    citations=[{"source": s, "start": a, "end": b, "text": t} for s, a, b, t in self.citations])


@dataclass
class EvalReport:
    name: str
    metrics: dict[str, float | None]
    counts: dict[str, int]
    seconds: float = 0.0
    splits: dict[str, "EvalReport"] = field(default_factory=dict)
    results: list[QuestionResult] = field(default_factory=list)

    def __getattr__(self, key: str) -> Any:  # report.hit1, report.answer_accuracy, ...
        metrics = self.__dict__.get("metrics", {})
        if key in metrics:
            return metrics[key]
        raise AttributeError(key)

    def failures(self) -> list[QuestionResult]:
        """Answerable questions without a gold passage in the top 10 or without a correct answer: what to look at."""
        return [r for r in self.results if not r.unanswerable and (r.rank is None or not r.correct)]

    def to_json(self, details: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "metrics": {k: (None if v is None else round(v, 4)) for k, v in self.metrics.items()},
            "counts": self.counts,
            "seconds": round(self.seconds, 2),
        }
        if self.splits:
            data["splits"] = {k: v.to_json() for k, v in self.splits.items()}
        if details:
            data["results"] = [r.to_json() for r in self.results]
        return data


def summarize(name: str, questions: Sequence[EvalQuestion], outcomes: Sequence[Outcome], k: int = 10,
              seconds: float = 0.0, by_split: bool = True) -> EvalReport:
    """Score outcomes[i] against questions[i]; with by_split, also each split present in the questions."""
    if len(questions) != len(outcomes):
        raise ValueError("one outcome per question")
    results: list[QuestionResult] = []
    citations = valid = 0
    for q, o in zip(questions, outcomes):
        rank = None if q.unanswerable else first_gold_rank(q, o.ranked, k)
        results.append(QuestionResult(
            q.id, q.question, q.split, q.unanswerable, rank, answer_correct(q, o), o.abstained,
            (not q.unanswerable and not o.abstained and citation_gold(q, o)), o.answer, o.ms, o.error, o.confidence,
            tuple((c.source, c.start, c.end, c.text) for c in o.citations),
        ))
        citations += len(o.citations)
        valid += o.valid_citations if o.valid_citations is not None else 0
    answerable = [r for r in results if not r.unanswerable]
    answered = [r for r in answerable if not r.abstained]
    ranks = [r.rank for r in answerable]
    precision, recall = abstain_precision_recall([r.unanswerable for r in results], [r.abstained for r in results])
    latencies = [o.ms for o in outcomes if o.ms > 0]
    checked = all(o.valid_citations is not None for o in outcomes)

    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    metrics: dict[str, float | None] = {
        "hit1": hit_at(ranks, 1) if ranks else None,
        "hit5": hit_at(ranks, 5) if ranks else None,
        "hit10": hit_at(ranks, 10) if ranks else None,
        "mrr10": mrr_at(ranks, 10) if ranks else None,
        "answer_accuracy": share(sum(r.correct for r in answerable), len(answerable)),
        "citation_accuracy": share(sum(r.cited_gold for r in answered), len(answered)),
        "citation_validity": share(valid, citations) if checked else None,
        # Without must-abstain questions every abstention is a wrong answer (already in answer accuracy), and a
        # precision of 0 would read as a failure of abstention itself.
        "abstain_precision": precision if len(answerable) < len(results) else None,
        "abstain_recall": recall,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
    }
    counts = {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(results) - len(answerable),
        "hits1": sum(1 for r in ranks if r is not None and r <= 1),
        "hits5": sum(1 for r in ranks if r is not None and r <= 5),
        "hits10": sum(1 for r in ranks if r is not None and r <= 10),
        "correct": sum(r.correct for r in answerable),
        "answered": len(answered),
        "cited_gold": sum(r.cited_gold for r in answered),
        "citations": citations,
        "valid_citations": valid,
        "abstained": sum(r.abstained for r in results),
        "abstained_unanswerable": sum(1 for r in results if r.abstained and r.unanswerable),
        "errors": sum(1 for r in results if r.error),
    }
    report = EvalReport(name, metrics, counts, seconds, results=results)
    splits = sorted({q.split for q in questions})
    if by_split and len(splits) > 1:
        for split in splits:
            pairs = [(q, o) for q, o in zip(questions, outcomes) if q.split == split]
            report.splits[split] = summarize(
                f"{name} [{split}]", [p[0] for p in pairs], [p[1] for p in pairs], k, by_split=False,
            )
    return report


def _cell(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if key in LOWER_IS_BETTER else f"{value:.3f}"


def format_table(columns: Sequence[tuple[str, EvalReport]], ratio_to: Sequence[tuple[str, str]] = ()) -> str:
    """Metrics down, systems across; ratio_to = [(numerator column, denominator column)] adds "a/b" columns."""
    by_name = dict(columns)
    header = ["metric"] + [name for name, _ in columns] + [f"{a}/{b}" for a, b in ratio_to]
    rows = [header]
    for key, label in METRICS:
        values = [report.metrics.get(key) for _, report in columns]
        if all(v is None for v in values):
            continue
        row = [label] + [_cell(key, v) for v in values]
        for a, b in ratio_to:
            num, den = by_name[a].metrics.get(key), by_name[b].metrics.get(key)
            row.append(f"{num / den:.2f}x" if num is not None and den else "-")
        rows.append(row)
    counts = ["questions (answerable/unanswerable)"] + [
        f"{r.counts['questions']} ({r.counts['answerable']}/{r.counts['unanswerable']})" for _, r in columns
    ] + ["" for _ in ratio_to]
    rows.append(counts)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("| " + " | ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 1) + ("-" if i == 0 else ":") for i, w in enumerate(widths)) + "|")
    return "\n".join(lines)


def split_columns(report: EvalReport) -> list[tuple[str, EvalReport]]:
    """The report, then each split: `kb eval` prints all / heldout / tune side by side."""
    return [("all", report)] + [(name, sub) for name, sub in sorted(report.splits.items())]


__all__ = ["METRICS", "EvalReport", "QuestionResult", "format_table", "split_columns", "summarize"]
