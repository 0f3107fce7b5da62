"""Every answer kb gives to the questions training may read, written out, and two such runs compared answer by answer.

    .venv/bin/python benchmarks/tune_answers.py dump OUT.jsonl          # ~1.5 min: this tree's answers
    .venv/bin/python benchmarks/tune_answers.py compare A.jsonl B.jsonl # which answers differ, and how

A rule's cost on the tune questions is read here before any held-out number is looked at: answer_quality.py's rows
move by one question in a thousand and hide which answers moved. The questions: the SQuAD tune half asked of all
twelve articles, each tune article's questions asked of the other tune articles (same-domain negatives, as
train_scorer.py asks them), and the seed development and tune sets asked of the seeds. Run `dump` in each tree (a
git worktree for the commit before) with the same interpreter, then `compare`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import train_scorer as ts  # noqa: E402
from kb.evaluation.runner import asked  # noqa: E402


def dump(out: Path) -> int:
    """This tree's answer to every tune question, one JSON object a line, in a fixed order."""
    labels = {"squad": "squad tune", "same-domain": "same-domain"}
    rows = 0
    with tempfile.TemporaryDirectory(prefix="kb-tune-answers-") as work, out.open("w", encoding="utf-8") as f:
        for kb, q, group in ts.tune_questions_asked(Path(work)):
            answer = kb.extractive_answer(kb.retrieve(asked(q), k=ts.K))
            label = labels.get(group) or ("seed negative" if q.unanswerable else "seed")
            f.write(json.dumps({"group": label, "question": q.question, "abstained": answer.abstained,
                                "confidence": round(answer.confidence or 0.0, 3), "answer": answer.answer,
                                "gold": list(q.answers)}) + "\n")
            rows += 1
    print(f"{rows} answers -> {out}")
    return 0


def compare(before: Path, after: Path) -> int:
    """The answers that differ between two dumps, each with the question's gold strings, then a count by group."""
    a = [json.loads(line) for line in before.open(encoding="utf-8")]
    b = [json.loads(line) for line in after.open(encoding="utf-8")]
    if [r["question"] for r in a] != [r["question"] for r in b]:
        print("the dumps ask different questions: dump both with the same data")
        return 2
    changed: dict[str, int] = {}
    for x, y in zip(a, b):
        if (x["abstained"], x["answer"]) == (y["abstained"], y["answer"]):
            continue
        changed[x["group"]] = changed.get(x["group"], 0) + 1
        print(f"[{x['group']}] {x['question']}  gold: {'; '.join(x['gold'][:2]) or '-'}")
        for label, row in (("before", x), ("after", y)):
            print(f"    {label} {row['confidence']:.2f} {' '.join(row['answer'].split())[:200]}")
    print("\n| group | answers | changed |\n|---|---|---|")
    for group in dict.fromkeys(r["group"] for r in a):
        print(f"| {group} | {sum(r['group'] == group for r in a)} | {changed.get(group, 0)} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dump").add_argument("out", type=Path)
    both = sub.add_parser("compare")
    both.add_argument("before", type=Path)
    both.add_argument("after", type=Path)
    args = parser.parse_args()
    return dump(args.out) if args.command == "dump" else compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
