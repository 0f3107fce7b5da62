"""The gate for a faster embedding backend becoming the default: same questions, each backend's own index.

    .venv/bin/python benchmarks/backend_gate.py [--backends onnx-int8,torch] [--step 2]

Writes the SQuAD sample corpus, builds one index per backend (with kb's configured settings otherwise), asks every
`--step`-th question of each half (tune / held-out) with `kb.ask(q, k=10)` and scores it with kb.evaluation, so the
figures mean what `kb eval` reports. A backend may become the default when its hit@5 is within 0.01 of torch's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase  # noqa: E402
from kb.evaluation import evaluate, select, squad_corpus  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", default=str(ROOT.parent / "shared" / "eval" / "squad-dev-sample.json"))
    parser.add_argument("--backends", default="onnx-int8,torch")
    parser.add_argument("--step", type=int, default=2, help="ask every N-th question of each half")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-gate-") as folder:
        return gate(args, Path(folder))


def gate(args: argparse.Namespace, work: Path) -> int:
    """One table row per backend and split; the indexes are built under work."""
    corpus = squad_corpus(args.squad, work / "corpus")
    print("| backend | build s | split | questions | hit@1 | hit@5 | hit@10 | answer accuracy |")
    print("|---|---|---|---|---|---|---|---|")
    for backend in args.backends.split(","):
        kb = KnowledgeBase(corpus.folder, work / f"index-{backend}", backend=backend)
        started = time.perf_counter()
        kb.build()
        build_s = time.perf_counter() - started
        for split in ("tune", "heldout"):
            questions = select(corpus.questions, split)[:: args.step]
            r = evaluate(kb, questions, k=10)
            print(f"| {backend} | {build_s:.0f} | {split} | {len(questions)} | {r.hit1:.3f} | {r.hit5:.3f} | "
                  f"{r.hit10:.3f} | {r.answer_accuracy:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
