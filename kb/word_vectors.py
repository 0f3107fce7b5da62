"""Static word vectors: the sentence model's own input embedding table, for a soft match of single words.

A question's word that a sentence does not contain may still be there in other words ("split" / "divided",
"headquartered" / "based", "verify" / "confirm"). Exact and stemmed term overlap gives such a word nothing, and the
sentence cosine blurs it into everything else the sentence says. The first layer of the sentence model (a word's
word pieces, averaged) already tells related words apart from unrelated ones (cosine 0.2-0.5 against about 0), at
no cost: the table ships with the model, so nothing more is downloaded or stored, and a lookup is a dot product.
Weak alone; the sentence model learns what it is worth (kb/answer/features.py, ``soft_overlap``).

A model given by a hub name rather than a local folder, or one whose files hold no such table, has none: the
measurement is then 0 for every sentence, as if no word matched softly.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.config import BUNDLED_MODEL, QUESTION_MODEL
from kb.embedding import resolve_model_path
from kb.text import one_edit

log = logging.getLogger(__name__)


class WordVectors:
    """Unit vectors of single words (the mean of their word pieces' input embeddings)."""

    def __init__(self, table: np.ndarray, tokenizer: object) -> None:
        norms = np.linalg.norm(table, axis=1, keepdims=True)
        self._norms = norms
        self._unit = table / np.where(norms > 0, norms, 1.0)  # a one-piece word's vector is its row, as is
        self._tokenizer = tokenizer
        # A word that is one word piece needs no tokenizer call (a dict lookup instead of ~10 us): most words are.
        self._pieces: dict[str, int] = tokenizer.get_vocab()  # type: ignore[attr-defined]
        self._cache: dict[str, np.ndarray] = {}
        self._by_spelling: dict[tuple[str, int], list[str]] = {}  # words_one_edit_from's: first letter, length
        self.dimension = int(table.shape[1])

    def vector(self, word: str) -> np.ndarray:
        found = self._cache.get(word)
        if found is None:
            piece = self._pieces.get(word)
            if piece is not None:
                found = self._unit[piece]
            else:
                ids = self._tokenizer.encode(word, add_special_tokens=False).ids  # type: ignore[attr-defined]
                v = (self._unit[ids] * self._norms[ids]).mean(axis=0) if ids else np.zeros(self.dimension)
                found = (v / (np.linalg.norm(v) or 1.0)).astype(np.float32)
            if len(self._cache) < 500_000:  # a corpus's vocabulary; bounded so a hostile input cannot grow it forever
                self._cache[word] = found
        return found

    def knows(self, word: str) -> bool:
        """Is the word one of the model's word pieces as a whole? Such a word is spelled as the model learned it."""
        return word in self._pieces

    def commonness(self, word: str) -> int:
        """Higher for a more common word: a WordPiece vocabulary lists its whole words about in order of frequency."""
        return -self._pieces.get(word, len(self._pieces))

    def words_one_edit_from(self, word: str) -> list[str]:
        """The model's whole words one typing slip from ``word`` (kb.text.one_edit, a swap of neighbours included),
        with its first letter: what a misspelled word was probably meant as."""
        if not self._by_spelling:  # built whole, then published: a server's other threads never see half of it
            by_spelling: dict[tuple[str, int], list[str]] = {}
            for piece in self._pieces:
                if len(piece) >= 3 and piece.isalpha():
                    by_spelling.setdefault((piece[0], len(piece)), []).append(piece)
            self._by_spelling = by_spelling
        return [w for n in (len(word) - 1, len(word), len(word) + 1)
                for w in self._by_spelling.get((word[:1], n), ()) if one_edit(word, w, transposed=True)]

    def matrix(self, words: tuple[str, ...]) -> np.ndarray:
        """One row per word."""
        if not words:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.vector(w) for w in words])


@lru_cache(maxsize=4)
def word_vectors_for(model: str) -> WordVectors | None:
    """The model's word vectors, loaded once per process; None where the model has no local input table."""
    try:
        # The question adapter changes attention only, never the input table: read the bundled files directly.
        folder = Path(resolve_model_path(BUNDLED_MODEL if model == QUESTION_MODEL else model))
        weights = sorted(folder.glob("*.safetensors"))
        if not folder.is_dir() or not weights or not (folder / "tokenizer.json").is_file():
            return None
        from safetensors import safe_open
        from tokenizers import Tokenizer

        # safe_open reads the one tensor asked for (memory-mapped), not the whole network.
        with safe_open(str(weights[0]), framework="numpy") as f:
            key = next((k for k in f.keys() if k.endswith("word_embeddings.weight")), None)
            if key is None:
                return None
            table = np.asarray(f.get_tensor(key), dtype=np.float32)
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.no_padding()  # the model's file pads every input to its full length: a word is its own pieces
        tokenizer.no_truncation()
        return WordVectors(table, tokenizer)
    except Exception as exc:  # a broken or foreign model folder costs the feature, never the answer
        log.debug("no word vectors for %s: %s", model, exc)
        return None
