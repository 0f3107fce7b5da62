"""Unanswerable questions from the same domain: each half of the SQuAD sample asked of an index of the other half.

    .venv/bin/python benchmarks/hard_negatives.py

Cross-corpus abstention (SQuAD questions asked of the news seeds) is easy: the words rarely match. Here the
questions share the corpus's style and much of its vocabulary (tune questions about the Scottish Parliament asked
of an index holding European Union law), so every one must abstain, and the wrong answers that remain are the
confident-but-off-topic kind. Printed per direction: questions, and how many were answered (all wrongly) without
and with the name-grounding check of kb.answer.grounding.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase  # noqa: E402
from kb.evaluation import select, squad_corpus  # noqa: E402


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="kb-hard-negatives-"))
    try:
        corpus = squad_corpus(ROOT.parent / "shared" / "eval" / "squad-dev-sample.json", work / "corpus")
        articles = sorted(corpus.folder.glob("*.txt"))
        print("| questions | asked of | questions | answered without the check | answered with it | abstain recall |")
        print("|---|---|---|---|---|---|")
        for split, other, parity in (("tune", "held-out articles", 1), ("heldout", "tune articles", 0)):
            folder = work / f"only-{parity}"
            folder.mkdir()
            for i, path in enumerate(articles):  # tune = even articles, held-out = odd (kb.evaluation.select)
                if i % 2 == parity:
                    shutil.copy(path, folder / path.name)
            kb = KnowledgeBase(folder, work / f"index-{parity}")
            kb.build()
            questions = select(corpus.questions, split)
            unchecked = checked = 0
            for q in questions:
                r = kb.retrieve(q.question, k=10)
                raw = kb.answerer.run(r.query, r.passages, r.sentences)
                unchecked += not r.query.absent_names and not raw.abstained
                checked += not kb.extractive_answer(r).abstained
            print(f"| {split} | {other} | {len(questions)} | {unchecked} | {checked} | "
                  f"{1 - unchecked / len(questions):.3f} -> {1 - checked / len(questions):.3f} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
