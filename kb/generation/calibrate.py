"""Calibrate the citation-support thresholds of kb.generation.verify; prints a table for docs/integrations.md.

    python -m kb.generation.calibrate [--squad ../shared/eval/squad-dev-sample.json] [--n 600]

Why SQuAD: each question was written by a person paraphrasing one paragraph, and the answer span is known.
A model's cited sentence is imitated by the statement "<question without ?> <answer>." (the question's
wording, not the paragraph's, plus the fact). It is *supported* by its own paragraph and *not supported*
by the most similar other paragraph of the same article that lacks the answer: the hard case, a model
citing a related but wrong passage. The chosen threshold maximises balanced accuracy.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from kb.generation.verify import COSINE_WEIGHT, PassageEvidence
from kb.types import Passage

DEFAULT_SQUAD = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "squad-dev-sample.json"


def statement(question: str, answer: str) -> str:
    return f"{question.strip().rstrip('?').strip()} {answer.strip().rstrip('.')}."


def pairs(squad: Path, n: int, seed: int, embedder) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Support scores (combined and lexical-only) of positive and hard-negative (claim, passage) pairs."""
    data = json.loads(squad.read_text(encoding="utf-8"))["data"]
    items = [(a, p, q) for a, art in enumerate(data) for p, par in enumerate(art["paragraphs"]) for q in par["qas"]]
    random.Random(seed).shuffle(items)
    items = items[:n]
    pos, neg, pos_lex, neg_lex = [], [], [], []
    by_article: dict[int, list[tuple[int, dict]]] = {}
    for a, p, q in items:
        by_article.setdefault(a, []).append((p, q))
    for a, questions in by_article.items():
        paragraphs = [par["context"] for par in data[a]["paragraphs"]]
        passages = [Passage(i, f"a{a}", data[a]["title"], 0, len(t), t, 0.0) for i, t in enumerate(paragraphs)]
        evidence = PassageEvidence(passages, embedder)
        lexical = PassageEvidence(passages, None)
        claims = [statement(q["question"], q["answers"][0]["text"]) for _, q in questions]
        vectors = embedder.embed(claims)
        for (p, q), claim, vector in zip(questions, claims, vectors):
            answer = q["answers"][0]["text"].lower()
            others = [i for i, t in enumerate(paragraphs) if i != p and answer not in t.lower()]
            if not others:
                continue
            pos.append(evidence.support(claim, p + 1, vector)[0])
            pos_lex.append(lexical.support(claim, p + 1)[0])
            neg.append(max(evidence.support(claim, i + 1, vector)[0] for i in others))
            neg_lex.append(max(lexical.support(claim, i + 1)[0] for i in others))
    return np.array(pos), np.array(neg), np.array(pos_lex), np.array(neg_lex)


def best_threshold(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    grid = np.round(np.arange(0.20, 0.90, 0.01), 2)
    scores = [((pos >= t).mean() + (neg < t).mean()) / 2 for t in grid]
    i = int(np.argmax(scores))
    return float(grid[i]), float(scores[i])


def table(name: str, pos: np.ndarray, neg: np.ndarray, thresholds: list[float]) -> str:
    rows = [f"| {name} threshold | supported kept | unsupported kept | balanced accuracy |", "|---|---|---|---|"]
    for t in thresholds:
        tpr, fpr = (pos >= t).mean(), (neg >= t).mean()
        rows.append(f"| {t:.2f} | {tpr:.1%} | {fpr:.1%} | {(tpr + 1 - fpr) / 2:.1%} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--n", type=int, default=600, help="questions sampled")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from kb.embedding import embedder_for

    from kb.config import Settings

    s = Settings()
    pos, neg, pos_lex, neg_lex = pairs(args.squad, args.n, args.seed, embedder_for(s))
    t, acc = best_threshold(pos, neg)
    tl, accl = best_threshold(pos_lex, neg_lex)
    print(f"{len(pos)} statements, cosine weight {COSINE_WEIGHT}")
    print(f"combined support: best threshold {t:.2f} (balanced accuracy {acc:.1%})")
    print(f"lexical only:     best threshold {tl:.2f} (balanced accuracy {accl:.1%})\n")
    print(table("combined", pos, neg, sorted({0.45, 0.5, 0.55, 0.6, 0.65, t})))
    print()
    print(table("lexical", pos_lex, neg_lex, sorted({0.4, 0.5, 0.6, 0.7, tl})))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
