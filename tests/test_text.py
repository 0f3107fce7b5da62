"""Sentence splitting keeps exact spans; terms fold case and accents."""

from __future__ import annotations

from kb.text import content_terms, split_sentences, stem, wrap_width


def test_sentence_spans_are_exact_and_cover_the_text():
    text = (
        "Dr. Smith met Mr. Jones in the U.S. on Monday. They talked!  Did it help? \n\nA heading\n"
        "Another line starts here. “Quoted sentence.” Last one"
    )
    sentences = split_sentences(text, offset=100)
    for s in sentences:
        assert text[s.start - 100 : s.end - 100] == s.text
        assert s.text == s.text.strip()
    texts = [s.text for s in sentences]
    assert texts[0] == "Dr. Smith met Mr. Jones in the U.S. on Monday."
    assert "They talked!" in texts and "Did it help?" in texts and "A heading" in texts
    assert texts[-1] == "Last one"
    covered = "".join(text[s.start - 100 : s.end - 100] for s in sentences)
    assert covered.replace(" ", "") == "".join(text.split()).replace(" ", "")


WRAPPED = """Release notes

The index is rebuilt whenever a document changes, and questions asked while
Milvus or FAISS is being written are answered from the previous version, so
2,000 users can keep asking while it happens. The export of the model is made
once, on first use, and kept in the cache folder beside the other models that
Hugging Face tools keep there, so a second build does not pay for it again.
Nothing is downloaded: the model comes with the package that installs it, and
April's release only changed how its files are named on disk.
Steps:
1. Stop the server before moving the index folder to
another disk.
2. Start it again.
What changed:
- Faster builds
- Smaller indexes on disk for the largest collections, which matters most when
they are copied
"""


def test_wrapped_text_keeps_its_sentences_whole():
    # Lines wrapped at ~75 characters that start with a name or a number inside a sentence: read as line breaks
    # they cut "questions asked while / Milvus or FAISS ..." in two, and kb quoted the half.
    assert wrap_width(WRAPPED) is not None
    texts = [s.text for s in split_sentences(WRAPPED)]
    assert texts[0] == "Release notes"
    assert texts[1].startswith("The index is rebuilt")
    assert texts[1].endswith("2,000 users can keep asking while it happens.")
    assert "Milvus or FAISS" in texts[1]
    assert texts[2].startswith("The export of the model") and "Hugging Face tools" in texts[2]
    assert texts[3].startswith("Nothing is downloaded") and texts[3].endswith("how its files are named on disk.")
    # A short line is a heading or a list's lead, and a numbered item starts a line of its own.
    assert "Steps:" in texts
    assert "1. Stop the server before moving the index folder to\nanother disk." in texts
    assert "2. Start it again." in texts
    # A bulleted item is a statement of its own; its wrapped continuation stays with it.
    assert texts[-3:] == ["What changed:", "- Faster builds", "- Smaller indexes on disk for the largest collections, "
                          "which matters most when\nthey are copied"]
    for s in split_sentences(WRAPPED, offset=7):
        assert WRAPPED[s.start - 7 : s.end - 7] == s.text


def test_a_line_per_paragraph_or_sentence_is_not_wrapped():
    # The news seeds' layout: a paragraph a line, a headline and byline on lines of their own.
    news = ("Russia planned to attack Japan in 2021\nBy Zaini Majeed\nUpdated: November 25th, 2022\n\n"
            + "A long paragraph that runs on. " * 12 + "\n\nAnother paragraph.\n")
    assert wrap_width(news) is None
    assert [s.text for s in split_sentences(news)][:3] == [
        "Russia planned to attack Japan in 2021", "By Zaini Majeed", "Updated: November 25th, 2022"]
    # Short lines that each end a sentence (a list, a poem, a log) are not wrapped text either.
    lines = "\n".join(f"Item number {n} is on the shelf." for n in range(8))
    assert wrap_width(lines) is None
    assert len(split_sentences(lines)) == 8
    # A bulleted list without full stops: one statement per item, not one run-on sentence.
    bullets = "Features:\n- fast search\n* cited answers\n• no account needed"
    assert [s.text for s in split_sentences(bullets)] == [
        "Features:", "- fast search", "* cited answers", "• no account needed"]


def test_content_terms_drop_stopwords_and_fold():
    assert content_terms("Who verified the letter's contents in Zürich?") == ["verified", "letter", "contents", "zurich"]


def test_stem_matches_inflections():
    assert stem("verified") == stem("verifies") == stem("verify")
    assert stem("islands") == stem("island")
    assert stem("stored") == stem("store")  # the old suffix stripper gave "stor" / "store"
    assert stem("concluded") == stem("conclude")


def test_stem_agrees_with_the_lexical_index():
    from kb.store.database import fts_terms

    for word in ("verified", "running", "islands", "stored", "organizations"):
        assert (stem(word),) == fts_terms(word)
