"""Store-generic index checks for the tests: the parts of one version agree, in either backend."""

from __future__ import annotations

from collections import Counter

import numpy as np


def chunk_ids(store) -> set[int]:
    """Every chunk id of the version, after checking the store's parts hold the same chunks.

    FAISS + SQLite: FAISS ids == chunk table ids == FTS rows. Milvus: the chunk rows, their BM25 input and the
    terms collection agree (each term's document frequency is the number of chunks holding it).
    """
    from kb.store import Snapshot

    if isinstance(store, Snapshot):
        faiss_ids, ids, fts_ids = store.vectors.ids(), store.database.chunk_ids(), store.database.fts_ids()
        assert faiss_ids == ids == fts_ids
        return ids
    from kb.store.milvus import MAX_TERM_BYTES, iterate

    rows = list(iterate(store.client, store.names["chunks"], "id >= 0", ["id", "terms"]))
    ids = {int(r["id"]) for r in rows}
    assert len(ids) == len(rows) == store.count_chunks()
    df = Counter(t for r in rows for t in set(r["terms"].split()) if len(t.encode()) <= MAX_TERM_BYTES)
    assert store.vocabulary() == dict(df), "terms collection disagrees with the chunks"
    return ids


def check_version(store) -> None:
    """Every chunk's text is its document's span; every chunk vector finds itself first; counts agree."""
    ids = chunk_ids(store)
    assert store.manifest.chunks == len(ids)
    docs = store.documents()
    assert store.manifest.documents == len(docs)
    assert sum(d.chunks for d in docs) == len(ids)
    rows = store.chunks(ids)
    assert set(rows) == ids
    vectors = store.chunk_vectors(sorted(ids))
    for cid, row in rows.items():
        text = store.document_text(row.source)
        assert text is not None and text[row.start : row.end] == row.text, f"bad span in {row.source}"
        hits = store.dense_search(np.asarray(vectors[cid]), 1)
        assert hits and hits[0][1] > 0.999, f"vector of chunk {cid} is not searchable"
        for start, end, sentence, _ in store.sentences_overlapping(row.source, row.start, row.end):
            assert text[start:end] == sentence
