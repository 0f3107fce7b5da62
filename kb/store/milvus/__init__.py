"""The Milvus store: the same index in Milvus collections, embedded (milvus-lite file) or on a server (URI).

One version is four collections, named ``<prefix>_<kind>_v<NNNNNN>``, where the prefix comes from the ``index``
setting (``kb_index`` by default, see ``collection_prefix``):

  chunks     id, source, title, date, ordinal, span, text, ``terms`` (the analyzed body, input of Milvus' BM25
             function), ``sparse`` (BM25 output), ``vector``: dense, lexical and hybrid search all run here
  sentences  id, source, span, exact text, vector: what rescoring and answering read per passage
  documents  title, date, sha256, size, chunk count and the text (in parts: a VARCHAR holds 64 KiB)
  terms      indexed term -> chunks holding it: the lexical side's document frequencies and vocabulary

plus ``<prefix>_meta``: one manifest row per version, the live row and the writer's lock record (servers only).

Publishing inserts one row, ``live:<version>``, into ``<prefix>_meta`` (a single-row insert is atomic);
readers take the newest such row once per question and read only that version's collections, so a crash at
any moment leaves the previous version live. Everything a reader needs lives in Milvus, so two kb servers pointed at one Milvus
give the same answers.

BM25 input is the text as SQLite FTS5 tokenizes it (porter stems, diacritics removed; kb.store.database
``fts_terms``), joined by spaces, so Milvus' standard analyzer only splits it: the vocabulary, the document
frequencies and the terms matched are those of the FAISS store, on milvus-lite and on a server alike.

Incremental builds copy the unchanged rows of the live version into the new collections (re-embedding
nothing): a build writes the whole index, which is the price of an atomic swap of collections.
"""

from kb.store.milvus.backend import MilvusBackend
from kb.store.milvus.common import (
    LEASE_SECONDS, MAX_TERM_BYTES, MilvusError, client_for, collection_prefix, iterate, lite_server_uri,
)
from kb.store.milvus.reader import MilvusStore
from kb.store.milvus.writer import MilvusWriter

__all__ = [
    "LEASE_SECONDS", "MAX_TERM_BYTES", "MilvusBackend", "MilvusError", "MilvusStore", "MilvusWriter", "client_for",
    "collection_prefix", "iterate", "lite_server_uri",
]
