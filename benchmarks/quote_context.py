"""Choose `context_threshold` (kb/config.py) on the TUNE questions only: for each value, answer accuracy, the
median answer length and how many answers quote a neighbour, on the SQuAD tune half (asked of all twelve articles,
as in use) and on the seed questions of the tune halves (development set, paraphrases, follow-ups), asked of the
seeds. Abstention is off (answer_quality's indexes, threshold 0): the threshold changes only what is quoted with
the best sentences, so every answer counts.

    .venv/bin/python benchmarks/quote_context.py            # ~5 min on 2 cores
    .venv/bin/python benchmarks/quote_context.py --values 1 0.2 0.1

A neighbour is quoted with one of the best sentences when the context model (kb/answer/weights/context.json) gives
it at least this probability of holding the answer the sentence lacks; 1 quotes none. Quoting more text can only
add gold strings, so the length column is the price: the value is chosen where accuracy still rises for few extra
characters, as second_sentence_margin was.
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
from kb.text import split_sentences  # noqa: E402


def measure(kb: KnowledgeBase, questions: list, threshold: float) -> tuple[float, float, int]:
    """Answer accuracy, the median characters of the answers given, and how many quote more than whole sentences
    of their own (a statement with its neighbour is one citation spanning two sentences)."""
    kb.settings = replace(kb.settings, context_threshold=threshold)  # read by each answer (KnowledgeBase.answerer)
    outcomes = ask_all(kb, questions)
    report = summarize("kb", questions, outcomes, by_split=False)
    lengths = [len(o.answer) for o in outcomes if not o.abstained]
    quoting = sum(any(len(split_sentences(c.text)) > 1 for c in o.citations) for o in outcomes if not o.abstained)
    return report.metrics["answer_accuracy"] or 0.0, statistics.median(lengths) if lengths else 0.0, quoting


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--values", type=float, nargs="+", default=[1.0, 0.3, 0.2, 0.15, 0.1, 0.08])
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
        print(f"\n| context_threshold | SQuAD tune ({len(tune)}), abstention off: accuracy | median answer chars "
              f"| answers quoting a neighbour | seed tune ({len(seed)}): accuracy | median answer chars "
              f"| answers quoting a neighbour |")
        print("|---|---|---|---|---|---|---|")
        for value in args.values:
            a, n, x = measure(full, tune, value)
            b, m, y = measure(seeds, seed, value)
            print(f"| {'off' if value >= 1 else f'{value:g}'} | {a:.3f} | {n:.0f} | {x} | {b:.3f} | {m:.0f} | {y} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
