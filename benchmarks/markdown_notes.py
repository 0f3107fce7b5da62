"""The SQuAD sample's held-out questions asked of its articles written as Markdown, the way notes, wikis and READMEs
are: how much of kb's quality survives a heading, lines filled to 80 columns and bulleted lists.

    .venv/bin/python benchmarks/markdown_notes.py        # ~3 min on 2 cores

Layouts, every file a .md:
- articles: one file per article, "# Title", each paragraph filled to 80 columns, a blank line between them;
- notes: one file per paragraph, "# Title" over the paragraph filled to 80 columns (short files, where
  kb.text.wrap_width cannot tell wrapped lines from lines of their own);
- bulleted notes: one file per paragraph, its sentences as a "- " list filled to 80 columns, continuation lines
  indented two spaces.

Gold spans move with the text. To compare readings, run this script on two trees (a `git worktree` of the commit
before: docs/quality.md, "Markdown"). Prints one row per layout: hit@1, hit@5, answer accuracy, citation accuracy,
abstained, the share of answers whose first quote starts inside a sentence of the original article, and the share
whose first quote starts with a Markdown mark ("- ", "#", "1.").
"""

from __future__ import annotations

import re
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from wrapped_text import alignment, asked_of, quality_cells, wrapped  # noqa: E402

from kb.evaluation import select, squad_corpus  # noqa: E402
from kb.evaluation.datasets import EvalQuestion  # noqa: E402
from kb.text import split_sentences  # noqa: E402

SQUAD = ROOT.parent / "shared" / "eval" / "squad-dev-sample.json"
WIDTH = 80
_MARK = re.compile(r"\s*(?:[-*+]\s|#|\d{1,3}[.)]\s|>)")


def bulleted(paragraph: str, width: int = WIDTH) -> str:
    """The paragraph's sentences as a bulleted list, each item filled to ``width`` with its continuation lines
    indented: only whitespace and "-" are added, so alignment() maps every offset."""
    items = [wrapped(s.text, width - 2).replace("\n", "\n  ") for s in split_sentences(paragraph)]
    return "\n".join("- " + item for item in items)


class Placed:
    """Where each original article's characters went: out file -> (article, offset of its first character in the
    article, map from out-file offsets back to article offsets), and the forward map per article paragraph."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.back: dict[str, tuple[str, list[int]]] = {}
        self.forward: list[tuple[str, int, int, str, list[int]]] = []  # article, start, end, out file, map

    def add(self, name: str, text: str, article: str, base: int, original: str, laid: str, at: int) -> None:
        """``laid`` (``original`` laid out) sits at ``at`` in out file ``name``; ``original`` at ``base`` in the
        article."""
        to_new, to_old = alignment(original, laid)
        self.files[name] = text
        back = self.back.setdefault(name, (article, [base] * (len(text) + 1)))[1]
        for j, i in enumerate(to_old):
            back[at + j] = base + i
        self.forward.append((article, base, base + len(original), name, [at + j for j in to_new]))

    def moved(self, question: EvalQuestion) -> EvalQuestion:
        spans = []
        for s in question.spans:
            article, base, end, name, to_new = next(f for f in self.forward
                                                     if f[0] == s.source and f[1] <= s.start < f[2])
            spans.append(replace(s, source=name, start=to_new[s.start - base],
                                 end=to_new[min(s.end, end) - base]))
        return replace(question, spans=tuple(spans), sources=tuple(s.source for s in spans))


def lay_out(corpus, layout: str) -> Placed:
    placed = Placed()
    for article in corpus.articles:
        stem = Path(article.source).stem
        heading = f"# {article.title}\n\n"
        if layout == "articles":
            laid = [wrapped(article.text[a:b], WIDTH) for a, b in article.paragraph_spans]
            text = heading + "\n\n".join(laid) + "\n"
            at = len(heading)
            for (a, b), piece in zip(article.paragraph_spans, laid):
                placed.add(f"{stem}.md", text, article.source, a, article.text[a:b], piece, at)
                at += len(piece) + 2
            continue
        for k, (a, b) in enumerate(article.paragraph_spans):
            original = article.text[a:b]
            piece = bulleted(original) if layout == "bulleted notes" else wrapped(original, WIDTH)
            placed.add(f"{stem}-{k:03d}.md", heading + piece + "\n", article.source, a, original, piece, len(heading))
    return placed


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kb-markdown-") as temporary:
        work = Path(temporary)
        corpus = squad_corpus(SQUAD, work / "squad")
        starts = {a.source: {s.start for s in split_sentences(a.text)} for a in corpus.articles}
        print("| layout | files | questions | hit@1 | hit@5 | answer accuracy | citation accuracy | abstained "
              "| answers starting mid-sentence | answers starting with a Markdown mark |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for number, layout in enumerate(("articles", "notes", "bulleted notes")):
            placed = lay_out(corpus, layout)
            folder = work / f"md-{number}"
            folder.mkdir()
            for name, text in placed.files.items():
                (folder / name).write_text(text, encoding="utf-8")
            heldout = [placed.moved(q) for q in select(corpus.questions, "heldout")]
            report, answers = asked_of(folder, work / f"index-{number}", heldout)
            first = [a.citations[0] for a in answers if not a.abstained and a.citations]
            mid = 0
            for c in first:
                article, back = placed.back[c.source]
                mid += back[c.start] not in starts[article]
            marked = sum(bool(_MARK.match(c.text)) for c in first)
            print(f"| {layout} | {len(placed.files)} | {len(heldout)} {quality_cells(report, len(heldout))} "
                  f"| {mid / max(len(first), 1):.3f} | {marked / max(len(first), 1):.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
