"""Measured answer quality: question sets, metrics, the runner behind `kb eval`, and report tables.

    from kb import KnowledgeBase
    from kb.evaluation import evaluate, load_questions, select, squad_corpus

    corpus = squad_corpus("../shared/eval/squad-dev-sample.json", ".kb-cache/squad-corpus")
    kb = KnowledgeBase(corpus.folder, ".kb-cache/squad-index"); kb.build()
    report = evaluate(kb, select(corpus.questions, "tune", limit=300))
    print(report.hit1, report.splits)
"""

from kb.evaluation.datasets import (
    SPLITS, EvalQuestion, GoldSpan, SquadCorpus, as_unanswerable, load_questions, load_squad, select, squad_corpus,
)
from kb.evaluation.metrics import Outcome, Span
from kb.evaluation.report import EvalReport, format_table, split_columns, summarize
from kb.evaluation.runner import ask_all, check_citations, evaluate

__all__ = [
    "SPLITS", "EvalQuestion", "EvalReport", "GoldSpan", "Outcome", "Span", "SquadCorpus", "as_unanswerable",
    "ask_all", "check_citations", "evaluate", "format_table", "load_questions", "load_squad", "select",
    "split_columns", "squad_corpus", "summarize",
]
