"""The `kb` command line: index, search, ask, serve, eval, config.

Errors a user can act on are printed as one line on stderr with a non-zero exit code (see kb.errors);
`--json` output is for scripts and is the same shape the UI's /ask endpoint returns.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import shutil
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TextIO

from kb.config import SEARCH_MODES, Settings, load_settings
from kb.errors import IndexMissingError, KBError
from kb.logs import add_logging_options, setup_logging
from kb.text import shown, table_rows

EXIT_CODES = """exit codes: 0 ok; 1 error; 2 bad usage or configuration; 3 no index (run `kb index`);
4 damaged index (run `kb index --full`); 5 index built with other settings (run `kb index --full`);
6 index is being rebuilt by another process; 7 `kb index --strict` skipped some files;
8 the new index could not be written (disk full or no permission; the old index is still live)"""


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", metavar="DIR", help="folder of documents (default: seeds)")
    parser.add_argument("--index", metavar="DIR", help="index folder (default: index)")
    parser.add_argument("--store", metavar="STORE",
                        help="faiss (default) or milvus:<uri>: a milvus-lite file or http://host:19530")
    parser.add_argument("--model", help="sentence-transformers model name or path (default: the bundled "
                        "all-MiniLM-L6-v2 with kb's question adapter; sentence-transformers/all-MiniLM-L6-v2 for "
                        "it plain)")
    parser.add_argument("--device", help="cpu, cuda or auto (default: auto)")
    add_logging_options(parser)


def _question_options(parser: argparse.ArgumentParser, default_k: str) -> None:
    parser.add_argument("question", nargs="?", help="the question; omit to read one per line from stdin (JSON lines out)")
    parser.add_argument("-k", type=int, help=f"number of passages (default: {default_k})")
    parser.add_argument("--mode", choices=SEARCH_MODES, help="retrieval mode (default: hybrid)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb", description="Cited answers from a folder of documents.", epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_logging_options(parser, top_level=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="build or update the index (only changed files are re-embedded)")
    add_common_options(p)
    p.add_argument("--full", action="store_true", help="rebuild everything from scratch")
    p.add_argument("--json", action="store_true", help="print the build report as JSON")
    p.add_argument("--wait", type=float, default=0.0, metavar="S", help="wait up to S seconds for another rebuild")
    p.add_argument("--strict", action="store_true", help="exit 7 when any source file was skipped")

    p = sub.add_parser("search", help="ranked passages for a question")
    add_common_options(p)
    _question_options(p, "10")
    p.set_defaults(usage=p.format_usage())

    p = sub.add_parser("ask", help="a short answer with numbered citations")
    add_common_options(p)
    _question_options(p, "5")
    add_llm_options(p)
    p.set_defaults(usage=p.format_usage())

    p = sub.add_parser("config", help="print the effective settings")
    add_common_options(p)

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def add_llm_options(p: argparse.ArgumentParser) -> None:
    """--llm and friends, for every command that answers (`ask`, `serve`)."""
    p.add_argument("--llm", metavar="URL", help="OpenAI-compatible server that writes the answer (key: $KB_LLM_API_KEY)")
    p.add_argument("--llm-model", metavar="NAME", help="model name sent to the --llm server")
    p.add_argument("--llm-timeout", type=float, metavar="S", help="seconds before falling back to extractive (30)")


#: Commands that live in their own modules. Each module has ``register(subparsers)``, which adds its parser
#: (calling ``add_common_options`` on it) and sets ``func=run`` with ``run(args, out, err) -> int``.
#: Keep those modules light at import time: heavy imports go inside ``run``.
COMMAND_MODULES: list[str] = [
    "kb.commands.evaluate",
    "kb.commands.serve",
]


def settings_from(args: argparse.Namespace) -> Settings:
    llm = {"llm_url": getattr(args, "llm", None), "llm_model": getattr(args, "llm_model", None),
           "llm_timeout": getattr(args, "llm_timeout", None)}
    return load_settings({"sources": args.sources, "index": args.index, "store": getattr(args, "store", None),
                          "model": args.model, "device": args.device, **llm})


def cmd_index(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kb.knowledge_base import KnowledgeBase

    settings = settings_from(args)
    kb = KnowledgeBase(settings=settings)
    # A first build that fails must not leave an empty index folder behind: the next `kb ask` would then
    # report a damaged index instead of a missing one. An index folder that existed before is never touched.
    created = not os.path.lexists(settings.index)
    try:
        first = kb.backend.live_version() is None  # not `created`: a Milvus store has no index folder
        before = None if first else kb.indexed_from()
        report = kb.build(full=args.full, progress_bar=not args.json and not args.quiet and err.isatty(),
                          lock_wait=args.wait)
        for failure in report.errors:
            print(f"skipped {shown(failure.source)}: {shown(failure.error)}", file=err)
        if first and not (report.added or report.updated or report.unchanged):
            raise KBError(f"nothing to index: no readable documents in {settings.sources}")
        now = Path(settings.sources).absolute()
        if before is not None and before != now and report.removed:
            # Another folder made it an index of other documents, and the first folder's documents left it: said,
            # since a slip of --sources emptied an index silently. A project moved with its index removes nothing.
            print(f"kb index: warning: {shown(str(settings.index))} was built from {shown(str(before))}; it now "
                  f"indexes {shown(str(now))} instead ({len(report.removed)} of its documents removed)", file=err)
        if report.removed and not (report.added or report.updated or report.unchanged):
            # An unmounted or emptied folder looks like every document deleted: say so, the user may not mean it.
            print(f"kb index: warning: every document was removed: {shown(str(settings.sources))} holds no "
                  "readable documents now, so the index is empty", file=err)
    except BaseException:
        if created:
            _remove_new_index(settings.index)
        raise
    if args.json:
        print(json.dumps(report.to_json()), file=out)
    else:
        print(report.summary(), file=out)
    return 7 if report.errors and args.strict else 0


def _remove_new_index(index: Path) -> None:
    if index.is_dir() and not index.is_symlink():
        shutil.rmtree(index, ignore_errors=True)


def index_command(args: argparse.Namespace, sources: Path | None = None) -> str:
    """`kb index` with the --sources/--index this command was given (or ``sources``, the folder the index was built
    from), quoted for the shell, to paste as is."""
    words = ["kb", "index"]
    for flag, value in (("--sources", sources or getattr(args, "sources", None)), ("--index", getattr(args, "index", None))):
        if value is not None:
            words += [flag, shlex.quote(str(value))]
    return " ".join(words)


def _questions(args: argparse.Namespace) -> tuple[Iterable[str], bool]:
    """The argument, or stdin's lines as they come: a script that writes a question and waits for its answer line
    gets it (the whole of stdin was read first, so such a script waited forever)."""
    if args.question is not None:
        return [args.question], False
    return (line.rstrip("\n") for line in sys.stdin if line.strip()), True


def _for_each_question(
    args: argparse.Namespace,
    out: TextIO,
    compute: Callable[[str], Any],
    to_json: Callable[[str, Any], dict[str, Any]],
    render: Callable[[Any, TextIO], None],
) -> int:
    """One question from the argument, or one per stdin line as JSON lines (errors become error objects)."""
    questions, streaming = _questions(args)
    status = 0
    for question in questions:
        try:
            result = compute(question)
        except KBError as exc:
            if not streaming:
                raise
            print(json.dumps({"question": question, "error": str(exc)}), file=out, flush=True)
            status = 1
            continue
        if args.json or streaming:
            print(json.dumps(to_json(question, result), ensure_ascii=False), file=out, flush=True)
        else:
            render(result, out)
    return status


def _render_passages(passages: list[Any], out: TextIO) -> None:
    for rank, p in enumerate(passages, start=1):
        snippet = " ".join(p.text.split())
        print(f"{rank:>2}. {p.score:.4f}  {shown(p.source)} [{p.start}:{p.end}]  {shown(p.title)}", file=out)
        print(f"    {shown(snippet[:300])}{'...' if len(snippet) > 300 else ''}", file=out)


def _render_answer(answer: Any, out: TextIO) -> None:
    print(shown(answer.answer, keep_newlines=True), file=out)
    for c in answer.citations:
        quote = "\n     ".join(table_rows(c.text) or [" ".join(c.text.split())])  # a table a row a line
        print(f"\n[{c.n}] {shown(c.source)} [{c.start}:{c.end}] {shown(c.title)}", file=out)
        print(f"    \"{shown(quote, keep_newlines=True)}\"", file=out)
    if answer.citations and answer.shown_confidence is not None:
        print(f"\nconfidence {answer.shown_confidence:.2f} (the learned probability that this answer is right)", file=out)


def cmd_search(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kb.knowledge_base import KnowledgeBase

    kb = KnowledgeBase(settings=settings_from(args))
    return _for_each_question(
        args, out, lambda q: kb.search(q, k=args.k, mode=args.mode),
        lambda q, passages: {"question": q, "passages": [p.to_json() for p in passages]}, _render_passages,
    )


def cmd_ask(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kb.knowledge_base import KnowledgeBase

    kb = KnowledgeBase(settings=settings_from(args))

    def asked(question: str) -> tuple[Any, list[str]]:
        answer = kb.ask(question, k=args.k, mode=args.mode)
        changed = kb.changed_since_indexed(c.source for c in answer.citations)
        for source in changed:
            # The answer quotes the index, which this file's text may no longer hold: say so, and how to fix it (with
            # the folder the index was built from, which the files were compared in).
            print(f"warning: {shown(source)} changed since it was indexed; the answer quotes the indexed text "
                  f"(run `{index_command(args, kb.indexed_from())}`)", file=err)
        return answer, changed

    return _for_each_question(
        args, out, asked, lambda q, found: kb.answer_json(*found),
        lambda found, stream: _render_answer(found[0], stream),
    )


def cmd_config(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    for key, value in settings_from(args).as_dict().items():
        print(f"{key} = {json.dumps(value)}", file=out)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "index": cmd_index, "search": cmd_search, "ask": cmd_ask, "config": cmd_config,
}


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.quiet, args.log_format, err)
    handler = getattr(args, "func", None) or COMMANDS[args.command]
    if getattr(args, "usage", None) and args.question is None and _interactive(sys.stdin):
        # Reading questions from a terminal would look like a hang; questions come from an argument or a pipe.
        print(args.usage.rstrip(), file=err)
        print(f"kb {args.command}: error: give a question, or pipe questions one per line on stdin", file=err)
        return 2
    try:
        with _terminated_cleanly(args.command in BUILDING_COMMANDS):
            return handler(args, out, err)
    except KBError as exc:
        message = str(exc)
        if isinstance(exc, IndexMissingError):
            message = message.replace("`kb index`", f"`{index_command(args)}`")
        print(f"kb {args.command}: error: {shown(message)}", file=err)
        if getattr(args, "json", False):  # a script reading stdout gets the error in the shape it parses
            question = getattr(args, "question", None)
            print(json.dumps({**({"question": question} if question is not None else {}), "error": message,
                              "exit_code": exc.exit_code}, ensure_ascii=False), file=out)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"kb {args.command}: interrupted", file=err)
        return 130
    except Terminated:
        print(f"kb {args.command}: terminated", file=err)
        return 143
    except BrokenPipeError:  # `kb search ... | head`: the reader left; not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


#: Commands that write an index: SIGTERM (`timeout`, systemd, docker stop) unwinds them like Ctrl-C, so the half-written
#: version is removed at once. By default SIGTERM ended the process where it stood and left its build folder.
BUILDING_COMMANDS = ("index", "eval")


class Terminated(BaseException):
    """SIGTERM, raised where the process stands so that the build's cleanup runs (like KeyboardInterrupt)."""


@contextmanager
def _terminated_cleanly(active: bool) -> Iterator[None]:
    if not active or threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def terminate(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interactive(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # a closed stdin
        return False


if __name__ == "__main__":
    sys.exit(main())
