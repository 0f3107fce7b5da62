"""Lexical query building at scale: common terms left out only when rarer ones remain, rare misspelled names
still expanded and found, the MATCH capped to the rarest terms, frequencies read from the FTS5 vocabulary."""

from __future__ import annotations

import numpy as np
import pytest

from kb.retrieval.lexical import LexicalRetriever
from kb.store import IndexDatabase
from kb.store.database import fts_terms
from kb.types import Chunk, SourceDocument

CHUNKS = 60


def chunk_texts() -> list[str]:
    """Every chunk says 'report'; 40 mention the river; 2 the zebra; 3 islands; one Captain Osechkin."""
    texts = []
    for i in range(CHUNKS):
        words = [f"filler{i}", "weekly report"]
        if i < 40:
            words.append("the river rose")
        if i in (7, 8):
            words.append("a zebra crossed")
        if i in (20, 21, 22):
            words.append("the islands flooded")
        if i == 33:
            words.append("Captain Osechkin inspected the dam")
        texts.append(" ".join(words) + ".")
    return texts


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    db = IndexDatabase.create(tmp_path_factory.mktemp("lexical") / "kb.sqlite")
    texts = chunk_texts()
    for i, text in enumerate(texts):  # one document per chunk: chunk id i + 1 holds texts[i]
        document = SourceDocument(f"d{i:02d}.txt", f"doc {i}", text, f"{i:064x}")
        db.add_document(document, [Chunk(document.source, 0, 0, len(text), text)], np.zeros((1, 8), np.float32))
    db.commit()
    yield db
    db.close()


def ids_with(word: str) -> set[int]:
    return {i + 1 for i, text in enumerate(chunk_texts()) if word in text.lower()}


def test_fts_terms_are_the_index_stems():
    assert fts_terms("running") == ("run",)
    assert fts_terms("Islands") == ("island",)
    assert fts_terms("o'brien") == ("o", "brien")


def test_document_frequency_from_the_vocabulary(database):
    lexical = LexicalRetriever(database)
    assert lexical.chunk_count() == CHUNKS
    assert lexical.document_frequency("report") == CHUNKS
    assert lexical.document_frequency("river") == 40
    assert lexical.document_frequency("island") == 3  # stemmed: the text says "islands"
    assert lexical.document_frequency("osekin") == 0


def test_common_term_dropped_when_a_rarer_one_remains(database):
    lexical = LexicalRetriever(database, min_chunks=10, common_share=0.2)
    terms = lexical.query_terms("zebra report")
    assert list(lexical.match_terms(terms)) == ["zebra"]
    assert {cid for cid, _ in lexical.run("zebra report", 50)} == ids_with("zebra")


def test_common_terms_kept_when_nothing_rarer(database):
    lexical = LexicalRetriever(database, min_chunks=10, common_share=0.2)
    terms = lexical.query_terms("river report")
    assert list(lexical.match_terms(terms)) == ["river", "report"]
    hits = lexical.run("river report", 100)
    assert {cid for cid, _ in hits} == set(range(1, CHUNKS + 1))
    assert {cid for cid, _ in hits[:40]} == ids_with("river")  # matching both terms ranks first


def test_small_corpus_keeps_every_term(database):
    lexical = LexicalRetriever(database, min_chunks=CHUNKS + 1, common_share=0.2)
    assert list(lexical.match_terms(lexical.query_terms("zebra report"))) == ["zebra", "report"]
    hits = lexical.run("zebra report", 100)
    assert len(hits) == CHUNKS and {cid for cid, _ in hits[:2]} == ids_with("zebra")


def test_rare_misspelled_name_is_expanded_and_found(database):
    lexical = LexicalRetriever(database, min_chunks=10, common_share=0.2)
    terms = lexical.query_terms("Captain Osekin report")
    assert "osechkin" in terms["osekin"]
    kept = lexical.match_terms(terms)
    assert "osekin" in kept and "report" not in kept
    hits = lexical.run("Captain Osekin report", 50, terms)
    assert hits[0][0] == min(ids_with("osechkin"))


def test_unknown_words_alone_match_nothing(database):
    lexical = LexicalRetriever(database, min_chunks=10)
    assert lexical.match_terms(lexical.query_terms("qwxzv")) == {}
    assert lexical.run("qwxzv", 10) == []


def test_match_capped_to_the_rarest_terms(database):
    lexical = LexicalRetriever(database, min_chunks=10, common_share=1.0, max_match_terms=2)
    terms = lexical.query_terms("report river islands zebra")
    assert set(lexical.match_terms(terms)) == {"zebra", "islands"}
    assert {cid for cid, _ in lexical.run("report river islands zebra", 50)} == ids_with("zebra") | ids_with("islands")



def test_a_places_other_names_are_not_searched_for(tmp_path):
    """A capital's country counts for it in the term shares and the names check (kb.place_names), but BM25 is not
    sent "japan" for a question about Tokyo: measured, it put the gold passage lower (docs/quality.md, "A capital
    for its country"). A misspelling's close spellings still are."""
    db = IndexDatabase.create(tmp_path / "kb.sqlite")
    for i, text in enumerate(["Japan protested the drills.", "Captain Osechkin inspected the islands."]):
        document = SourceDocument(f"d{i}.txt", f"doc {i}", text, f"{i:064x}")
        db.add_document(document, [Chunk(document.source, 0, 0, len(text), text)], np.zeros((1, 8), np.float32))
    lexical = LexicalRetriever(db, 0.8)
    terms = {"tokyo": ["tokyo", "japan"], "osekin": ["osekin", "osechkin"], "islands": ["islands"]}
    places = {"tokyo": frozenset({"japan"})}  # what the question's analysis found Tokyo stands for
    assert lexical.alternatives(terms, places) == ["tokyo", "osekin", "osechkin", "islands"]
    assert [cid for cid, _ in lexical.run("", 10, terms, places)] == [2]  # nothing found through "japan"
