"""kb speed benchmark: one table per run, every figure measured in this run, the peer beside it where one exists.

Sections (all by default; pick with --only):
  embedding  chunks/s for ~200-token chunks per backend (torch fp32, onnx fp32, onnx int8; GPU when present)
  build      full `kb index` of the SQuAD dev-sample corpus vs the LangChain tutorial pipeline
             (RecursiveCharacterTextSplitter(1000, 200) + langchain_community FAISS.from_documents, same model,
             torch fp32), both as fresh processes: wall time and peak RSS
  rebuild    `kb index` after nothing changed / one document edited / one deleted (process wall time)
  growth     peak RSS of a full `kb index` as the corpus grows: the SQuAD sample copied --copies times, each
             copy's sentences marked so no text repeats (a build holds one group of documents at a time, so the
             peak should not grow with the corpus); --one-file writes the copies as one document
  query      warm p50/p95 of kb.search and kb.ask vs the tutorial's similarity_search, same questions
  scale      retrieval latency, memory and recall@10 vs exact at synthetic sizes (--sizes)
  serve      `kb serve` peak RSS and time from launch to the first answer over its API

Synthetic corpora (scale): unit vectors in 384 dimensions with the neighbourhood statistics of real MiniLM
embeddings (topics > subtopics > noise; see synthetic_vectors); queries are fresh draws from the same
subtopics. Chunk text for FTS5 is ~100
words drawn from a Zipf-distributed 30k-word pseudo-vocabulary; queries are 6 words from one chunk. The index is a
real kb index version (SQLite + FAISS + manifest) queried through kb.retrieval.Retriever, minus embedding.

    .venv/bin/python benchmarks/bench.py                      # all sections, sizes 10k,100k
    .venv/bin/python benchmarks/bench.py --sizes 10000,100000,1000000
    .venv/bin/python benchmarks/bench.py --quick              # smaller samples, for a smoke run
    .venv/bin/python benchmarks/bench.py --only embedding     # also the GPU run on a machine with CUDA
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "eval"
PYTHON = sys.executable
SECTIONS = ("embedding", "build", "rebuild", "growth", "query", "scale", "serve")

Row = tuple[str, str, str, str]  # (what, kb, peer, note)


# -- helpers ---------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 50) * 1000:.1f} / p95 {pct(values, 95) * 1000:.1f} ms"


def timed_process(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, output) of a fresh process; RSS from a wrapper's RUSAGE_CHILDREN."""
    wrapper = (
        "import resource, subprocess, sys, time, json; t = time.perf_counter(); "
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(json.dumps({'rc': p.returncode, 's': time.perf_counter() - t, "
        "'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, 'out': (p.stdout + p.stderr)[-2000:]}))"
    )
    done = subprocess.run([PYTHON, "-c", wrapper, *argv], capture_output=True, text=True, env=env)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {result['out']}")
    return result["s"], result["rss"] / 1024, result["out"]


def kb_cli(*args: str) -> list[str]:
    return [PYTHON, "-m", "kb.cli", *args]


def squad_folder(tmp: Path) -> tuple[Path, list[str]]:
    """The SQuAD dev sample as one .txt per article, and its questions."""
    from kb.evaluation import squad_corpus

    corpus = squad_corpus(SHARED / "squad-dev-sample.json", tmp / "squad")
    return corpus.folder, [q.question for q in corpus.questions]


def sample_chunks(count: int, model: str = "") -> tuple[list[str], float]:
    """~200-token chunks cut from SQuAD paragraphs (150-word windows), and their mean token count."""
    data = json.loads((SHARED / "squad-dev-sample.json").read_text(encoding="utf-8"))
    words = " ".join(p["context"] for a in data["data"] for p in a["paragraphs"]).split()
    chunks = [" ".join(words[i : i + 150]) for i in range(0, len(words) - 150, 150)][:count]
    from tokenizers import Tokenizer

    from kb.config import BUNDLED_MODEL
    from kb.embedding import resolve_model_path

    tokenizer = Tokenizer.from_file(str(Path(model or resolve_model_path(BUNDLED_MODEL)) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokens = statistics.mean(len(e.ids) for e in tokenizer.encode_batch(chunks))
    return chunks, tokens


# -- sections --------------------------------------------------------------------------------------
def bench_embedding(args: argparse.Namespace) -> list[Row]:
    from kb.config import BUNDLED_MODEL
    from kb.embedding import Embedder, onnx_available

    chunks, tokens = sample_chunks(args.embed_chunks, args.model)
    combos = [("torch", "cpu")]
    if onnx_available():
        combos += [("onnx", "cpu"), ("onnx-int8", "cpu")]
    try:
        import torch

        if torch.cuda.is_available():
            combos += [("torch", "cuda")]
    except ImportError:
        pass
    rows: list[Row] = []
    base = None
    for backend, device in combos:
        embedder = Embedder(args.model or BUNDLED_MODEL, device=device, backend=backend,  # kb's batch size
                            model_cache=args.model_cache)
        embedder.embed(chunks[:128])  # warm-up: first-call allocations, ONNX graph setup, CUDA kernels
        started = time.perf_counter()
        embedder.embed(chunks)
        rate = len(chunks) / (time.perf_counter() - started)
        base = base or rate
        dtype = ""
        if backend == "torch":
            dtype = " " + str(next(embedder._encoder._model.parameters()).dtype).replace("torch.", "")
        label = f"embedding {backend}{dtype} ({device})"
        rows.append((label, f"{rate:.1f} chunks/s", "", f"{rate / base:.2f}x torch cpu; {len(chunks)} chunks, "
                                                         f"mean {tokens:.0f} tokens"))
    if args.batch_sizes and onnx_available():
        rows += int8_batch_sizes(args, chunks)
    return rows


def int8_batch_sizes(args: argparse.Namespace, chunks: list[str]) -> list[Row]:
    """int8 throughput per batch size, and how far a batch mate moves a vector (activations are quantized with
    one scale per batch, so only a batch of one gives each text the vector it gets alone)."""
    from kb.config import BUNDLED_MODEL
    from kb.embedding import Embedder

    rows: list[Row] = []
    alone = None
    for size in sorted(args.batch_sizes):
        embedder = Embedder(args.model or BUNDLED_MODEL, device="cpu", backend="onnx-int8", batch_size=size,
                            model_cache=args.model_cache)
        embedder.embed(chunks[:128])
        rates = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            vectors = embedder.embed(chunks)
            rates.append(len(chunks) / (time.perf_counter() - started))
        alone = vectors if alone is None else alone
        moved = float(abs(vectors - alone).max()) if size != min(args.batch_sizes) else 0.0
        rows.append((f"embedding onnx-int8 (cpu), batch {size}", " / ".join(f"{r:.1f}" for r in rates) + " chunks/s",
                     "", f"{args.repeats} runs; largest component moved vs batch {min(args.batch_sizes)}: {moved:.4f}"))
    return rows


TUTORIAL = r'''
import sys, time, warnings
warnings.filterwarnings("ignore")
from pathlib import Path
from kb.embedding import resolve_model_path
from kb.config import BUNDLED_MODEL
from langchain_text_splitters import RecursiveCharacterTextSplitter
from langchain_core.documents import Document
from langchain_community.vectorstores import FAISS
try:
    from langchain_community.embeddings import HuggingFaceEmbeddings
except ImportError:
    from langchain_huggingface import HuggingFaceEmbeddings
folder, out = Path(sys.argv[1]), Path(sys.argv[2])
docs = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name}) for p in sorted(folder.glob("*.txt"))]
splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
emb = HuggingFaceEmbeddings(model_name=resolve_model_path(BUNDLED_MODEL), model_kwargs={"device": "cpu"})
store = FAISS.from_documents(splits, emb)
store.save_local(str(out))
print(f"CHUNKS={len(splits)}")
'''


def tutorial_store(folder: Path, out: Path) -> Any:
    """Load what the tutorial built, for its similarity_search latency (in this process)."""
    import warnings

    warnings.filterwarnings("ignore")
    from langchain_community.vectorstores import FAISS

    try:
        from langchain_community.embeddings import HuggingFaceEmbeddings
    except ImportError:  # pragma: no cover
        from langchain_huggingface import HuggingFaceEmbeddings
    from kb.config import BUNDLED_MODEL
    from kb.embedding import resolve_model_path

    emb = HuggingFaceEmbeddings(model_name=resolve_model_path(BUNDLED_MODEL), model_kwargs={"device": "cpu"})
    # Our own file, written a minute ago by the tutorial script: the pickle is trusted here, never in kb.
    return FAISS.load_local(str(out), emb, allow_dangerous_deserialization=True)


def bench_build(args: argparse.Namespace, tmp: Path, state: dict[str, Any]) -> list[Row]:
    folder, questions = squad_folder(tmp)
    state["folder"], state["questions"] = folder, questions
    index = tmp / "kb-index"
    kb_s, kb_rss, out = timed_process(kb_cli("index", "--full", "--json", "--sources", str(folder), "--index", str(index)))
    report = json.loads(out[out.index("{"):])
    state["index"] = index
    script = tmp / "tutorial.py"
    script.write_text(TUTORIAL, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    tut_s, tut_rss, tut_out = timed_process([PYTHON, str(script), str(folder), str(tmp / "tutorial-faiss")], env)
    state["tutorial"] = tmp / "tutorial-faiss"
    tut_chunks = next((line[7:] for line in tut_out.splitlines() if line.startswith("CHUNKS=")), "?")
    rows: list[Row] = [
        ("full build, SQuAD sample (process wall)", f"{kb_s:.1f} s", f"{tut_s:.1f} s",
         f"ratio {kb_s / tut_s:.2f}x; kb {report['chunks']} chunks, tutorial {tut_chunks} chunks; both incl. model load"),
        ("peak RSS of the build", f"{kb_rss:.0f} MiB", f"{tut_rss:.0f} MiB", "`kb index --full` vs tutorial script"),
    ]
    if args.torch_build:
        env_t = {**os.environ, "KB_BACKEND": "torch"}
        t_s, _, _ = timed_process(kb_cli("index", "--full", "--sources", str(folder), "--index", str(tmp / "kb-torch")), env_t)
        rows.append(("full build, kb with backend=torch", f"{t_s:.1f} s", f"{tut_s:.1f} s", f"ratio {t_s / tut_s:.2f}x"))
    return rows


def bench_rebuild(args: argparse.Namespace, tmp: Path, state: dict[str, Any]) -> list[Row]:
    folder, index = state["folder"], state["index"]
    rows: list[Row] = []

    def run(label: str) -> None:
        seconds, _, out = timed_process(kb_cli("index", "--json", "--sources", str(folder), "--index", str(index)))
        report = json.loads(out[out.index("{"):])
        inner = report.get("seconds")
        rows.append((label, f"{seconds:.2f} s", "(full rebuild)",
                     f"in-process {inner:.2f} s; embedded {report.get('embedded_chunks', 0)} chunks" if inner is not None
                     else f"embedded {report.get('embedded_chunks', 0)} chunks"))

    run("rebuild, nothing changed (`kb index`)")
    files = sorted(folder.glob("*.txt"))
    files[0].write_text(files[0].read_text(encoding="utf-8") + "\n\nAn added closing paragraph for the benchmark.\n",
                        encoding="utf-8")
    run(f"rebuild, one document edited ({files[0].name[:24]})")
    files[1].unlink()
    run("rebuild, one document deleted")
    (folder / "moved").mkdir()
    files[2].rename(folder / "moved" / files[2].name)
    run("rebuild, one document moved to a subfolder")
    return rows


def bench_growth(args: argparse.Namespace, tmp: Path) -> list[Row]:
    folder, _ = squad_folder(tmp)
    articles = sorted(folder.glob("*.txt"))
    rows: list[Row] = []
    peaks: list[tuple[float, float]] = []
    for copies in args.copies:
        corpus = tmp / f"growth-{copies}"
        corpus.mkdir()
        texts = {}
        for n in range(copies):  # each sentence marked with its copy number: every copy is new text to embed
            for article in articles:
                texts[f"{n:02d}_{article.name}"] = re.sub(r"\.(\s)", rf" [{n}].\1", article.read_text(encoding="utf-8"))
        if args.one_file:  # one document of them all: a build's groups cannot split it
            texts = {"all.txt": "\n\n".join(texts.values())}
        for name, text in texts.items():
            (corpus / name).write_text(text, encoding="utf-8")
        megabytes = sum(f.stat().st_size for f in corpus.iterdir()) / 1e6
        seconds, rss, out = timed_process(kb_cli("index", "--full", "-q", "--sources", str(corpus),
                                                 "--index", str(tmp / f"growth-index-{copies}")))
        chunks = re.search(r"(\d+) chunks", out)  # the summary line (--json would list every file)
        peaks.append((megabytes, rss))
        rows.append((f"full build peak RSS, {copies} cop{'y' if copies == 1 else 'ies'} of the SQuAD sample"
                     + (" in one file" if args.one_file else ""),
                     f"{rss:.0f} MiB", "", f"{megabytes:.2f} MB of text, {chunks.group(1) if chunks else '?'} chunks, "
                     f"{seconds:.1f} s"))
    if len(peaks) > 1:
        (mb0, rss0), (mb1, rss1) = peaks[0], peaks[-1]
        rows.append(("peak RSS growth per MB of text", f"{(rss1 - rss0) / (mb1 - mb0):.1f} MiB", "",
                     f"between {mb0:.2f} and {mb1:.2f} MB"))
    return rows


def bench_query(args: argparse.Namespace, tmp: Path, state: dict[str, Any]) -> list[Row]:
    import random

    from kb import KnowledgeBase

    questions = random.Random(7).sample(state["questions"], min(args.queries, len(state["questions"])))
    kb = KnowledgeBase(state["folder"], state["index"])
    kb.ask(questions[0])  # warm: model, index, caches
    kb.search(questions[0])
    search_t, ask_t, dense_t, embed_t, answer_t = [], [], [], [], []
    for q in questions:
        # ask first: the snapshot keeps the sentences of pooled passages across questions (kb.store.snapshot), so an
        # ask right after a search of the same question would find its pool's sentences already read.
        t = time.perf_counter(); kb.ask(q, k=args.ask_k); ask_t.append(time.perf_counter() - t)
        retrieval = kb.retrieve(q, k=args.ask_k)  # the answer step alone, on the passages ask read: what kb.answer costs
        t = time.perf_counter(); kb.extractive_answer(retrieval); answer_t.append(time.perf_counter() - t)
        t = time.perf_counter(); kb.search(q); search_t.append(time.perf_counter() - t)
        t = time.perf_counter(); kb.search(q, mode="dense"); dense_t.append(time.perf_counter() - t)
        t = time.perf_counter(); kb.embedder.embed_one(q); embed_t.append(time.perf_counter() - t)
    one_thread = []
    encoder = getattr(kb.embedder, "_encoder", None)
    if getattr(encoder, "_single_threads", 0):  # the same questions in the batch session, one thread (before 2026-12-05)
        encoder._single_threads, cores = 0, encoder._single_threads
        for q in questions:
            t = time.perf_counter(); kb.embedder.embed_one(q); one_thread.append(time.perf_counter() - t)
        encoder._single_threads = cores
    store = tutorial_store(state["folder"], state["tutorial"])
    store.similarity_search(questions[0], k=4)
    tut = []
    for q in questions:
        t = time.perf_counter(); store.similarity_search(q, k=4); tut.append(time.perf_counter() - t)
    chunks = kb.chunk_count()
    return [
        (f"search hybrid, warm ({chunks} chunks)", ms(search_t), ms(tut), f"peer: similarity_search(k=4); {len(questions)} questions"),
        ("search dense only, warm", ms(dense_t), ms(tut), "same embedding + FAISS path as the peer"),
        (f"ask (retrieval + extractive answer), warm, k={args.ask_k or kb.settings.top_k}", ms(ask_t), ms(tut),
         "peer has no answerer"),
        ("answer step alone (kb.answer on ask's passages)", ms(answer_t), "", "included in ask"),
        (f"query embedding alone ({kb.embedder.backend})", ms(embed_t), "", "included in every row above"),
    ] + ([("same, on one thread", ms(one_thread), "", "the batch session: what a question took before 2026-12-05")]
         if one_thread else [])


def synthetic_vectors(count: int, dimension: int, seed: int, queries: int = 0) -> tuple[Any, Any]:
    """``count`` corpus vectors and ``queries`` query vectors shaped like real sentence embeddings.

    Each vector is 0.22 * a shared mean direction + 0.5 * its topic (count/1000 topics) + 0.3-0.6 * its
    subtopic (count/20 subtopics of exponentially varied size: a fact and its paraphrases) + 0.7 * isotropic
    noise, normalized. Queries are fresh draws from the same subtopics (another text about the same thing),
    not copies of corpus vectors. The mix was set so the statistics match the bundled MiniLM's vectors of the
    SQuAD sample (2,840 sentences: nearest-neighbour cosine 0.62, 10th 0.47, random pairs 0.05 +- 0.11;
    this generator at 10k: 0.57, 0.51, 0.08 +- 0.10). Uniform noise around n/200 centres (the previous
    generator: 10th-neighbour cosine 0.35, barely above the best random match among 1M vectors) has no
    neighbourhoods for any index to find, so IVF needed every list at 1M.
    """
    import numpy as np

    rng = np.random.default_rng(seed)

    def unit(a: Any) -> Any:
        return a / np.linalg.norm(a, axis=-1, keepdims=True)

    mean = unit(rng.standard_normal(dimension, dtype=np.float32))
    topics = unit(rng.standard_normal((max(1, count // 1000), dimension), dtype=np.float32))
    n_sub = max(1, count // 20)
    sub_topic = rng.integers(0, len(topics), n_sub)
    subs = unit(rng.standard_normal((n_sub, dimension), dtype=np.float32))
    tightness = rng.uniform(0.3, 0.6, n_sub).astype(np.float32)
    sizes = rng.exponential(1.0, n_sub)
    share = sizes / sizes.sum()

    def draw(n: int) -> Any:
        s = rng.choice(n_sub, n, p=share)
        noise = unit(rng.standard_normal((n, dimension), dtype=np.float32))
        x = 0.22 * mean + 0.5 * topics[sub_topic[s]] + tightness[s, None] * subs[s] + 0.7 * noise
        return np.ascontiguousarray(unit(x), dtype=np.float32)

    out = np.empty((count, dimension), dtype=np.float32)
    step = 100_000
    for begin in range(0, count, step):
        out[begin : begin + min(step, count - begin)] = draw(min(step, count - begin))
    return out, draw(queries)


def synthetic_index(count: int, folder: Path, vectors: Any) -> None:
    """A real kb index version (SQLite with FTS5 + FAISS + manifest) over synthetic chunks."""
    import numpy as np

    from kb.chunking import Chunker
    from kb.config import BUNDLED_MODEL, Settings
    from kb.store import IndexDatabase, Manifest, VectorIndex
    from kb.store.layout import DATABASE, MANIFEST, VECTORS, new_build_dir, publish
    from kb.store.vectors import IndexPlan
    from kb.types import Chunk, SourceDocument

    rng = np.random.default_rng(count)
    vocabulary = ["".join(rng.choice(list("abcdefghiklmnoprstuvwy"), size=int(rng.integers(3, 10)))) for _ in range(30_000)]
    weights = 1.0 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    per_doc = 100
    build = new_build_dir(folder)
    db = IndexDatabase.create(build / DATABASE)
    words = rng.choice(len(vocabulary), size=(count, 100), p=weights)
    for doc_start in range(0, count, per_doc):
        chunks, pieces, offset = [], [], 0
        for i in range(doc_start, min(count, doc_start + per_doc)):
            text = " ".join(vocabulary[w] for w in words[i])
            chunks.append(Chunk(f"doc{doc_start // per_doc}.txt", i - doc_start, offset, offset + len(text), text))
            pieces.append(text)
            offset += len(text) + 2
        body = "\n\n".join(pieces)
        document = SourceDocument(f"doc{doc_start // per_doc}.txt", f"doc {doc_start // per_doc}", body, f"{doc_start:064x}")
        db.add_document(document, chunks, vectors[doc_start : doc_start + len(chunks)])
    db.commit()
    ids, matrix = db.vectors(vectors.shape[1])
    db.close()
    index = VectorIndex.build(ids, matrix, vectors.shape[1], IndexPlan.from_settings(Settings()))
    index.save(build / VECTORS)
    Manifest(model=BUNDLED_MODEL, dimension=vectors.shape[1], chunker=Chunker(800, 120).signature, embed_title=True,
             faiss=index.describe(), documents=math.ceil(count / per_doc), chunks=len(ids)).write(build / MANIFEST)
    publish(folder, build)
    return None


def rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def bench_scale(args: argparse.Namespace, tmp: Path) -> list[Row]:
    import numpy as np

    from kb.config import Settings
    from kb.retrieval import Retriever
    from kb.store import Snapshot
    from kb.store.vectors import exact_top_k

    rows: list[Row] = []
    dimension = 384
    for count in args.sizes:
        folder = tmp / f"synthetic-{count}"
        vectors, queries = synthetic_vectors(count, dimension, seed=count, queries=args.scale_queries)
        picks = np.random.default_rng(99).choice(count, size=args.scale_queries, replace=False)  # lexical queries
        truth = exact_top_k(vectors, queries, 10)  # row i holds chunk id i + 1 (SQLite rowids)
        if count > args.fts_max:
            rows += scale_vectors_only(count, vectors, queries, truth)
            del vectors
            continue
        started = time.perf_counter()
        synthetic_index(count, folder, vectors)
        build_s = time.perf_counter() - started
        del vectors
        before = rss_mib()
        started = time.perf_counter()
        snapshot = Snapshot.open(folder)  # the manifest's whole-file sums are checked here
        open_s = time.perf_counter() - started
        loaded = rss_mib() - before
        retriever = Retriever(snapshot, Settings())
        texts = []
        for p in picks:
            row = snapshot.database.chunks([int(p) + 1])[int(p) + 1]
            texts.append(" ".join(row.text.split()[10:16]))
        dense_t, lexical_t, hybrid_t, found = [], [], [], []
        for text, query in zip(texts, queries):
            t = time.perf_counter(); hits = snapshot.vectors.search(query, 50); dense_t.append(time.perf_counter() - t)
            found.append([cid - 1 for cid, _ in hits[:10]])
            t = time.perf_counter(); retriever.lexical.run(text, 50); lexical_t.append(time.perf_counter() - t)
            t = time.perf_counter(); retriever.run(text, query, 10, "hybrid"); hybrid_t.append(time.perf_counter() - t)
        recall = float(np.mean([len(set(t.tolist()) & set(f)) / 10 for t, f in zip(truth, found)]))
        info = snapshot.manifest.faiss
        disk = sum(p.stat().st_size for p in snapshot.folder.iterdir()) / 2**20
        rows += [
            (f"{count:,} chunks: dense search (k=50)", ms(dense_t), "", f"{info.get('type')}, recall@10 {recall:.3f} vs exact"
             f"{', nprobe ' + str(info['nprobe']) if 'nprobe' in info else ''}"),
            (f"{count:,} chunks: lexical FTS5 (k=50)", ms(lexical_t), "", "6-word queries, fuzzy expansion on"),
            (f"{count:,} chunks: hybrid retrieval (k=10)", ms(hybrid_t), "", "dense + FTS5 + RRF + SQLite rows; add query embedding"),
            (f"{count:,} chunks: memory", f"FAISS {info.get('memory_mb')} MiB", "",
             f"open {open_s * 1000:.0f} ms, RSS +{loaded:.0f} MiB; on disk {disk:.0f} MiB (SQLite text+vectors+FTS); "
             f"build {build_s:.0f} s"),
        ]
        snapshot.close()
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def scale_vectors_only(count: int, vectors: Any, queries: Any, truth: Any) -> list[Row]:
    """The FAISS part alone (no SQLite/FTS5): for sizes past --fts-max, where writing the synthetic text is slow."""
    import numpy as np

    from kb.config import Settings
    from kb.store.vectors import IndexPlan, VectorIndex

    started = time.perf_counter()
    before = rss_mib()
    index = VectorIndex.build(np.arange(1, count + 1), vectors, vectors.shape[1], IndexPlan.from_settings(Settings()))
    build_s = time.perf_counter() - started
    grown = rss_mib() - before
    dense_t, found = [], []
    for query in queries:
        t = time.perf_counter(); hits = index.search(query, 50); dense_t.append(time.perf_counter() - t)
        found.append([cid - 1 for cid, _ in hits[:10]])
    recall = float(np.mean([len(set(t.tolist()) & set(f)) / 10 for t, f in zip(truth, found)]))
    info = index.describe()
    return [
        (f"{count:,} chunks: dense search (k=50)", ms(dense_t), "", f"{info.get('type')}, recall@10 {recall:.3f} vs exact"
         f"{', nprobe ' + str(info['nprobe']) if 'nprobe' in info else ''}; FAISS only (FTS5 not built at this size)"),
        (f"{count:,} chunks: memory", f"FAISS {info.get('memory_mb')} MiB", "",
         f"RSS +{grown:.0f} MiB while building; float32 input alone {count * vectors.shape[1] * 4 / 2**20:.0f} MiB; "
         f"build {build_s:.0f} s"),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_serve(args: argparse.Namespace, tmp: Path, state: dict[str, Any]) -> list[Row]:
    if not (ROOT / "kb" / "commands" / "serve.py").is_file():
        return [("kb serve", "pending", "", "kb/commands/serve.py not present yet")]
    import psutil

    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(kb_cli("serve", "--sources", str(state["folder"]), "--index", str(state["index"]),
                                   "--port", str(port)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    watched = psutil.Process(proc.pid)

    def sample() -> None:
        nonlocal peak
        try:
            total = watched.memory_info().rss + sum(c.memory_info().rss for c in watched.children(recursive=True))
            peak = max(peak, total / 2**20)
        except psutil.Error:
            pass

    try:
        while True:
            sample()
            if proc.poll() is not None:
                return [("kb serve", "failed", "", (proc.stderr.read() if proc.stderr else "")[-160:].replace("\n", " "))]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
            if time.perf_counter() - started > 180:
                return [("kb serve", "no answer in 180 s", "", "")]
        up = time.perf_counter() - started
        from gradio_client import Client

        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        result = client.predict(state["questions"][0], api_name="/ask")
        first = time.perf_counter() - started
        sample()
        ok = isinstance(result, dict) and "answer" in result
        for _ in range(5):
            client.predict(state["questions"][1], api_name="/ask")
            sample()
        return [
            ("kb serve: launch to first answer", f"{first:.1f} s", "", f"port open after {up:.1f} s; answer {'ok' if ok else 'MALFORMED'}"),
            ("kb serve: peak RSS", f"{peak:.0f} MiB", "", "sampled over launch + 6 API answers"),
        ]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- main ------------------------------------------------------------------------------------------
def table(rows: list[Row], header: str) -> str:
    widths = [max(len(r[i]) for r in rows + [("what", "kb", "peer (tutorial)", "note")]) for i in range(4)]
    lines = [header, "| " + " | ".join(h.ljust(w) for h, w in zip(("what", "kb", "peer (tutorial)", "note"), widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="kb speed benchmark (prints one table)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of sections: {','.join(SECTIONS)}")
    parser.add_argument("--sizes", default="10000,100000", help="synthetic corpus sizes for `scale` (1000000 is slow)")
    parser.add_argument("--quick", action="store_true", help="small samples: a smoke run, not a measurement")
    parser.add_argument("--fts-max", type=int, default=100_000,
                        help="largest synthetic size that also gets SQLite/FTS5 text (hybrid rows); above it FAISS only")
    parser.add_argument("--queries", type=int, default=200, help="questions timed in `query`")
    parser.add_argument("--ask-k", type=int, default=None,
                        help="`query`: passages kb.ask reads (default: the configured top_k, 5; answer_quality.py uses 10)")
    parser.add_argument("--batch-sizes", default="", help="`embedding`: also int8 at these batch sizes, e.g. 1,2,4")
    parser.add_argument("--repeats", type=int, default=2, help="timed passes per batch size (--batch-sizes)")
    parser.add_argument("--copies", default="1,3", help="corpus sizes for `growth`, in copies of the SQuAD sample")
    parser.add_argument("--one-file", action="store_true", help="`growth`: the copies as one document")
    parser.add_argument("--torch-build", action="store_true", help="also time a full kb build with backend=torch")
    parser.add_argument("--model", default="", help="embedding model path (default: the bundled MiniLM)")
    parser.add_argument("--model-cache", default="", help="ONNX cache folder (default: kb's)")
    parser.add_argument("--shared", default=str(SHARED), help="folder with squad-dev-sample.json (default: ../shared/eval)")
    args = parser.parse_args()
    globals()["SHARED"] = Path(args.shared)
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.copies = [int(c) for c in args.copies.split(",") if c]
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b]
    args.embed_chunks = 128 if args.quick else 512
    args.scale_queries = 50 if args.quick else 200
    if args.quick:
        args.queries = min(args.queries, 40)
        args.sizes = [s for s in args.sizes if s <= 10_000] or [10_000]
    wanted = [s for s in args.only.split(",") if s]
    unknown = set(wanted) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    needs_squad = {"rebuild", "query", "serve"} & set(wanted)
    if needs_squad and "build" not in wanted:
        wanted.insert(0, "build")  # they run on the index the build section makes

    load_before = os.getloadavg()
    rows: list[Row] = []
    state: dict[str, Any] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for section in SECTIONS:
            if section not in wanted:
                continue
            print(f"[bench] {section} ...", file=sys.stderr, flush=True)
            runners: dict[str, Callable[[], list[Row]]] = {
                "embedding": lambda: bench_embedding(args),
                "build": lambda: bench_build(args, tmp, state),
                "rebuild": lambda: bench_rebuild(args, tmp, state),
                "growth": lambda: bench_growth(args, tmp),
                "query": lambda: bench_query(args, tmp, state),
                "scale": lambda: bench_scale(args, tmp),
                "serve": lambda: bench_serve(args, tmp, state),
            }
            try:
                got = runners[section]()
            except Exception as exc:  # one broken section must not lose the others' figures
                got = [(section, "error", "", f"{type(exc).__name__}: {str(exc)[:150]}".replace("\n", " "))]
            for row in got:
                print("[bench]   " + " | ".join(row), file=sys.stderr, flush=True)
            rows += got
    load_after = os.getloadavg()
    header = (f"kb benchmark {time.strftime('%Y-%m-%d %H:%M')} | {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} CPUs, load avg {load_before[0]:.1f} -> {load_after[0]:.1f} | "
              f"{time.perf_counter() - started:.0f} s{' | QUICK' if args.quick else ''}\n"
              f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(table(rows, header))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
