"""`kb eval FILE`: measured answer quality of the current index on a question set (JSONL or SQuAD v1.1).

A SQuAD file needs an index over its own articles: unless --sources/--index are given, `kb eval` writes the
articles into .kb-cache/squad-corpus and keeps an index of them in .kb-cache/squad-index (built when missing
or with --build). With --unanswerable the questions are asked of another corpus (default: the configured
one, e.g. seeds), where every question must be abstained on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

CACHE = Path(".kb-cache")
SQUAD_CORPUS = CACHE / "squad-corpus"
SQUAD_INDEX = CACHE / "squad-index"


def register(subparsers: argparse._SubParsersAction) -> None:
    from kb.cli import add_common_options
    from kb.config import SEARCH_MODES

    p = subparsers.add_parser(
        "eval", help="score answers and retrieval on a question set (JSONL or SQuAD v1.1)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="questions: JSONL (q, answers, sources, unanswerable) or SQuAD v1.1 JSON")
    add_common_options(p)
    p.add_argument("--split", choices=("all", "tune", "heldout"), default="all",
                   help="SQuAD: even articles are 'tune', odd ones 'heldout' (default: all, reported per split)")
    p.add_argument("--limit", type=int, metavar="N", help="a seeded random sample of N questions (quick runs)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed for --limit (default: 0)")
    p.add_argument("-k", type=int, default=10, help="passages retrieved per question (default: 10)")
    p.add_argument("--mode", choices=SEARCH_MODES, help="retrieval mode (default: the configured one)")
    p.add_argument("--unanswerable", action="store_true",
                   help="ask against another corpus (--sources/--index, default: the configured one): all must abstain")
    p.add_argument("--build", action="store_true", help="build or update the index first")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--details", action="store_true", help="with --json: include every question's result")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kb.cli import settings_from
    from kb.errors import UsageError
    from kb.evaluation import evaluate, format_table, load_questions, select, split_columns, squad_corpus
    from kb.evaluation.metrics import unindexed_sources
    from kb.evaluation.datasets import SQUAD_MARK, is_squad, owns
    from kb.knowledge_base import KnowledgeBase

    if args.k < 1:
        raise UsageError("-k must be at least 1")
    path = Path(args.file)
    if path.is_dir():
        raise UsageError(f"{path} is a folder: give a question file (JSONL or SQuAD JSON)")
    if not path.is_file():
        raise UsageError(f"{path}: no such question file")
    sources, index = args.sources, args.index
    squad = is_squad(path) and not args.unanswerable
    if squad:
        sources = Path(sources) if sources else SQUAD_CORPUS
        index = Path(index) if index else SQUAD_INDEX
    settings = settings_from(argparse.Namespace(**{**vars(args), "sources": sources, "index": index}))
    kb = KnowledgeBase(settings=settings)
    if squad:
        empty = kb.backend.live_version() is None  # no index in the store asked of, under this --index
        if args.index and not (owns(index) and ((index / SQUAD_MARK).is_file() or empty)):
            # Its build would replace the documents of an index the user built of their own folder (in the folder,
            # or in Milvus under the folder's name, which writes no folder).
            raise UsageError(f"{index} is an index of other documents: kb eval builds a SQuAD file's own index; "
                             "give a new --index folder, or leave --index out")
        corpus = squad_corpus(path, sources, own=not args.sources)
        questions = corpus.questions
        # ... and build it when the articles changed or the store asked of has none (a Milvus store after a FAISS run)
        build = args.build or bool(corpus.written) or empty
    else:
        questions = load_questions(path)
        build = args.build
    if build:
        report = kb.build(progress_bar=not args.json and err.isatty())
        print(f"kb eval: index {settings.index}: {report.summary()}", file=err)
    if squad:  # kb's own from now on: the mark is a file in the index folder, made for it on a Milvus store
        Path(index).mkdir(parents=True, exist_ok=True)
        (Path(index) / SQUAD_MARK).write_text("an index kb eval built of a SQuAD file's articles\n", encoding="utf-8")
    chosen = select(questions, args.split, args.limit, args.seed)
    if not chosen:
        raise UsageError(f"no questions in split {args.split!r}")
    unknown = unindexed_sources(chosen, [row.source for row in kb.documents()])
    if unknown:
        # A gold source no indexed file is named by (a typo, a file not indexed) silently made every such question a
        # miss: hit@k and citation accuracy fell with no word of why.
        shown = ", ".join(repr(s) for s in unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        print(f"kb eval: warning: gold sources that name no indexed document: {shown}; nothing kb cites can match "
              "them", file=err)

    def progress(done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            print(f"\r  {done}/{total} questions", end="\n" if done == total else "", file=err, flush=True)

    report = evaluate(
        kb, chosen, k=args.k, mode=args.mode, must_abstain=args.unanswerable,
        name="kb", on_progress=progress if err.isatty() and not args.json else None,
    )
    if args.json:
        data = report.to_json(details=args.details)
        data.update(file=str(path), index=str(settings.index), version=kb.version, split=args.split,
                    unanswerable=args.unanswerable, k=args.k, mode=args.mode or settings.mode)
        print(json.dumps(data, ensure_ascii=False), file=out)
        return 0
    what = "must-abstain (cross-corpus)" if args.unanswerable else f"split {args.split}"
    print(f"{path.name} on {settings.index} ({kb.version}), {what}, k={args.k}, "
          f"{len(chosen)} questions in {report.seconds:.1f} s", file=out)
    print(format_table(split_columns(report)), file=out)
    return 0
