"""Lexical retrieval: BM25 over chunk text (SQLite FTS5, or Milvus' BM25 function), robust to misspelled names.

Question terms are OR-ed (BM25 rewards chunks that match more of them). A term the index has never seen,
such as "Osekin", is expanded with the closest indexed terms ("osechkin", "osekkin"), so a misspelled
name still finds the passages about that person.

FTS5 scores every chunk that matches any OR-ed term, so a query costs the summed length of its terms' posting
lists: one word found in most chunks costs more than all the rare ones together while adding almost nothing to
BM25 (its idf, log((N - n + 0.5) / (n + 0.5)), is ~0 at half the chunks). So, in a corpus of at least
``min_chunks`` chunks, terms found in more than ``common_share`` of them are left out of the MATCH when a rarer
term remains, and at most ``max_match_terms`` of the rarest terms are OR-ed. Document frequencies come from the
fts5vocab table (one ``term = ?`` lookup per new word, cached for the snapshot's lifetime), not from MATCH
queries. Every content term still counts in sentence-level term overlap (``query_terms`` keeps them all).
"""

from __future__ import annotations

import difflib
import threading
from typing import Iterable, Mapping, Protocol

from kb.store.database import fts_terms
from kb.text import content_terms


#: A pasted paragraph is not a better query than its first 32 meaningful words, and is much slower.
MAX_QUERY_TERMS = 32
#: At most this many question terms (the rarest) go into the FTS5 MATCH.
MAX_MATCH_TERMS = 12
#: A term in more than this share of the chunks is left out of the MATCH when a rarer one remains (idf < 1.4).
COMMON_SHARE = 0.2
#: Below this many chunks every query is cheap: no term is left out for being common.
MIN_CHUNKS_FOR_PRUNING = 1000
_CACHE_LIMIT = 200_000


class TermIndex(Protocol):
    """What the lexical side reads: a ``Store`` (kb.store.base) or a bare ``IndexDatabase``."""

    def count_chunks(self) -> int: ...

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]: ...

    def vocabulary(self, initial: str | None = None) -> dict[str, int]: ...

    def lexical_search(self, terms: list[str], limit: int) -> list[tuple[int, float]]: ...


class LexicalRetriever:
    def __init__(self, database: TermIndex, fuzzy_cutoff: float = 0.8, *, max_match_terms: int = MAX_MATCH_TERMS,
                 common_share: float = COMMON_SHARE, min_chunks: int = MIN_CHUNKS_FOR_PRUNING) -> None:
        self.database = database
        self.fuzzy_cutoff = fuzzy_cutoff
        self.max_match_terms = max_match_terms
        self.common_share = common_share
        self.min_chunks = min_chunks
        self._by_initial: dict[str, list[str]] = {}  # initial letter -> indexed alphabetic terms of >= 4 letters
        self._df: dict[str, int] = {}  # indexed (stemmed) term -> chunks containing it
        self._chunks: int | None = None
        self._lock = threading.Lock()

    # -- vocabulary lookups, cached per snapshot (a retriever lives as long as its snapshot) ----------------
    def chunk_count(self) -> int:
        if self._chunks is None:
            self._chunks = self.database.count_chunks()
        return self._chunks

    def document_frequency(self, word: str) -> int:
        """Chunks that contain ``word`` (all its FTS5 tokens, as a phrase needs; an upper bound for phrases)."""
        tokens = fts_terms(word)
        if not tokens:
            return 0
        with self._lock:
            missing = [t for t in tokens if t not in self._df]
        if missing:
            found = self.database.document_frequencies(missing)
            with self._lock:
                if len(self._df) > _CACHE_LIMIT:
                    self._df.clear()
                self._df.update(found)
        with self._lock:
            return min(self._df.get(t, 0) for t in tokens)

    def _candidates(self, initial: str) -> list[str]:
        with self._lock:
            cached = self._by_initial.get(initial)
        if cached is None:
            cached = [t for t in self.database.vocabulary(initial) if len(t) >= 4 and t.isalpha()]
            with self._lock:
                self._by_initial[initial] = cached
        return cached

    # -- query building -----------------------------------------------------------------------------
    def expand(self, term: str) -> list[str]:
        """Indexed terms close to an unknown one; same initial letter, as misspellings of names usually keep it."""
        if len(term) < 4 or not term.isalpha() or self.document_frequency(term) > 0:
            return []
        candidates = [t for t in self._candidates(term[0]) if abs(len(t) - len(term)) <= 3]
        return difflib.get_close_matches(term, candidates, n=3, cutoff=self.fuzzy_cutoff)

    def query_terms(self, question: str) -> dict[str, list[str]]:
        """Each content term of the question with its spellings to look for: itself plus close indexed terms."""
        return {term: [term, *self.expand(term)] for term in content_terms(question)[:MAX_QUERY_TERMS]}

    def match_terms(self, terms: dict[str, list[str]]) -> dict[str, list[str]]:
        """The terms worth sending to FTS5: found in the index, not too common, at most ``max_match_terms``.

        A term's frequency is that of its spellings together (a chunk matching any of them is scored).
        """
        frequency = {
            term: sum(self.document_frequency(alias) for alias in dict.fromkeys(aliases)) for term, aliases in terms.items()
        }
        kept = [term for term in terms if frequency[term] > 0]
        total = self.chunk_count()
        if total >= self.min_chunks:
            rare = [term for term in kept if frequency[term] <= self.common_share * total]
            kept = rare or kept
        if len(kept) > self.max_match_terms:
            rarest = set(sorted(kept, key=lambda t: frequency[t])[: self.max_match_terms])
            kept = [term for term in kept if term in rarest]
        return {term: terms[term] for term in kept}

    def alternatives(self, terms: dict[str, list[str]],
                     places: Mapping[str, frozenset[str]] | None = None) -> list[str]:
        """The spellings to OR in the store's BM25 search, each once. The other names a question's place stands for
        (``places``, QueryContext.places) count for it in the term shares and the names check, but are no spelling
        to search for: OR-ing "japan" into a question about Tokyo put the gold passage lower for 2 of the 34 seed
        tune paraphrases (docs/quality.md, "A capital for its country"); the dense side has it."""
        places = places or {}
        return list(dict.fromkeys(alias for term, aliases in self.match_terms(terms).items() for alias in aliases
                                  if alias not in places.get(term, ())))

    def match_query(self, terms: dict[str, list[str]]) -> str | None:
        alternatives = self.alternatives(terms)
        if not alternatives:
            return None
        return " OR ".join(_quote(t) for t in alternatives)

    def run(self, question: str, limit: int, terms: dict[str, list[str]] | None = None,
            places: Mapping[str, frozenset[str]] | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score, higher is better) best first."""
        alternatives = self.alternatives(terms if terms is not None else self.query_terms(question), places)
        if not alternatives:
            return []
        return self.database.lexical_search(alternatives, limit)


def _quote(term: str) -> str:
    """An FTS5 string literal: user text can never be parsed as query syntax."""
    return '"' + term.replace('"', '""') + '"'
