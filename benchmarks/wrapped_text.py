"""The SQuAD sample's held-out questions asked of its articles as laid out (a paragraph a line) and hard-wrapped
(each paragraph filled to 72 and to 100 columns, as plain-text mail, Markdown notes and e-books are): how much of
kb's quality survives line breaks inside sentences.

    .venv/bin/python benchmarks/wrapped_text.py        # ~2 min on 2 cores

Wrapped text is not in any question set: the seeds and SQuAD put a paragraph on one line. A wrapped line that
starts with a capital or a digit used to end a sentence (kb.text.split_sentences), so an answer could be half a
sentence. Prints one row per layout: hit@1, hit@5, answer accuracy, citation accuracy, abstained, the share of
answers whose first quoted statement starts inside a sentence of the original article (a fragment), and the
median answer length.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase  # noqa: E402
from kb.evaluation import select, squad_corpus  # noqa: E402
from kb.evaluation.report import summarize  # noqa: E402
from kb.evaluation.runner import DocumentTexts, asked, check_citations, outcome_from_answer  # noqa: E402
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


def layout(articles: Path, width: int | None, work: Path) -> Path:
    """A folder of the articles, wrapped to ``width`` columns or as they are."""
    folder = work / f"articles-{width or 'as-is'}"
    folder.mkdir()
    for path in sorted(articles.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        (folder / path.name).write_text(text if width is None else wrapped(text, width), encoding="utf-8")
    return folder


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="kb-wrapped-"))
    try:
        corpus = squad_corpus(SQUAD, work / "squad")
        heldout = select(corpus.questions, "heldout")
        print("| articles | questions | hit@1 | hit@5 | answer accuracy | citation accuracy | abstained "
              "| answers starting mid-sentence | median answer characters |")
        print("|---|---|---|---|---|---|---|---|---|")
        originals = {p.name: p.read_text(encoding="utf-8") for p in corpus.folder.glob("*.txt")}
        starts = {name: {s.start for s in split_sentences(text)} for name, text in originals.items()}
        for width in (None, 100, 72):
            kb = KnowledgeBase(layout(corpus.folder, width, work), work / f"index-{width or 'as-is'}")
            kb.build()
            texts = DocumentTexts(kb.document_text)
            answers = [kb.ask(asked(q), k=10) for q in heldout]
            report = summarize("", heldout, [check_citations(outcome_from_answer(a), texts) for a in answers],
                               k=10, by_split=False)
            answered = [a for a in answers if not a.abstained and a.citations]
            # The article's own sentences (a paragraph a line) say where a sentence starts; wrapping keeps offsets.
            mid = sum(a.citations[0].start not in starts[a.citations[0].source] for a in answered)
            m = report.metrics
            lengths = [len(a.answer) for a in answered]
            print(f"| {'as laid out' if width is None else f'wrapped at {width}'} | {len(heldout)} "
                  f"| {m['hit1']:.3f} | {m['hit5']:.3f} | {m['answer_accuracy']:.3f} | {m['citation_accuracy']:.3f} "
                  f"| {report.counts['abstained'] / len(heldout):.3f} | {mid / max(len(answered), 1):.3f} "
                  f"| {statistics.median(lengths) if lengths else 0:.0f} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
