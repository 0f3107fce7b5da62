"""The SQuAD sample's held-out questions asked of its articles as laid out (a paragraph a line) and hard-wrapped
(each paragraph filled to 72 and to 100 columns, as plain-text mail, Markdown notes and e-books are): how much of
kb's quality survives line breaks inside sentences. Then filled to 72 columns with words hyphenated across lines, as
a typeset PDF's text layer gives them ("recog-\nnition"), read as extracted and through the PDF reader's rejoining
(kb.sources.pdf.text_of_pages); and cut into pages of 45 lines with a running head and a page number on each, as
extracted (the pages joined by a blank line, as the reader joined them before) and as the reader reads them now.
And with "fi", "fl", "ff", "ffi" and "ffl" as the one-character ligatures many text layers give ("ﬁnancial"), as
extracted and as the reader reads them now.

    .venv/bin/pip install -e '.[bench]'                 # pyphen, for the hyphenated layouts only
    .venv/bin/python benchmarks/wrapped_text.py        # ~6 min on 2 cores

Wrapped text is not in any question set: the seeds and SQuAD put a paragraph on one line. A wrapped line that
starts with a capital or a digit used to end a sentence (kb.text.split_sentences), so an answer could be half a
sentence. Prints one row per layout: hit@1, hit@5, answer accuracy, citation accuracy, abstained, the share of
answers whose first quoted statement starts inside a sentence of the original article (a fragment), and the
median answer length.
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase  # noqa: E402
from kb.evaluation import select, squad_corpus  # noqa: E402
from kb.evaluation.datasets import EvalQuestion  # noqa: E402
from kb.evaluation.report import EvalReport, summarize  # noqa: E402
from kb.evaluation.runner import DocumentTexts, asked, check_citations, outcome_from_answer  # noqa: E402
from kb.sources.pdf import LIGATURES, text_of_pages  # noqa: E402
from kb.types import Answer  # noqa: E402
from kb.text import split_sentences  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad-dev-sample.json"


def wrapped(text: str, width: int) -> str:
    """The text with every line filled to at most ``width`` columns by turning spaces into line breaks (greedy, as
    textwrap and editors fill): the same length, so every offset, gold span included, stays where it was."""
    chars = list(text)
    line_start, last_space = 0, -1
    for i, ch in enumerate(chars):
        if ch == "\n":
            line_start, last_space = i + 1, -1
            continue
        if i - line_start >= width and last_space > line_start:
            chars[last_space] = "\n"
            line_start, last_space = last_space + 1, -1
        if ch == " ":
            last_space = i
    return "".join(chars)


def hyphenated(text: str, width: int, hyphenator: object, slack: int = 3) -> str:
    """The text filled to ``width`` columns as a typesetter would: a word that does not fit is hyphenated at its last
    dictionary break that fits ("recog-" / "nition"), or after a hyphen of its own ("well-" / "known"), when leaving
    it whole would leave more than ``slack`` columns of the line empty (a justified line stretches less than that).
    A typeset page hyphenates fewer lines than this greedy fill, so this is the harder case."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            gap = " " if line else ""
            if len(line) + len(gap) + len(word) <= width:
                line += gap + word
                continue
            room = width - len(line) - len(gap)
            if room > slack:
                positions = hyphenator.positions(word)  # type: ignore[attr-defined]
                breaks = [p for p in positions if p + 1 <= room and word[p - 1].isalpha()]
                own = [i + 1 for i, ch in enumerate(word) if ch == "-" and 0 < i < len(word) - 1 and i + 1 <= room]
                if breaks or own:
                    cut = max(breaks + own)
                    mark = "" if word[cut - 1] == "-" else "-"
                    lines.append(line + gap + word[:cut] + mark)
                    line = word[cut:]
                    continue
            lines.append(line)
            line = word
        lines.append(line)
    return "\n".join(lines)


def paged(text: str, lines_per_page: int = 45) -> list[str]:
    """The text cut into pages as a PDF's text layer gives them, each with a running head and a page number."""
    lines = text.split("\n")
    title = lines[0].upper()
    count = -(-len(lines) // lines_per_page)
    return [f"{title} {HEAD_MARK}\n" + "\n".join(lines[n * lines_per_page:(n + 1) * lines_per_page])
            + f"\nPage {n + 1} of {count}" for n in range(count)]


def ligated(text: str) -> str:
    """The text with "ffi", "ffl", "ff", "fi" and "fl" as the one-character ligatures many text layers give."""
    for letters, ligature in _LIGATED:
        text = text.replace(letters, ligature)
    return text


_LIGATED = [("ffi", "\ufb03"), ("ffl", "\ufb04"), ("ff", "\ufb00"), ("fi", "\ufb01"), ("fl", "\ufb02")]
_SPELLED = {chr(code): letters for code, letters in LIGATURES.items()}
HEAD_MARK = "- a SQuAD article in pages"
_FURNITURE = re.compile(rf"^(.* {re.escape(HEAD_MARK)}|Page \d+ of \d+)$")


def alignment(original: str, laid_out: str) -> tuple[list[int], list[int]]:
    """Offsets from the original to the laid-out text and back, matching every character that is neither
    whitespace, nor a hyphen one side added or dropped, nor a running head or page number ``paged`` added, and a
    ligature for its letters: the layouts change nothing else."""
    to_new, to_old = [0] * (len(original) + 1), [0] * (len(laid_out) + 1)
    i = j = 0
    while i < len(original) or j < len(laid_out):
        if j < len(laid_out) and (j == 0 or laid_out[j - 1] == "\n"):
            end = laid_out.find("\n", j)
            end = len(laid_out) if end < 0 else end
            if _FURNITURE.match(laid_out[j:end]):
                for k in range(j, end):
                    to_old[k] = i
                j = end
                continue
        a = original[i] if i < len(original) else ""
        b = laid_out[j] if j < len(laid_out) else ""
        if a and b and a == b:
            to_new[i], to_old[j] = j, i
            i, j = i + 1, j + 1
        elif b in _SPELLED and original.startswith(_SPELLED[b], i):
            for k in range(i, i + len(_SPELLED[b])):
                to_new[k] = j
            to_old[j] = i
            i, j = i + len(_SPELLED[b]), j + 1
        elif a and (a.isspace() or a == "-" or not b):
            to_new[i] = j
            i += 1
        elif b and (b.isspace() or b == "-" or not a):
            to_old[j] = i
            j += 1
        else:
            raise ValueError(f"layouts differ at {i}: {original[i:i + 20]!r} / {laid_out[j:j + 20]!r}")
    to_new[len(original)], to_old[len(laid_out)] = len(laid_out), len(original)
    return to_new, to_old


def layouts() -> list[tuple[str, object]]:
    """(label, text -> laid-out text); the hyphenated ones only where pyphen is installed (the bench extra)."""
    chosen: list[tuple[str, object]] = [("as laid out", lambda t: t),
                                        ("with ligatures, as extracted", ligated),
                                        ("with ligatures, as read now", lambda t: text_of_pages([ligated(t)])),
                                        ("wrapped at 100", lambda t: wrapped(t, 100)),
                                        ("wrapped at 72", lambda t: wrapped(t, 72))]
    try:
        import pyphen
    except ImportError:
        print("pyphen is not installed (.venv/bin/pip install -e '.[bench]'): no hyphenated rows", file=sys.stderr)
        return chosen
    dictionary = pyphen.Pyphen(lang="en_US", left=2, right=3)
    chosen.append(("hyphenated at 72, as extracted", lambda t: hyphenated(t, 72, dictionary)))
    chosen.append(("hyphenated at 72, rejoined", lambda t: text_of_pages([hyphenated(t, 72, dictionary)])))
    chosen.append(("in pages, hyphenated at 72, as extracted",
                   lambda t: "\n\n".join(page.strip() for page in paged(hyphenated(t, 72, dictionary)))))
    chosen.append(("in pages, hyphenated at 72, as read now",
                   lambda t: text_of_pages(paged(hyphenated(t, 72, dictionary)))))
    return chosen


def moved(question: EvalQuestion, maps: dict[str, list[int]]) -> EvalQuestion:
    """The question with its gold paragraphs at their offsets in the laid-out articles."""
    spans = tuple(replace(s, start=maps[s.source][s.start], end=maps[s.source][s.end]) for s in question.spans)
    return replace(question, spans=spans)


def asked_of(folder: Path, index: Path, questions: list[EvalQuestion]) -> tuple[EvalReport, list[Answer]]:
    """Index ``folder`` and ask it each question once (k=10): the report and the answers."""
    kb = KnowledgeBase(folder, index)
    kb.build()
    texts = DocumentTexts(kb.document_text)
    answers = [kb.ask(asked(q), k=10) for q in questions]
    outcomes = [check_citations(outcome_from_answer(a), texts) for a in answers]
    return summarize("", questions, outcomes, k=10, by_split=False), answers


def quality_cells(report: EvalReport, asked_count: int) -> str:
    """"| hit@1 | hit@5 | answer accuracy | citation accuracy | abstained", as the tables print them."""
    m = report.metrics
    return (f"| {m['hit1']:.3f} | {m['hit5']:.3f} | {m['answer_accuracy']:.3f} | {m['citation_accuracy']:.3f} "
            f"| {report.counts['abstained'] / asked_count:.3f}")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="kb-wrapped-"))
    try:
        corpus = squad_corpus(SQUAD, work / "squad")
        print("| articles | questions | hit@1 | hit@5 | answer accuracy | citation accuracy | abstained "
              "| answers starting mid-sentence | median answer characters | lines ending in a hyphen "
              "| words not as written |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        originals = {p.name: p.read_text(encoding="utf-8") for p in corpus.folder.glob("*.txt")}
        starts = {name: {s.start for s in split_sentences(text)} for name, text in originals.items()}
        words = {name: set(text.split()) for name, text in originals.items()}
        for number, (label, lay_out) in enumerate(layouts()):
            folder = work / f"articles-{number}"
            folder.mkdir()
            texts_out = {name: lay_out(text) for name, text in originals.items()}  # type: ignore[operator]
            for name, text in texts_out.items():
                (folder / name).write_text(text, encoding="utf-8")
            maps = {name: alignment(originals[name], text) for name, text in texts_out.items()}
            heldout = [moved(q, {n: m[0] for n, m in maps.items()}) for q in select(corpus.questions, "heldout")]
            report, answers = asked_of(folder, work / f"index-{number}", heldout)
            answered = [a for a in answers if not a.abstained and a.citations]
            # The article's own sentences (a paragraph a line) say where a sentence starts, read back through the map.
            mid = sum(maps[c.source][1][c.start] not in starts[c.source] for c in (a.citations[0] for a in answered))
            lines = [line for text in texts_out.values() for line in text.split("\n") if line]
            off = sum(w not in words[name] for name, text in texts_out.items() for w in text.split())
            lengths = [len(a.answer) for a in answered]
            print(f"| {label} | {len(heldout)} {quality_cells(report, len(heldout))} "
                  f"| {mid / max(len(answered), 1):.3f} "
                  f"| {statistics.median(lengths) if lengths else 0:.0f} "
                  f"| {sum(line.endswith('-') for line in lines) / len(lines):.3f} | {off} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
