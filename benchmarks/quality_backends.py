"""Retrieval quality per embedding backend: the gate for making a faster backend the default.

Builds the SQuAD dev-sample corpus (and the seeds) once per backend and scores the same seeded question sample;
a backend may become the default only if its hit@5 is within 0.01 of torch's. By default the ranks come from
kb.search(q, k=10) (the same retrieval list `ask` cites from, scored with kb.evaluation.metrics); --ask runs
the full harness kb.evaluation.evaluate (adds the answerer; much slower on a busy CPU).

    .venv/bin/python benchmarks/quality_backends.py --limit 0 --backends torch,onnx-int8,onnx
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "eval"


def search_ranks(kb, questions) -> list[int | None]:  # noqa: ANN001
    from kb.evaluation.metrics import Span, first_gold_rank

    ranks = []
    for q in questions:
        passages = kb.search(q.question, k=10)
        ranks.append(first_gold_rank(q, [Span(p.source, p.start, p.end, p.text) for p in passages], 10))
    return ranks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=500, help="SQuAD questions (seeded sample); 0 = all")
    parser.add_argument("--backends", default="torch,onnx-int8,onnx")
    parser.add_argument("--ask", action="store_true", help="score with kb.evaluation.evaluate (kb.ask) instead")
    args = parser.parse_args()

    from kb import KnowledgeBase
    from kb.evaluation import evaluate, load_questions, select, squad_corpus
    from kb.evaluation.metrics import hit_at

    rows = []
    with tempfile.TemporaryDirectory(prefix="kb-quality-") as tmp:
        corpus = squad_corpus(SHARED / "squad-dev-sample.json", Path(tmp) / "squad")
        squad_q = select(corpus.questions, "all", limit=args.limit or None)
        seed_q = [q for q in load_questions(SHARED / "seed_qa.jsonl") if not q.unanswerable]
        for backend in args.backends.split(","):
            started = time.perf_counter()
            squad_kb = KnowledgeBase(corpus.folder, Path(tmp) / f"idx-squad-{backend}", backend=backend)
            squad_kb.build()
            seed_kb = KnowledgeBase(ROOT / "seeds", Path(tmp) / f"idx-seeds-{backend}", backend=backend)
            seed_kb.build()
            if args.ask:
                squad, seeds = evaluate(squad_kb, squad_q, name=backend), evaluate(seed_kb, seed_q, name=backend)
                result = (squad.hit5, squad.hit1, seeds.hit5)
            else:
                squad_ranks, seed_ranks = search_ranks(squad_kb, squad_q), search_ranks(seed_kb, seed_q)
                result = (hit_at(squad_ranks, 5), hit_at(squad_ranks, 1), hit_at(seed_ranks, 5))
            rows.append((backend, *result, time.perf_counter() - started))
            print(f"{backend}: squad hit@5 {result[0]:.4f} hit@1 {result[1]:.4f} seeds hit@5 {result[2]:.4f} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    base = rows[0]
    print(f"\n{'backend':<10} {'SQuAD hit@5':>11} {'Δ vs ' + base[0]:>12} {'SQuAD hit@1':>11} {'seeds hit@5':>11} {'Δ':>7}")
    for name, h5, h1, s5, _ in rows:
        print(f"{name:<10} {h5:>11.4f} {h5 - base[1]:>+12.4f} {h1:>11.4f} {s5:>11.4f} {s5 - base[3]:>+7.4f}")
    print(f"(SQuAD: {len(squad_q)} questions, seeded sample of {len(corpus.questions)}; seeds: {len(seed_q)} answerable)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
