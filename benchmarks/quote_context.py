"""Choose `context_residual_share` (kb/config.py) on the TUNE questions only: for each value, answer accuracy and the
median answer length on the SQuAD tune half (asked of all twelve articles, as in use) and on the seed questions of
the tune halves (development set, paraphrases, follow-ups), asked of the seeds. Abstention is off (answer_quality's
indexes, threshold 0): the rule changes only what is quoted with the best sentence, so every answer counts.

    .venv/bin/python benchmarks/quote_context.py            # ~4 min on 2 cores
    .venv/bin/python benchmarks/quote_context.py --values 2 0.5 0.34

A neighbour is quoted with the best sentence when it holds at least this share of the question's terms that the
sentence lacks; above 1 the rule is off. Quoting more text can only add gold strings, so the length column is the
price: the value is chosen where accuracy still rises for few extra characters, as second_sentence_margin was.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from answer_quality import DATA, SHARED, build, tune_half  # noqa: E402
from kb import KnowledgeBase  # noqa: E402
from kb.evaluation import ask_all, load_questions, select, squad_corpus, summarize  # noqa: E402


def measure(kb: KnowledgeBase, questions: list, share: float) -> tuple[float, float]:
    """Answer accuracy and the median characters of the answers given."""
    kb.settings = replace(kb.settings, context_residual_share=share)  # read by each answer (KnowledgeBase.answerer)
    outcomes = ask_all(kb, questions)
    report = summarize("kb", questions, outcomes, by_split=False)
    lengths = [len(o.answer) for o in outcomes if not o.abstained]
    return report.metrics["answer_accuracy"] or 0.0, statistics.median(lengths) if lengths else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--values", type=float, nargs="+", default=[2.0, 0.67, 0.5, 0.34])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-quote-context-") as tmp:
        work = Path(tmp)
        corpus = squad_corpus(SHARED / "squad-dev-sample.json", work / "squad")
        tune = select(corpus.questions, "tune")
        seed = ([q for q in load_questions(SHARED / "seed_qa.jsonl") if not q.unanswerable]
                + [q for q in load_questions(DATA / "seed_paraphrases.jsonl") if tune_half(q) and not q.unanswerable]
                + [q for q in load_questions(DATA / "seed_followups.jsonl") if tune_half(q) and not q.unanswerable])
        full = build(corpus.folder, work / "index-all")
        seeds = build(ROOT / "seeds", work / "index-seeds")
        print(f"\n| context_residual_share | SQuAD tune ({len(tune)}), abstention off: accuracy | median answer chars "
              f"| seed tune ({len(seed)}), abstention off: accuracy | median answer chars |")
        print("|---|---|---|---|---|")
        for value in args.values:
            a, n = measure(full, tune, value)
            b, m = measure(seeds, seed, value)
            print(f"| {'off' if value > 1 else f'{value:g}'} | {a:.3f} | {n:.0f} | {b:.3f} | {m:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
