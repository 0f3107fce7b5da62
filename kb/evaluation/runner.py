"""Run a question set through a KnowledgeBase: one ``kb.ask(q, k)`` per question gives both the ranking
(its passages) and the answer (its text and citations), so a 2,500-question run stays a few minutes on CPU.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable, Sequence

from kb.errors import UsageError
from kb.evaluation.datasets import EvalQuestion, as_unanswerable
from kb.evaluation.metrics import Outcome, Span, citation_is_valid
from kb.evaluation.report import EvalReport, summarize
from kb.query import contextualize

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase
    from kb.types import Answer

ProgressFn = Callable[[int, int], None]


class DocumentTexts:
    """document_text(source) memoized: citations are checked against the indexed text, read once per source."""

    def __init__(self, lookup: Callable[[str], str | None]) -> None:
        self._lookup = lookup
        self._cache: dict[str, str | None] = {}

    def __call__(self, source: str) -> str | None:
        if source not in self._cache:
            self._cache[source] = self._lookup(source)
        return self._cache[source]


def check_citations(outcome: Outcome, texts: Callable[[str], str | None]) -> Outcome:
    outcome.valid_citations = sum(citation_is_valid(c, texts(c.source)) for c in outcome.citations)
    return outcome


def outcome_from_answer(answer: "Answer") -> Outcome:
    return Outcome(
        ranked=[Span(p.source, p.start, p.end, p.text) for p in answer.passages],
        answer=answer.answer,
        abstained=answer.abstained,
        citations=[Span(c.source, c.start, c.end, c.text) for c in answer.citations],
        ms=answer.ms,
        confidence=answer.confidence,
    )


def asked(question: EvalQuestion) -> str:
    """What kb is asked: a follow-up is rewritten from its conversation, as the chat UI does."""
    return contextualize(question.question, question.history) if question.history else question.question


def ask_all(kb: "KnowledgeBase", questions: Sequence[EvalQuestion], k: int = 10, mode: str | None = None,
            on_progress: ProgressFn | None = None) -> list[Outcome]:
    """One outcome per question; a question kb refuses (UsageError) is recorded as an error, not a crash."""
    texts = DocumentTexts(kb.document_text)
    if questions:  # load the model and open the index outside the timed questions
        try:
            kb.ask(questions[0].question, k=k, mode=mode)
        except UsageError:
            pass
    outcomes = []
    for done, question in enumerate(questions, start=1):
        try:
            outcome = outcome_from_answer(kb.ask(asked(question), k=k, mode=mode))
        except UsageError as exc:
            outcome = Outcome(ranked=[], abstained=True, error=str(exc))
        outcomes.append(check_citations(outcome, texts))
        if on_progress is not None:
            on_progress(done, len(questions))
    return outcomes


def evaluate(kb: "KnowledgeBase", questions: Sequence[EvalQuestion], k: int = 10, mode: str | None = None,
             must_abstain: bool = False, name: str = "kb", on_progress: ProgressFn | None = None) -> EvalReport:
    """Score kb on the questions. must_abstain: every question is asked of an index that cannot answer it."""
    questions = as_unanswerable(list(questions)) if must_abstain else list(questions)
    started = time.perf_counter()
    outcomes = ask_all(kb, questions, k, mode, on_progress)
    return summarize(name, questions, outcomes, k=k, seconds=time.perf_counter() - started)


__all__ = ["DocumentTexts", "ProgressFn", "ask_all", "asked", "check_citations", "evaluate", "outcome_from_answer"]
