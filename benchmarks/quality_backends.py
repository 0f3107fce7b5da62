"""Retrieval quality per embedding backend: the gate for making a faster backend the default.

Builds the SQuAD dev-sample corpus (and the seeds) once per backend and scores the same seeded question sample
with kb.evaluation.evaluate; a backend may become the default only if its hit@5 is within 0.01 of torch's.

    .venv/bin/python benchmarks/quality_backends.py --limit 500 --backends torch,onnx-int8,onnx
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=500, help="SQuAD questions (seeded sample); 0 = all")
    parser.add_argument("--backends", default="torch,onnx-int8,onnx")
    args = parser.parse_args()

    from kb import KnowledgeBase
    from kb.evaluation import evaluate, load_questions, select, squad_corpus

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
            squad = evaluate(squad_kb, squad_q, name=backend)
            seeds = evaluate(seed_kb, seed_q, name=backend)
            rows.append((backend, squad.hit5, squad.hit1, seeds.hit5, time.perf_counter() - started))
            print(f"{backend}: squad hit@5 {squad.hit5:.4f} hit@1 {squad.hit1:.4f} seeds hit@5 {seeds.hit5:.4f}", flush=True)
    base = rows[0]
    print(f"\n{'backend':<10} {'SQuAD hit@5':>11} {'Δ vs ' + base[0]:>12} {'SQuAD hit@1':>11} {'seeds hit@5':>11} {'Δ':>7}")
    for name, h5, h1, s5, _ in rows:
        print(f"{name:<10} {h5:>11.4f} {h5 - base[1]:>+12.4f} {h1:>11.4f} {s5:>11.4f} {s5 - base[3]:>+7.4f}")
    print(f"(SQuAD: {len(squad_q)} questions, seeded sample of {len(corpus.questions)}; seeds: {len(seed_q)} answerable)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
