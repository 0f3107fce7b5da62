"""Learned linear scorers: weights in a small JSON file, read at run time with numpy only.

Why linear: each candidate is scored in microseconds (ask p50 stays ~10 ms), the weights can be read and diffed
in a review, and a logistic output is already a probability that calibration can be checked against. The fit
lives here too, so the training script (benchmarks/train_scorer.py) and the tests use the same code. Shared by retrieval (passage ranking) and answering, so it sits above both.
No pickle: a model is names, means, scales, weights and a bias in JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

#: Committed model files: kb/answer/weights (answer scorers), kb/retrieval/weights (passage ranking).
ANSWER_WEIGHTS = Path(__file__).parent / "answer" / "weights"
RETRIEVAL_WEIGHTS = Path(__file__).parent / "retrieval" / "weights"


@dataclass(frozen=True)
class LinearModel:
    """``sigmoid(bias + sum(weight * (x - mean) / scale))`` over named features."""

    features: tuple[str, ...]
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    meta: dict

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Scores of the rows of ``x`` (columns in ``features`` order)."""
        if x.ndim == 1:
            x = x[None, :]
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(x)))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "weights": [round(float(w), 6) for w in self.weights],
            "bias": round(float(self.bias), 6),
            "mean": [round(float(m), 6) for m in self.mean],
            "scale": [round(float(s), 6) for s in self.scale],
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict) -> "LinearModel":
        n = len(data["features"])
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("weights", "mean", "scale")]
        if any(a.shape != (n,) for a in arrays):
            raise ValueError("model file: weights, mean and scale must have one value per feature")
        weights, mean, scale = arrays
        return cls(tuple(data["features"]), weights, float(data["bias"]), mean, np.where(scale > 0, scale, 1.0),
                   dict(data.get("meta", {})))

    @classmethod
    def constant(cls, features: Sequence[str], bias: float) -> "LinearModel":
        """A model that gives every row the logit ``bias``: where a model's rows are read but not its verdict
        (a large negative bias says no to everything, a large positive one yes)."""
        n = len(features)
        return cls(tuple(features), np.zeros(n), float(bias), np.zeros(n), np.ones(n), {})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=8)
def load_model(name: str, folder: Path = ANSWER_WEIGHTS) -> LinearModel:
    """A committed model by name (``<folder>/<name>.json``), read once per process."""
    return LinearModel.from_json(json.loads((folder / f"{name}.json").read_text(encoding="utf-8")))


def fit_logistic(x: np.ndarray, y: np.ndarray, features: Sequence[str], l2: float = 1.0,
                 groups: np.ndarray | None = None, meta: dict | None = None,
                 weights: np.ndarray | None = None) -> LinearModel:
    """Logistic regression with an L2 penalty, fit by L-BFGS on standardized features.

    With ``groups`` (one id per row) the loss is listwise instead: a softmax over each group's rows, maximizing
    the probability mass on its positive rows. That is the right loss for picking one sentence out of a
    question's candidates (only their order within the question matters); groups without a positive row are
    skipped. The pointwise loss is the right one for a calibrated probability (the abstention model). In both,
    ``weights`` (one per row; listwise, a group takes its first row's) let a small set count as much as a large one.
    """
    from scipy.optimize import minimize  # training only: the product reads weights with numpy

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    z = (x - mean) / scale
    n, d = z.shape

    if groups is None:
        r = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64) * n / np.sum(weights)

        def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = params[:d], params[d]
            t = z @ w + b
            p = 1.0 / (1.0 + np.exp(-t))
            eps = 1e-12
            value = -np.sum(r * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))) / n + 0.5 * l2 * (w @ w) / n
            g = r * (p - y)
            return value, np.concatenate([z.T @ g / n + l2 * w / n, [g.sum() / n]])
    else:
        groups = np.asarray(groups)
        order = np.argsort(groups, kind="stable")
        z, y, groups = z[order], y[order], groups[order]
        row_weight = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)[order]
        bounds = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1], True])
        spans = [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if y[a:b].any()]
        span_weight = np.array([row_weight[a] for a, _ in spans])
        span_weight = span_weight * len(spans) / max(span_weight.sum(), 1e-12)

        def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
            w = params[:d]
            t = z @ w
            value, grad = 0.0, np.zeros(d)
            for (a, b), r in zip(spans, span_weight):
                s = t[a:b] - t[a:b].max()
                e = np.exp(s)
                p = e / e.sum()
                pos = y[a:b] > 0
                mass = p[pos].sum()
                value -= r * np.log(mass + 1e-12)
                # d(-log sum_pos p)/dt = p - p*[pos]/mass
                q = p.copy()
                q[pos] -= p[pos] / max(mass, 1e-12)
                grad += r * (z[a:b].T @ q)
            m = max(len(spans), 1)
            value = value / m + 0.5 * l2 * (w @ w) / m
            return value, np.concatenate([grad / m + l2 * w / m, [0.0]])

    result = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    w, b = result.x[:d], result.x[d]
    return LinearModel(tuple(features), w, float(b), mean, scale, dict(meta or {}))


__all__ = ["ANSWER_WEIGHTS", "LinearModel", "RETRIEVAL_WEIGHTS", "fit_logistic", "load_model"]
