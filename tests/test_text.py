"""Sentence splitting keeps exact spans; terms fold case and accents."""

from __future__ import annotations

from kb.text import content_terms, split_sentences, stem


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
