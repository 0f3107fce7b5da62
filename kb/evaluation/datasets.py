"""Question sets for evaluation: JSONL dev sets and SQuAD v1.1, plus SQuAD turned into a corpus with gold spans.

A SQuAD article becomes one .txt file (title on the first line, then its paragraphs separated by blank lines).
The layout is a pure function of the SQuAD file, so the gold span of every question's paragraph is known
without reading the corpus back: a retrieved passage is gold when it overlaps that span in that file.
Articles alternate between a tuning half and a held-out half (even / odd article index), so retrieval can be
tuned on one half and checked on articles it never saw.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.answer.extractive import answer_contains
from kb.errors import UsageError

SPLITS = ("all", "tune", "heldout")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class GoldSpan:
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class EvalQuestion:
    """One question with what counts as right: gold answer strings and gold sources or spans."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # source-name prefixes (JSONL sets)
    spans: tuple[GoldSpan, ...] = ()  # exact gold paragraphs (SQuAD sets)
    unanswerable: bool = False
    split: str = "tune"
    group: str = ""  # the SQuAD article, for per-article breakdowns
    history: tuple[tuple[str, str], ...] = ()  # earlier (question, answer) turns: the question is a follow-up
    kind: str = ""  # the set's own label (paraphrase, date, near-miss...), for per-kind breakdowns


@dataclass(frozen=True)
class SquadArticle:
    index: int
    title: str
    source: str  # file name in the corpus folder
    text: str
    paragraph_spans: tuple[tuple[int, int], ...]


@dataclass
class SquadCorpus:
    folder: Path
    articles: list[SquadArticle]
    questions: list[EvalQuestion]
    written: list[str] = field(default_factory=list)  # files created or changed by this call


def article_split(index: int) -> str:
    """Even articles tune, odd articles are held out: deterministic and whole-article."""
    return "tune" if index % 2 == 0 else "heldout"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such question file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not valid JSON ({exc})") from None


def is_squad(path: str | Path) -> bool:
    """SQuAD files are one JSON object with a 'data' list; JSONL files are one object per line."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such question file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read question file ({exc.strerror or exc})") from None
    if not head.startswith(b"{"):
        return False
    return b'"data"' in head or b'"version"' in head


def _listed(row: dict[str, Any], key: str) -> list[Any]:
    """A list field of a question line. A string there was read a character at a time: "answers": "Barack Obama"
    became the gold answers "B", "a", "r" ..., and "sources": "004" the prefixes "0", "0", "4", which every file
    matches (hit@1 and citation accuracy inflated, silently)."""
    value = row.get(key) or []
    if not isinstance(value, list):
        raise ValueError(f'"{key}" must be a list, not {json.dumps(value)}')
    return value


def load_jsonl(path: str | Path) -> list[EvalQuestion]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a BOM, as some editors save, is no question
    except FileNotFoundError:
        raise UsageError(f"{path}: no such question file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read question file ({exc})") from None
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = row["q"] if "q" in row else row["question"]
            if not isinstance(text, str) or not text.strip():
                raise ValueError("empty question")
            answers = tuple(str(a) for a in _listed(row, "answers"))
            sources = tuple(str(s) for s in _listed(row, "sources"))
            unanswerable = row.get("unanswerable", False)
            if not isinstance(unanswerable, bool):  # "false" is a string, and bool("false") is True
                raise ValueError(f'"unanswerable" must be true or false, not {json.dumps(unanswerable)}')
            history = tuple((str(q), str(a)) for q, a in row.get("history") or [])
            kind = str(row.get("kind", ""))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"{path}:{number}: not a question line ({exc})") from None
        if not unanswerable and not (answers or sources):
            raise UsageError(f"{path}:{number}: an answerable question needs answers or sources")
        questions.append(EvalQuestion(
            id=str(row.get("id", number)), question=text, answers=answers, sources=sources,
            unanswerable=unanswerable, split="tune", history=history, kind=kind,
        ))
    if not questions:
        raise UsageError(f"{path}: no questions")
    return questions


def _file_name(index: int, title: str) -> str:
    return f"{index:02d}_{_UNSAFE.sub('_', title).strip('_') or 'article'}.txt"


def squad_articles(data: Any, path: Path | str = "SQuAD file") -> list[SquadArticle]:
    """Lay out every article as a document; paragraph text is kept verbatim so SQuAD offsets stay valid."""
    try:
        raw_articles = data["data"]
        articles = []
        for index, article in enumerate(raw_articles):
            title = str(article.get("title") or f"article {index}").replace("_", " ")
            text = title + "\n\n"
            spans = []
            for paragraph in article["paragraphs"]:
                context = paragraph["context"]
                if not isinstance(context, str):
                    raise TypeError("context is not text")
                if len(spans):
                    text += "\n\n"
                spans.append((len(text), len(text) + len(context)))
                text += context
            articles.append(SquadArticle(index, title, _file_name(index, title), text + "\n", tuple(spans)))
    except (KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path}: not SQuAD v1.1 JSON ({exc})") from None
    return articles


def squad_questions(data: Any, articles: list[SquadArticle], path: Path | str = "SQuAD file") -> list[EvalQuestion]:
    questions = []
    try:
        for article, raw in zip(articles, data["data"]):
            for paragraph, (start, end) in zip(raw["paragraphs"], article.paragraph_spans):
                gold = (GoldSpan(article.source, start, end),)
                for qa in paragraph.get("qas", []):
                    answers = tuple(dict.fromkeys(str(a["text"]) for a in qa.get("answers", [])))
                    impossible = bool(qa.get("is_impossible", False))
                    questions.append(EvalQuestion(
                        id=str(qa["id"]), question=str(qa["question"]), answers=answers,
                        sources=(article.source,), spans=() if impossible else gold,
                        unanswerable=impossible or not answers, split=article_split(article.index),
                        group=article.title,
                    ))
    except (KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path}: not SQuAD v1.1 JSON ({exc})") from None
    return questions


def load_squad(path: str | Path) -> tuple[list[SquadArticle], list[EvalQuestion]]:
    data = _read_json(Path(path))
    if not isinstance(data, dict):
        raise UsageError(f"{path}: not SQuAD v1.1 JSON (no 'data' list)")
    articles = squad_articles(data, path)
    return articles, squad_questions(data, articles, path)


def load_questions(path: str | Path) -> list[EvalQuestion]:
    """Either format, detected from the content; errors are one-line UsageErrors."""
    if is_squad(path):
        questions = load_squad(path)[1]
        if not questions:
            raise UsageError(f"{path}: no questions")
        return questions
    return load_jsonl(path)


#: The file that marks a folder as one kb wrote a SQuAD file's articles into (squad_corpus), and an index as one
#: `kb eval` built of them: the only folders it writes over.
SQUAD_MARK = ".kb-squad"


def owns(folder: Path) -> bool:
    """The folder is new, empty, or one kb marked as its own SQuAD corpus or index (SQUAD_MARK)."""
    return not folder.exists() or (folder / SQUAD_MARK).is_file() or (folder.is_dir() and not any(folder.iterdir()))


def squad_corpus(path: str | Path, out_dir: str | Path, own: bool = False) -> SquadCorpus:
    """Write one .txt per article into out_dir; unchanged files are left alone so index updates stay incremental.

    Only into a folder of its own (``owns``): `kb eval squad.json --sources mydocs` once overwrote a user's file
    that had an article's name, and added the other articles beside the user's documents. ``own``: the folder is
    kb's whatever it holds (`kb eval`'s own cache)."""
    articles, questions = load_squad(path)
    folder = Path(out_dir)
    if not own and not owns(folder):
        raise UsageError(f"{folder} holds other files: kb eval writes a SQuAD file's articles into a folder of its "
                         "own; give a new or empty --sources folder, or leave --sources out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SQUAD_MARK).write_text("articles written by kb eval from a SQuAD file\n", encoding="utf-8")
        written = []
        for article in articles:
            target = folder / article.source
            data = article.text.encode("utf-8")
            if target.is_file() and target.read_bytes() == data:
                continue
            target.write_bytes(data)
            written.append(article.source)
    except OSError as exc:
        raise UsageError(f"cannot write the SQuAD corpus to {folder}: {exc.strerror or exc}") from None
    return SquadCorpus(folder, articles, questions, written)


def select(questions: list[EvalQuestion], split: str = "all", limit: int | None = None, seed: int = 0) -> list[EvalQuestion]:
    """Filter to a split, then (with limit) a seeded random sample kept in file order: quick runs stay comparable."""
    if split not in SPLITS:
        raise UsageError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    chosen = [q for q in questions if split == "all" or q.split == split]
    if limit is not None:
        if limit < 1:
            raise UsageError("--limit must be at least 1")
        if limit < len(chosen):
            keep = set(random.Random(seed).sample(range(len(chosen)), limit))
            chosen = [q for i, q in enumerate(chosen) if i in keep]
    return chosen


def as_unanswerable(questions: list[EvalQuestion]) -> list[EvalQuestion]:
    """Cross-corpus use: the same questions, asked of an index that cannot answer them."""
    return [EvalQuestion(q.id, q.question, unanswerable=True, split=q.split, group=q.group, history=q.history,
                         kind=q.kind) for q in questions]


def without_gold_sources(questions: list[EvalQuestion],
                         files: list[Path]) -> list[tuple[list[Path], list[EvalQuestion]]]:
    """Each question with the files that are left when every file that names it as a gold source, or holds one of
    its gold answers, is taken away (grouped, so one index serves each set of files): the same story told by other
    documents, which share its names and words but not the answer. A question no file is left for is left out."""
    texts = {f: f.read_text(encoding="utf-8", errors="replace") for f in files}
    groups: dict[tuple[Path, ...], list[EvalQuestion]] = {}
    for q in questions:
        if not q.sources and not q.answers:
            continue
        left = tuple(f for f in files if not any(f.name.startswith(prefix) for prefix in q.sources)
                     and not any(answer_contains(texts[f], gold) for gold in q.answers))
        if left:
            groups.setdefault(left, []).append(q)
    return [(list(left), group) for left, group in groups.items()]


def not_stated_in(questions: list[EvalQuestion], files: list[Path]) -> list[EvalQuestion]:
    """The questions none of whose gold answers any of the files holds: asked of an index of those files (other
    documents of the same domain), they must be abstained on. The rest may be answered there in other words and are
    left out, as without_gold_sources leaves out the files that hold an answer."""
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    return [q for q in questions
            if q.answers and not any(answer_contains(t, gold) for t in texts for gold in q.answers)]


__all__ = [
    "SPLITS", "EvalQuestion", "GoldSpan", "SquadArticle", "SquadCorpus", "article_split", "as_unanswerable",
    "is_squad", "load_jsonl", "load_questions", "load_squad", "not_stated_in", "select", "squad_articles",
    "squad_corpus", "squad_questions", "without_gold_sources",
]
