"""Calibrate `abstain_threshold` on data: answerable questions against their own corpus, unanswerable ones
against a corpus that cannot answer them, and print what each threshold would give.

    .venv/bin/python benchmarks/calibrate_abstention.py [--limit 400] [--split tune]

Every question is asked once with abstention off; its answer's confidence (the support of the best sentence)
is compared with each threshold afterwards, so the sweep costs one pass. Rows:
- answer accuracy: SQuAD questions (the chosen split) on the SQuAD index, answered and containing a gold answer;
- abstain recall: SQuAD questions on the seeds index plus seed questions on the SQuAD index, all must abstain;
- seeds: the development questions on the seeds index (answerable ones must answer, unanswerable ones abstain).
The recommended threshold is the middle of the band of thresholds that keep abstain recall >= 0.95, answer
accuracy >= 0.75 and separate the seed questions: the widest margin on both sides, rather than the edge that
happens to score best on this sample.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase  # noqa: E402
from kb.answer import answer_contains  # noqa: E402
from kb.evaluation import load_questions, select, squad_corpus  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"


def confidences(kb: KnowledgeBase, questions, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, answer contains a gold answer) per question, asked with abstention off."""
    conf, correct = [], []
    for q in questions:
        answer = kb.ask(q.question, k=k)
        conf.append(answer.confidence)
        correct.append(any(answer_contains(answer.answer, g) for g in q.answers))
    return np.array(conf), np.array(correct, dtype=bool)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad", default=str(SHARED / "squad-dev-sample.json"))
    parser.add_argument("--seeds-qa", default=str(SHARED / "seed_qa.jsonl"))
    parser.add_argument("--split", default="tune", choices=("tune", "heldout", "all"))
    parser.add_argument("--limit", type=int, default=400)
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kb-calibrate-"))
    try:
        corpus = squad_corpus(args.squad, ROOT / ".kb-cache" / "squad-corpus")
        off = {"abstain_threshold": -10.0}
        squad = KnowledgeBase(corpus.folder, ROOT / ".kb-cache" / "squad-index", **off)
        squad.build()
        seeds_dir = work / "seeds"
        shutil.copytree(ROOT / "seeds", seeds_dir)
        seeds = KnowledgeBase(seeds_dir, work / "index", **off)
        seeds.build()

        answerable = select(corpus.questions, args.split, limit=args.limit)
        seed_items = load_questions(args.seeds_qa)
        pos, pos_ok = confidences(squad, answerable, args.k)
        neg_a, _ = confidences(seeds, answerable, args.k)
        neg_b, _ = confidences(squad, seed_items, args.k)
        negatives = np.concatenate([neg_a, neg_b])
        seed_conf, _ = confidences(seeds, seed_items, args.k)
        seed_unanswerable = np.array([q.unanswerable for q in seed_items])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{len(pos)} answerable SQuAD ({args.split}), {len(negatives)} cross-corpus unanswerable, "
          f"{len(seed_items)} seed questions; k={args.k}\n")
    print("| threshold | answer accuracy | answered | abstain recall | seeds separated |")
    print("|---|---|---|---|---|")
    band = []
    for t in np.round(np.arange(0.30, 0.62, 0.02), 2):
        accuracy = float(np.mean(pos_ok & (pos >= t)))
        recall = float(np.mean(negatives < t))
        separated = bool(np.all(seed_conf[~seed_unanswerable] >= t) and np.all(seed_conf[seed_unanswerable] < t))
        print(f"| {t:.2f} | {accuracy:.3f} | {np.mean(pos >= t):.3f} | {recall:.3f} | {'yes' if separated else 'no'} |")
        if recall >= 0.95 and accuracy >= 0.75 and separated:
            band.append(float(t))
    if band:
        print(f"\nthresholds meeting the constraints: {band[0]:.2f} to {band[-1]:.2f}; "
              f"recommended abstain_threshold: {(band[0] + band[-1]) / 2:.3f}")
    else:
        print("\nno threshold meets the constraints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
