"""Lexical retrieval: SQLite FTS5 BM25 over chunk text, robust to misspelled names.

Question terms are OR-ed (BM25 rewards chunks that match more of them). A term the index has never seen,
such as "Osekin", is expanded with the closest indexed terms ("osechkin", "osekkin"), so a misspelled
name still finds the passages about that person.
"""

from __future__ import annotations

import difflib
import threading
from collections import defaultdict

from kb.store import IndexDatabase
from kb.text import content_terms


#: A pasted paragraph is not a better query than its first 32 meaningful words, and is much slower.
MAX_QUERY_TERMS = 32


class LexicalRetriever:
    def __init__(self, database: IndexDatabase, fuzzy_cutoff: float = 0.8) -> None:
        self.database = database
        self.fuzzy_cutoff = fuzzy_cutoff
        self._by_initial: dict[str, list[str]] | None = None
        self._lock = threading.Lock()

    def _vocabulary(self) -> dict[str, list[str]]:
        with self._lock:
            if self._by_initial is None:
                groups: dict[str, list[str]] = defaultdict(list)
                for term in self.database.vocabulary():
                    if len(term) >= 4 and term.isalpha():
                        groups[term[0]].append(term)
                self._by_initial = dict(groups)
            return self._by_initial

    def _known(self, term: str) -> bool:
        return bool(self.database.lexical_search(_quote(term), 1))

    def expand(self, term: str) -> list[str]:
        """Indexed terms close to an unknown one; same initial letter, as misspellings of names usually keep it."""
        if len(term) < 4 or not term.isalpha() or self._known(term):
            return []
        candidates = [t for t in self._vocabulary().get(term[0], []) if abs(len(t) - len(term)) <= 3]
        return difflib.get_close_matches(term, candidates, n=3, cutoff=self.fuzzy_cutoff)

    def query_terms(self, question: str) -> dict[str, list[str]]:
        """Each content term of the question with its spellings to look for: itself plus close indexed terms."""
        return {term: [term, *self.expand(term)] for term in content_terms(question)[:MAX_QUERY_TERMS]}

    def match_query(self, terms: dict[str, list[str]]) -> str | None:
        alternatives = [alias for aliases in terms.values() for alias in aliases]
        if not alternatives:
            return None
        return " OR ".join(_quote(t) for t in dict.fromkeys(alternatives))

    def run(self, question: str, limit: int, terms: dict[str, list[str]] | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score, higher is better) best first."""
        match = self.match_query(terms if terms is not None else self.query_terms(question))
        if match is None:
            return []
        return self.database.lexical_search(match, limit)


def _quote(term: str) -> str:
    """An FTS5 string literal: user text can never be parsed as query syntax."""
    return '"' + term.replace('"', '""') + '"'
