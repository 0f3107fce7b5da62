"""Peer baseline: the LangChain tutorial pipeline and plain BM25 beside kb, same questions, same metrics, one run.

- peer-faiss: RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True),
  HuggingFaceEmbeddings over the same bundled all-MiniLM-L6-v2 (langchain_community; a tiny langchain_core
  Embeddings adapter over sentence-transformers where that class is unavailable), FAISS.from_documents,
  similarity_search(q, k=10). It has no answerer: its "answer" is the top passage's text and its one
  "citation" is that passage; it never abstains.
- bm25: rank_bm25.BM25Okapi over the same 1000/200 chunks, lower-cased word tokens, no stemming/stopwords.
- kb: KnowledgeBase over the same SQuAD corpus with its configured settings (hybrid), one kb.ask(q, k=10)
  per question, via kb.evaluation.evaluate.

Every system is scored by kb.evaluation.summarize. Cross-corpus abstention (kb only; peers never abstain):
SQuAD questions asked of the seeds index and the seed questions asked of the SQuAD index.

    .venv/bin/python benchmarks/peer_langchain.py                 # everything (slow on a busy 2-core CPU)
    .venv/bin/python benchmarks/peer_langchain.py --limit 400     # seeded sample, same for every system
Needs the [test] extra (langchain-community, rank-bm25).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.evaluation import (  # noqa: E402
    EvalQuestion, EvalReport, Outcome, Span, check_citations, evaluate, format_table, load_questions, select,
    squad_corpus, summarize,
)

SHARED = ROOT.parent / "shared" / "eval"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def load_documents(folder: Path) -> list:
    """The tutorial's loader step: one Document per file, its text exactly as kb reads a .txt file."""
    from langchain_core.documents import Document

    return [
        Document(page_content=path.read_text(encoding="utf-8"), metadata={"source": path.name})
        for path in sorted(folder.glob("*.txt"))
    ]


def peer_chunks(documents: list) -> list:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    return splitter.split_documents(documents)


def langchain_embeddings(model_path: str):
    """langchain's HuggingFaceEmbeddings on the bundled model; an equivalent adapter if it cannot be imported."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from langchain_community.embeddings import HuggingFaceEmbeddings

            return HuggingFaceEmbeddings(model_name=model_path, model_kwargs={"device": "cpu"})
    except Exception:  # noqa: BLE001 - any import/construct failure falls back to the equivalent adapter
        from langchain_core.embeddings import Embeddings
        from sentence_transformers import SentenceTransformer

        class _Adapter(Embeddings):
            def __init__(self) -> None:
                self.model = SentenceTransformer(model_path, device="cpu")

            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                return self.model.encode(texts).tolist()

            def embed_query(self, text: str) -> list[float]:
                return self.model.encode([text])[0].tolist()

        return _Adapter()


def span_of(doc) -> Span:
    start = int(doc.metadata["start_index"])
    return Span(doc.metadata["source"], start, start + len(doc.page_content), doc.page_content)


def top_passage_outcome(ranked: list[Span], ms: float) -> Outcome:
    top = ranked[:1]
    return Outcome(ranked=ranked, answer=top[0].text if top else "", abstained=False, citations=list(top), ms=ms)


def run_faiss(chunks: list, questions: list[EvalQuestion], model_path: str, k: int) -> tuple[list[Outcome], float]:
    from langchain_community.vectorstores import FAISS

    started = time.perf_counter()
    store = FAISS.from_documents(chunks, langchain_embeddings(model_path))
    build_s = time.perf_counter() - started
    store.similarity_search("warm up", k=1)
    outcomes = []
    for q in questions:
        t = time.perf_counter()
        docs = store.similarity_search(q.question, k=k)
        outcomes.append(top_passage_outcome([span_of(d) for d in docs], (time.perf_counter() - t) * 1000))
    return outcomes, build_s


def run_bm25(chunks: list, questions: list[EvalQuestion], k: int) -> tuple[list[Outcome], float]:
    import numpy as np
    from rank_bm25 import BM25Okapi

    started = time.perf_counter()
    bm25 = BM25Okapi([tokenize(c.page_content) for c in chunks])
    build_s = time.perf_counter() - started
    outcomes = []
    for q in questions:
        t = time.perf_counter()
        scores = bm25.get_scores(tokenize(q.question))
        top = np.argsort(-scores, kind="stable")[:k]
        outcomes.append(top_passage_outcome([span_of(chunks[i]) for i in top], (time.perf_counter() - t) * 1000))
    return outcomes, build_s


def progress_printer(label: str):
    def show(done: int, total: int) -> None:
        if done == total or done % 100 == 0:
            print(f"  {label}: {done}/{total}", file=sys.stderr, flush=True)
    return show


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad", type=Path, default=SHARED / "squad-dev-sample.json")
    parser.add_argument("--seed-questions", type=Path, default=SHARED / "seed_qa.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / ".kb-cache" / "squad-corpus")
    parser.add_argument("--index", type=Path, default=ROOT / ".kb-cache" / "squad-index")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds", help="corpus for cross-corpus abstention")
    parser.add_argument("--seeds-index", type=Path, default=ROOT / ".kb-cache" / "seeds-index")
    parser.add_argument("--limit", type=int, help="seeded sample of N SQuAD questions (all systems get the same)")
    parser.add_argument("--unanswerable-limit", type=int, default=None,
                        help="sample of SQuAD questions asked of the seeds index (default: as --limit)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--skip-kb", action="store_true", help="peers only (quick check of the baselines)")
    parser.add_argument("--json", type=Path, help="also write all reports as JSON to this file")
    args = parser.parse_args(argv)

    from kb import KnowledgeBase
    from kb.config import BUNDLED_MODEL
    from kb.embedding import resolve_model_path

    timings: dict[str, float] = {}
    corpus = squad_corpus(args.squad, args.corpus, own=args.corpus == parser.get_default("corpus"))
    questions = select(corpus.questions, "all", args.limit, args.seed)
    print(f"{len(questions)} SQuAD questions over {len(corpus.articles)} articles "
          f"(tune {sum(q.split == 'tune' for q in questions)}, heldout {sum(q.split == 'heldout' for q in questions)})",
          file=sys.stderr)

    chunks = peer_chunks(load_documents(corpus.folder))
    texts = {a.source: a.text for a in corpus.articles}
    reports: dict[str, EvalReport] = {}

    t = time.perf_counter()
    outcomes, build_s = run_faiss(chunks, questions, resolve_model_path(BUNDLED_MODEL), args.k)
    timings["peer-faiss build s"], timings["peer-faiss total s"] = build_s, time.perf_counter() - t
    reports["peer-faiss"] = summarize("peer-faiss", questions, [check_citations(o, texts.get) for o in outcomes], args.k)
    print(f"  peer-faiss: {len(chunks)} chunks, {timings['peer-faiss total s']:.1f} s", file=sys.stderr)

    t = time.perf_counter()
    outcomes, build_s = run_bm25(chunks, questions, args.k)
    timings["bm25 build s"], timings["bm25 total s"] = build_s, time.perf_counter() - t
    reports["bm25"] = summarize("bm25", questions, [check_citations(o, texts.get) for o in outcomes], args.k)
    print(f"  bm25: {timings['bm25 total s']:.1f} s", file=sys.stderr)

    abstain: dict[str, EvalReport] = {}
    if not args.skip_kb:
        kb = KnowledgeBase(corpus.folder, args.index)
        t = time.perf_counter()
        build = kb.build(full=True)  # a cached index keeps the vectors of the kb that built it: measure this one's
        timings["kb build s"] = time.perf_counter() - t
        print(f"  kb index: {build.summary()}", file=sys.stderr)
        reports["kb"] = evaluate(kb, questions, k=args.k, on_progress=progress_printer("kb"))
        timings["kb eval s"] = reports["kb"].seconds

        seeds_kb = KnowledgeBase(args.seeds, args.seeds_index)
        seeds_kb.build(full=True)
        limit = args.unanswerable_limit if args.unanswerable_limit is not None else args.limit
        cross = select(corpus.questions, "all", limit, args.seed + 1)
        abstain["squad-on-seeds"] = evaluate(seeds_kb, cross, k=args.k, must_abstain=True, name="squad-on-seeds",
                                             on_progress=progress_printer("squad-on-seeds"))
        timings["squad-on-seeds s"] = abstain["squad-on-seeds"].seconds
        if args.seed_questions.is_file():
            abstain["seeds-on-squad"] = evaluate(kb, load_questions(args.seed_questions), k=args.k,
                                                 must_abstain=True, name="seeds-on-squad")
            timings["seeds-on-squad s"] = abstain["seeds-on-squad"].seconds

    names = list(reports)
    ratios = [("kb", n) for n in names if n != "kb"] if "kb" in reports else [("bm25", "peer-faiss")]
    for split in ("all", "tune", "heldout"):
        columns = [(n, r if split == "all" else r.splits[split]) for n, r in reports.items() if split == "all" or split in r.splits]
        if not columns:
            continue
        print(f"\n## SQuAD sample, split {split}: {columns[0][1].counts['questions']} questions, k={args.k}\n")
        print(format_table(columns, ratios))
    if abstain:
        print("\n## Cross-corpus: every question must be abstained on (kb; the peers never abstain)\n")
        print(format_table(list(abstain.items())))
    print("\n## Wall time (s)\n")
    for key, value in timings.items():
        print(f"- {key}: {value:.1f}")
    if args.json:
        payload = {
            "questions": len(questions), "limit": args.limit, "seed": args.seed, "k": args.k,
            "reports": {n: r.to_json() for n, r in reports.items()},
            "abstention": {n: r.to_json() for n, r in abstain.items()}, "timings": timings,
        }
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
