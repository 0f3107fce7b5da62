"""Would token-level alignment (ColBERT-style MaxSim over MiniLM's token vectors) pick better answer sentences?

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/token_alignment.py   # ~2 minutes on 2 cores

kb's sentence model reads pooled vectors (one per sentence) and term shares. A paraphrase ("Who did X show the
letter to?" against "...analyzed by two FSB employees") may align word by word where the pooled vectors do not.
The feature: for each content word-piece of the question, its best cosine to any word-piece of the candidate
sentence (MiniLM's contextual token vectors), averaged; and its gap to the best candidate's.

Data: the SQuAD sample's TUNE half only (as benchmarks/train_scorer.py), each question asked of an index of all
twelve articles, its candidates from kb's own build_candidates. Two-fold by article: the listwise sentence model
is fit on one fold's articles with and without the feature and scored on the other's (share of questions whose
top candidate holds a gold answer). The last table is the cost: the token pass must run at question time on every
candidate (token vectors are ~30x a sentence vector, too large to store).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import train_scorer as ts  # noqa: E402
from kb.answer.features import SENTENCE_FEATURES, build_candidates  # noqa: E402
from kb.embedding import BUNDLED_MODEL, resolve_model_path  # noqa: E402
from kb.evaluation import select, squad_corpus  # noqa: E402
from kb.linear_model import fit_logistic  # noqa: E402
from kb.text import STOPWORDS  # noqa: E402


class TokenVectors:
    """MiniLM's contextual word-piece vectors (special tokens dropped), unit length, cached per text."""

    def __init__(self) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.torch = torch
        self.model = SentenceTransformer(resolve_model_path(BUNDLED_MODEL), device="cpu", local_files_only=True)
        self.cache: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.seconds = 0.0
        self.encoded = 0

    def __call__(self, texts: list[str]) -> list[tuple[np.ndarray, list[str]]]:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        tok = self.model.tokenizer
        start = time.perf_counter()
        for i in range(0, len(todo), 64):
            batch = todo[i:i + 64]
            feats = tok(batch, padding=True, truncation=True, max_length=128, return_tensors="pt",
                        return_special_tokens_mask=True)
            special = feats.pop("special_tokens_mask")
            with self.torch.no_grad():
                out = self.model[0].auto_model(**feats).last_hidden_state
            out = self.torch.nn.functional.normalize(out, dim=-1)
            for j, text in enumerate(batch):
                keep = (feats["attention_mask"][j] == 1) & (special[j] == 0)
                self.cache[text] = (out[j][keep].numpy(), tok.convert_ids_to_tokens(feats["input_ids"][j][keep].tolist()))
        self.seconds += time.perf_counter() - start
        self.encoded += len(todo)
        return [self.cache[t] for t in texts]


def maxsim(question: tuple[np.ndarray, list[str]], sentences: list[tuple[np.ndarray, list[str]]]) -> np.ndarray:
    vectors, pieces = question
    content = np.array([p not in STOPWORDS and any(ch.isalnum() for ch in p) for p in pieces])
    if content.any():
        vectors = vectors[content]
    return np.array([(vectors @ s.T).max(axis=1).mean() if len(s) else 0.0 for s, _ in sentences])


def two_fold(rows: list[tuple[np.ndarray, np.ndarray, str]], columns: list[int], names: list[str]) -> list[float]:
    fold = ts.article_folds([a for _, _, a in rows])
    scores = []
    for held in (0, 1):
        train = [(x, y) for (x, y, _), f in zip(rows, fold) if f != held and y.any()]
        test = [(x, y) for (x, y, _), f in zip(rows, fold) if f == held and y.any()]
        model = fit_logistic(np.vstack([x[:, columns] for x, _ in train]), np.concatenate([y for _, y in train]),
                             [names[c] for c in columns], l2=1.0,
                             groups=np.concatenate([np.full(len(y), i) for i, (_, y) in enumerate(train)]))
        scores.append(float(np.mean([y[np.argmax(model.logits(x[:, columns]))] for x, y in test])))
    return scores


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kb-align-") as tmp:
        work = Path(tmp)
        corpus = squad_corpus(ts.SQUAD, work / "squad")
        kb = ts.KnowledgeBase(corpus.folder, work / "index")
        kb.build()
        asked = ts.ask_all(kb, select(corpus.questions, "tune"), "tune-on-all", True)
        tokens = TokenVectors()
        rows = []
        candidates = 0
        for a in asked:
            r = a.retrieval
            cands, matrix = build_candidates(r.query, r.passages, r.sentences, r.document_words)
            (question,) = tokens([a.question.question])
            aligned = maxsim(question, tokens([c.sentence.text for c in cands]))
            candidates += len(cands)
            rows.append((np.column_stack([matrix, aligned, aligned - aligned.max()]), a.labels, ts.article_of(a)))
    names = list(SENTENCE_FEATURES) + ["maxsim", "maxsim_gap"]
    base = list(range(len(SENTENCE_FEATURES)))
    print(f"\n{len(rows)} tune questions, {candidates / len(rows):.1f} candidates each\n")
    print("| sentence model | top-1 fold A | top-1 fold B |\n|---|---|---|")
    for label, columns in (("kb's features", base), ("+ maxsim", base + [20]), ("+ maxsim, maxsim gap", base + [20, 21])):
        a, b = two_fold(rows, columns, names)
        print(f"| {label} | {a:.3f} | {b:.3f} |")
    per_text = 1000 * tokens.seconds / max(tokens.encoded, 1)
    print(f"\n| token pass | ms per text (batched, this CPU) | ms per question at {candidates / len(rows):.0f} "
          f"candidates |\n|---|---|---|\n| MiniLM, max 128 pieces | {per_text:.2f} | "
          f"{per_text * candidates / len(rows):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
