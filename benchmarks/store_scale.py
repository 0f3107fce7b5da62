"""FAISS + SQLite against Milvus (milvus-lite) at growing sizes: build, search latency, recall, memory, disk.

Both stores are driven through the same interface kb uses (kb.store.base): a full build through the store's
writer, then searches through the opened version: dense top-10, BM25 (6 words of one chunk, minus those in over 20% of the chunks, as kb sends them), the store's hybrid
search (FAISS store: both searches + RRF in Python; Milvus: one hybrid_search call fused by Milvus' RRFRanker,
returning the candidates' rows), and kb's whole retrieval (kb.retrieval.Retriever: hybrid + fetching the
30 pool passages + rescoring), minus embedding the question. Recall@10 of the dense search is against exact
inner-product search over the same vectors.

Corpus: synthetic 384-d unit vectors with the neighbourhood statistics of MiniLM embeddings (bench.py's
synthetic_vectors) and ~100 words per chunk from a Zipf-distributed 30k-word pseudo-vocabulary, 100 chunks per
document. No sentence rows (rescoring then sees none; it still fetches them). Each (store, size) runs in a fresh
process; RSS counts it and its children (milvus-lite runs Milvus as a child process).

    .venv/bin/python benchmarks/store_scale.py                       # sizes 10000,100000
    .venv/bin/python benchmarks/store_scale.py --sizes 1000000 --stores faiss
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

PER_DOC = 100
WORDS = 100


def _corpus(count: int, seed: int):
    import numpy as np

    from bench import synthetic_vectors

    vectors, queries = synthetic_vectors(count, 384, seed, queries=100)
    rng = np.random.default_rng(seed)
    vocabulary = ["".join(rng.choice(list("abcdefghiklmnoprstuvwy"), size=int(rng.integers(3, 10))))
                  for _ in range(30_000)]
    weights = 1.0 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    words = rng.choice(len(vocabulary), size=(count, WORDS), p=weights)
    picks = rng.choice(count, size=len(queries), replace=False)
    query_words = [[vocabulary[w] for w in rng.choice(words[i], 6, replace=False)] for i in picks]
    return vectors, queries, vocabulary, words, query_words


def _build(store: str, folder: Path, vectors, vocabulary, words) -> float:
    import numpy as np

    from kb.chunking import Chunker
    from kb.config import BUNDLED_MODEL, load_settings
    from kb.store import Manifest, open_backend
    from kb.types import Chunk, SourceDocument

    settings = load_settings({"index": folder / "index", "store": store}, env={})
    backend = open_backend(settings)
    count = len(vectors)
    started = time.perf_counter()
    with backend.lock():
        writer = backend.writer(True, vectors.shape[1])
        no_sentences = np.zeros((0, vectors.shape[1]), np.float32)
        for doc_start in range(0, count, PER_DOC):
            chunks, pieces, offset = [], [], 0
            name = f"doc{doc_start // PER_DOC}.txt"
            for i in range(doc_start, min(count, doc_start + PER_DOC)):
                text = " ".join(vocabulary[w] for w in words[i])
                chunks.append(Chunk(name, i - doc_start, offset, offset + len(text), text))
                pieces.append(text)
                offset += len(text) + 2
            document = SourceDocument(name, f"doc {doc_start // PER_DOC}", "\n\n".join(pieces), f"{doc_start:064x}")
            writer.add_document(document, chunks, vectors[doc_start : doc_start + len(chunks)], [], no_sentences)
        writer.publish(Manifest(model=BUNDLED_MODEL, dimension=vectors.shape[1], chunker=Chunker(1100, 150).signature,
                                embed_title=True, documents=math.ceil(count / PER_DOC), store=backend.kind))
    backend.collect_garbage()
    return time.perf_counter() - started


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (round(statistics.median(ordered) * 1000, 1),
            round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1))


def _rss(process) -> int:
    """This process and its children: milvus-lite runs Milvus as a child process."""
    return process.memory_info().rss + sum(child.memory_info().rss for child in process.children(recursive=True))


def run_one(store_kind: str, count: int, seed: int) -> dict:
    """One store at one size, in this process."""
    import numpy as np
    import psutil

    from kb.config import load_settings
    from kb.retrieval import Retriever
    from kb.store import open_backend
    from kb.store.vectors import exact_top_k

    vectors, queries, vocabulary, words, query_words = _corpus(count, seed)
    with tempfile.TemporaryDirectory(prefix="kb-store-scale-") as tmp:
        folder = Path(tmp)
        store = "faiss" if store_kind == "faiss" else f"milvus:{folder / 'kb-milvus.db'}"
        rss_before = _rss(psutil.Process())
        build_s = _build(store, folder, vectors, vocabulary, words)
        settings = load_settings({"index": folder / "index", "store": store}, env={})
        opened = open_backend(settings).open()
        retriever = Retriever(opened, settings)
        # The terms kb sends to BM25: the question's words minus those in over 20% of chunks (kb.retrieval.lexical).
        sent = [retriever.lexical.alternatives(retriever.lexical.query_terms(" ".join(q))) for q in query_words]
        for i in range(3):  # warm caches and connections
            opened.hybrid_search(queries[i], sent[i], 50, (1.0, 1.0), 60)
        dense_t, lexical_t, hybrid_t, retrieve_t, found = [], [], [], [], []
        for query, qwords, terms in zip(queries, query_words, sent):
            t = time.perf_counter(); hits = opened.dense_search(query, 10); dense_t.append(time.perf_counter() - t)
            found.append([cid for cid, _ in hits])
            t = time.perf_counter(); opened.lexical_search(terms, 50); lexical_t.append(time.perf_counter() - t)
            t = time.perf_counter(); opened.hybrid_search(query, terms, 50, (1.0, 1.0), 60)
            hybrid_t.append(time.perf_counter() - t)
            t = time.perf_counter(); retriever.run(" ".join(qwords), query, 5, "hybrid")
            retrieve_t.append(time.perf_counter() - t)
        # Chunk ids are 1..count in insertion order in both stores.
        truth = exact_top_k(vectors, queries, 10, np.arange(1, count + 1))
        recall = float(np.mean([len(set(t.tolist()) & set(f)) / 10 for t, f in zip(truth, found)]))
        rss = (_rss(psutil.Process()) - rss_before) / 2**20
        disk = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
        opened.close()
    return {
        "store": "FAISS + SQLite" if store_kind == "faiss" else "milvus-lite", "chunks": count,
        "build_s": round(build_s, 1), "chunks_per_s": round(count / build_s),
        "dense": _ms(dense_t), "recall": round(recall, 3), "lexical": _ms(lexical_t), "hybrid": _ms(hybrid_t),
        "retrieve": _ms(retrieve_t), "rss_mib": round(rss), "disk_mib": round(disk),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--stores", default="faiss,milvus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", nargs=2, metavar=("STORE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]), args.seed)))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for store in args.stores.split(","):
            done = subprocess.run([sys.executable, __file__, "--one", store, str(size), "--seed", str(args.seed)],
                                  capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            if done.returncode != 0:
                print(f"{store} {size}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"done {store} {size}", file=sys.stderr, flush=True)
    print(f"store_scale.py, {os.cpu_count()} CPUs; latencies p50 / p95 ms over 100 queries; "
          "hybrid = the store's hybrid_search (k=50); retrieval = kb's Retriever.run (hybrid, 30 passages rescored)")
    print("| store | chunks | build s | chunks/s | dense | recall@10 | BM25 | hybrid | retrieval | RSS MiB | disk MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        cell = lambda pair: f"{pair[0]} / {pair[1]}"  # noqa: E731
        print(f"| {r['store']} | {r['chunks']:,} | {r['build_s']} | {r['chunks_per_s']:,} | {cell(r['dense'])} | "
              f"{r['recall']} | {cell(r['lexical'])} | {cell(r['hybrid'])} | {cell(r['retrieve'])} | "
              f"{r['rss_mib']} | {r['disk_mib']} |")


if __name__ == "__main__":
    main()
