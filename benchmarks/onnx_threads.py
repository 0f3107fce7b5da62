"""How the int8 ONNX embedder should spread over the CPU's cores: for an index build, and for one question.

    .venv/bin/python benchmarks/onnx_threads.py [--chunks 300] [--questions 400]

Prints one table, every figure measured in this run on the bundled model:
- build throughput (~200-token SQuAD chunks, kb's batch size) for three layouts of the same cores: two batches side
  by side on one thread each (kb's batch session), one session on every core with the same two batch workers,
  and one batch at a time on every core;
- one question at a time on one thread against every core (kb's question session since 2026-12-05);
- the resident memory the question session adds.

It is the evidence for kb.embedding's choice of two sessions (docs/performance.md, "A question on every core"):
one session on every core would save the question session's memory at the cost of build throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench import SHARED, rss_mib, sample_chunks  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=300)
    parser.add_argument("--questions", type=int, default=400)
    args = parser.parse_args()

    from kb.embedding import Embedder

    cores = os.cpu_count() or 1
    embedder = Embedder(backend="onnx-int8", device="cpu")
    encoder = embedder._encoder  # the layouts below are kb's own sessions, rebuilt with other thread counts
    chunks, tokens = sample_chunks(args.chunks)
    data = json.loads((SHARED / "squad-dev-sample.json").read_text(encoding="utf-8"))
    questions = [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]][: args.questions]
    embedder.embed(chunks[:8])

    def build(workers: int, threads: int) -> str:
        encoder._session, encoder.workers = encoder._open(threads), workers
        started = time.perf_counter()
        embedder.embed(chunks)
        return f"{len(chunks) / (time.perf_counter() - started):.1f} chunks/s"

    def question(single_threads: int) -> str:
        encoder._single_threads, encoder._single = single_threads, None
        embedder.embed_one(questions[0])
        times = []
        for q in questions:
            started = time.perf_counter()
            embedder.embed_one(q)
            times.append(time.perf_counter() - started)
        return f"p50 {statistics.median(times) * 1000:.2f} ms"

    half = max(1, cores // 2)
    # The questions first: the memory the question session adds is read before the build layouts below open
    # other sessions (whose freed pages the allocator keeps).
    rows = [("question: the batch session, 1 thread", question(0))]
    before = rss_mib()
    rows.append((f"question: its own session, {cores} threads (kb)", question(cores)))
    rows.append(("memory the question session adds (RSS)", f"{rss_mib() - before:.0f} MiB"))
    rows += [
        (f"build: 2 batch workers x {half} thread(s) (kb)", build(2, half)),
        (f"build: 2 batch workers x {cores} threads, one session", build(2, cores)),
        (f"build: 1 batch worker x {cores} threads", build(1, cores)),
        (f"build: 2 batch workers x {half} thread(s), again", build(2, half)),
    ]
    load = os.getloadavg()[0]
    print(f"onnx_threads {time.strftime('%Y-%m-%d %H:%M')} | {cores} CPUs, load avg {load:.1f} | "
          f"{len(chunks)} chunks of ~{tokens:.0f} tokens, {len(questions)} questions")
    print("| layout | measured |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
