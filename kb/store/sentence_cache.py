"""The sentences of recently pooled passages, kept across questions by both stores (FAISS + SQLite, Milvus)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterable

import numpy as np

Span = tuple[str, int, int]
SentenceRows = list[tuple[int, int, str, np.ndarray]]

#: Memory for the sentences (with their vectors) of recently pooled passages. A question's pool of 30 passages reads
#: ~300 sentence rows from the store (about 2 ms of an `ask` from SQLite, a query round trip from Milvus), and a
#: running server's questions share passages. A version never changes, so an entry is never stale; the budget
#: bounds memory on a large index (~1,500 bytes a sentence: 64 MiB holds ~45,000 sentences, the whole of most
#: folders). Each opened version has its own cache.
SENTENCE_CACHE_BYTES = 64 << 20


class SentenceCache:
    """Least recently used spans' sentences, within a byte budget; safe to share between threads."""

    def __init__(self, budget: int = SENTENCE_CACHE_BYTES) -> None:
        self.budget = budget
        self.used = 0
        self._items: OrderedDict[Span, tuple[SentenceRows, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, span: Span) -> SentenceRows | None:
        with self._lock:
            item = self._items.get(span)
            if item is None:
                return None
            self._items.move_to_end(span)
            return item[0]

    def missing(self, spans: Iterable[Span]) -> list[Span]:
        with self._lock:
            return [span for span in spans if span not in self._items]

    def put(self, span: Span, rows: SentenceRows) -> None:
        size = sum(v.nbytes + len(text) + 100 for _, _, text, v in rows) + 100
        if size > self.budget:
            return
        with self._lock:
            if span in self._items:
                return
            self._items[span] = (rows, size)
            self.used += size
            while self.used > self.budget:
                _, (_, dropped) = self._items.popitem(last=False)
                self.used -= dropped

    def __len__(self) -> int:
        return len(self._items)
