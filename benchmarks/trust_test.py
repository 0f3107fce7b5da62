"""Can a cited answer be trusted on documents kb was never built around? The trust test's corpus and questions.

    .venv/bin/python benchmarks/trust_test.py [--verbose]     # ~30 s
    .venv/bin/python benchmarks/trust_test.py --corpus DIR --questions FILE.jsonl   # another corpus, same table

tests/data/trust_utility/ is 13 Markdown documents of a fictional municipal water utility that a helper session
wrote on 2026-12-06 (two years' budgets, two sets of minutes, two offices, a staff list, an incident report, a press
release, an FAQ), and tests/data/trust_utility_questions.jsonl the questions it wrote before running kb: 40 an
employee would ask (in other words than the documents'), 30 about the same utility that the documents do not answer
but share words with, and 10 follow-ups, each asked after its first question as the chat asks it (the first answer's
names appended). Not held out: the rules of 2026-12-06 were made from the failures it showed (docs/reliability.md,
"A trust test on a corpus kb had never seen"), so read it as a measure of those patterns, not as a held-out number.

An answer counts as right when it holds one of the question's expected strings, whole-word (the evaluation's
answer_correct), which is stricter than a reader on wording and looser on a right string quoted for the wrong reason.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase  # noqa: E402
from kb.evaluation import load_questions  # noqa: E402
from kb.evaluation.metrics import answer_correct  # noqa: E402
from kb.evaluation.runner import outcome_from_answer  # noqa: E402
from kb.query import contextualize  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "trust_utility"
QUESTIONS = ROOT / "tests" / "data" / "trust_utility_questions.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="every question with kb's answer")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="documents folder (default: the utility's)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="JSONL questions, as in tests/data")
    args = parser.parse_args()
    kb = KnowledgeBase(args.corpus, Path(tempfile.mkdtemp(prefix="kb-trust-")) / "index")
    kb.build()
    counts: dict[str, list[int]] = {}
    for q in load_questions(args.questions):
        asked = q.question
        if q.history:  # as the chat asks it: the first question answered, its answer's names appended
            first = q.history[0][0]
            asked = contextualize(q.question, [(first, kb.ask(first).answer)])
        answer = kb.ask(asked)
        right = not answer.abstained and not q.unanswerable and answer_correct(q, outcome_from_answer(answer))
        wrong = not answer.abstained and not right
        row = counts.setdefault(q.kind, [0, 0, 0, 0])
        row[0] += 1
        row[1] += right
        row[2] += wrong
        row[3] += answer.abstained
        if args.verbose:
            verdict = "abstained" if answer.abstained else ("right" if right else "CITED WRONG")
            print(f"{q.id} [{verdict} {answer.confidence:.2f}] {asked}\n    -> {' '.join(answer.answer.split())[:200]}")
    print("| questions | n | right | cited but wrong | abstained |")
    print("|---|---|---|---|---|")
    names = {"answerable": "answerable", "near-miss": "not answerable (must abstain)",
             "unanswerable": "not answerable (must abstain)", "followup": "follow-ups"}
    for kind, (n, right, wrong, abstained) in counts.items():
        shown = "" if kind in ("near-miss", "unanswerable") else str(right)
        print(f"| {names.get(kind, kind)} | {n} | {shown} | {wrong} | {abstained} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
