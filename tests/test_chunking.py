"""Chunks are verbatim spans of their document: text == document.text[start:end], always."""

from __future__ import annotations

import random

import pytest

from kb.chunking import Chunker
from kb.sources import parse_document
from paths import SEEDS


def _doc(text: str, name: str = "d.txt"):
    return parse_document(text.encode(), name, ".txt")


@pytest.mark.parametrize(("size", "overlap"), [(800, 120), (300, 50), (120, 0)])
def test_span_invariant_on_seeds(size, overlap):
    chunker = Chunker(size, overlap)
    for path in sorted(SEEDS.glob("*.txt")):
        doc = parse_document(path.read_bytes(), path.name, ".txt")
        chunks = chunker.run(doc)
        assert chunks, path.name
        for chunk in chunks:
            assert doc.text[chunk.start : chunk.end] == chunk.text
            assert len(chunk.text) <= size
        # Every word of the document is in some chunk.
        covered = [False] * len(doc.text)
        for chunk in chunks:
            covered[chunk.start : chunk.end] = [True] * (chunk.end - chunk.start)
        assert all(covered[i] for i, ch in enumerate(doc.text) if not ch.isspace())


def test_span_invariant_with_repeated_text():
    """Repeated sentences must map to their own occurrence, not the first one."""
    text = "\n\n".join(["The same sentence again."] * 40 + ["A different ending."])
    doc = _doc(text)
    chunks = Chunker(100, 30).run(doc)
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert chunks[-1].end == len(text)
    for c in chunks:
        assert text[c.start : c.end] == c.text


def test_random_texts_keep_the_invariant():
    rng = random.Random(7)
    vocab = ["alpha", "beta.", "gamma,", "delta!", "\n", "\n\n", "eps?", "zeta;", "x" * 30]
    chunker = Chunker(150, 40)
    for _ in range(30):
        text = "T " + " ".join(rng.choice(vocab) for _ in range(rng.randint(5, 400)))
        doc = _doc(text)
        for c in chunker.run(doc):
            assert doc.text[c.start : c.end] == c.text


def test_chunks_prefer_sentence_boundaries():
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    for c in Chunker(200, 0).run(_doc(text)):
        assert c.text.endswith("."), c.text


def test_wrapped_text_is_chunked_at_sentence_ends_not_line_breaks():
    # A paragraph hard-wrapped at 60 columns: cut at its line breaks, a chunk would end mid-sentence.
    sentences = [f"Sentence number {n} tells the reader something about topic {n % 7} at length." for n in range(30)]
    words = " ".join(sentences).split(" ")
    lines, line = [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > 60:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    text = "\n".join(lines + [line])
    doc = _doc(text)
    chunks = Chunker(400, 0).run(doc)
    assert len(chunks) > 3
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.endswith("."), chunk.text[-40:]
    # The same words a paragraph a line are still cut as before (the line is the paragraph).
    flat = _doc("\n".join(sentences))
    assert all(c.text.endswith(".") for c in Chunker(400, 0).run(flat))
