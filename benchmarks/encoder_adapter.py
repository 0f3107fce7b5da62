"""Whether the bundled MiniLM, adapted to questions and the sentences that answer them, picks better sentences:
low-rank adapters (LoRA) in its attention layers, trained listwise on one fold of the TUNE half and judged on the
other (folds by SQuAD article, as every probe in benchmarks/scorer_probes.py), writing nothing unless --write.
The two-fold columns compare the plain bundled model with the adapter trained here, whatever kb's default is.

    .venv/bin/python benchmarks/encoder_adapter.py --epochs 1    # two-fold, about 25 minutes on 2 cores
    .venv/bin/python benchmarks/encoder_adapter.py --epochs 2 --targets query,key,value   # about 45 minutes

    # the adapter kb ships (kb/adapters/, folded in by kb.model_adapter): every tune question and 792 tune
    # negatives (the margin term below), ~45 minutes
    .venv/bin/python benchmarks/encoder_adapter.py --epochs 2 --targets query,key,value --negative-weight 0.5 \
        --write kb/adapters/minilm_questions.safetensors
    # then refit the scorers on its vectors (train_scorer.py writes kb/answer/weights and kb/retrieval/weights and
    # prints the threshold for kb/config.py) and re-run the tables (benchmarks/README.md)
    .venv/bin/python benchmarks/train_scorer.py && .venv/bin/python benchmarks/answer_quality.py

Each question's candidates are the stored sentences of its top ten passages, as kb answers. The adapter is
trained on (question, sentences holding a gold answer) against the question's other candidates: a softmax over
the candidates' cosines, scale 20, the positives' share maximized (sentence-transformers' ranking loss with the
question's own candidates as hard negatives). With --negative-weight, a margin term too: the closest positive's
cosine is pushed above a learned margin, and the closest candidate of a question asked of an index that cannot
answer it (train_scorer.collect's negatives: same-domain, near misses, the other corpus, seed unanswerable, and the
seeds without their gold sources) below it, so a near miss's best cosine, which abstention reads, drops below an
answer's. Printed per fold and kind of question:

- cosine top-1: the candidate closest to the question, with the bundled model's vectors and the adapted ones
  (both from torch: the index's own come from the int8 ONNX export);
- sentence model top-1: the listwise sentence model refit on the training fold with every cosine feature
  recomputed from the adapted vectors (the sentence's, its neighbours', the gap to the best), against the same
  refit on the bundled vectors. The passage features keep the bundled retrieval.

Why an adapter in the encoder rather than over its vectors: the bilinear adapter over the stored vectors
(`scorer_probes.py adapter`) cannot change which words of a sentence the model attends to; attention can, and a
rank-r update of the attention projections stays a file of r x 384 x 2 numbers a layer and a projection.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import train_scorer as ts  # noqa: E402
from kb.config import BUNDLED_MODEL  # noqa: E402
from kb.answer.features import build_candidates  # noqa: E402
from kb.evaluation import select, squad_corpus  # noqa: E402

SCALE = 20.0
#: Candidates a negative group is trained on (its top passages' sentences, in kb's order).
NEGATIVE_CANDIDATES = 8
MARGIN_LR = 1e-2
#: The kinds of train_scorer.collect() asked of an index that cannot answer them.
NEGATIVE_KINDS = ("same-domain", "near-miss", "seeds-on-squad", "squad-on-seeds", "seed-unanswerable",
                  "seed-near-miss")


def lora(model, rank: int, targets: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Wrap the named Linear layers of every attention block with a trainable low-rank update (B starts at 0, so
    the adapted model starts as the bundled one); everything else is frozen. Returns the new parameters."""
    import torch

    class LoRALinear(torch.nn.Module):
        def __init__(self, base: torch.nn.Linear) -> None:
            super().__init__()
            self.base = base
            self.a = torch.nn.Parameter(torch.randn(rank, base.in_features) / base.in_features ** 0.5)
            self.b = torch.nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.base(x) + (x @ self.a.T) @ self.b.T

    for p in model.parameters():
        p.requires_grad_(False)
    params = []
    for module in list(model.modules()):
        for target in targets:
            child = getattr(module, target, None)
            if isinstance(child, torch.nn.Linear):
                wrapped = LoRALinear(child)
                setattr(module, target, wrapped)
                params += [wrapped.a, wrapped.b]
    return params


def save_factors(model, path: Path, metadata: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Write every low-rank update as ``<layer path>.lora_a`` / ``.lora_b`` (safetensors, no pickle), the format
    kb.model_adapter folds into the bundled model."""
    from safetensors.torch import save_file

    tensors = {}
    for name, module in model.named_modules():
        if hasattr(module, "base") and hasattr(module, "a"):
            tensors[f"{name}.lora_a"] = module.a.detach().contiguous()
            tensors[f"{name}.lora_b"] = module.b.detach().contiguous()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=metadata)


def encoder(rank: int, targets: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from sentence_transformers import SentenceTransformer

    from kb.embedding import resolve_model_path

    model = SentenceTransformer(resolve_model_path(BUNDLED_MODEL), device="cpu")  # the adapter's base: plain
    params = lora(model[0].auto_model, rank, targets) if rank else []
    return model, params


def embed(model, texts: list[str], grad: bool = False):  # type: ignore[no-untyped-def]
    import torch

    features = model.tokenize(texts)
    if grad:
        out = model(features)["sentence_embedding"]
    else:
        with torch.inference_mode():
            out = model(features)["sentence_embedding"]
    return torch.nn.functional.normalize(out, dim=-1)


def train(model, params, groups: list, epochs: int, lr: float, batch: int,  # type: ignore[no-untyped-def]
          negatives: list | None = None, weight: float = 0.0) -> None:
    """The listwise loss over each answerable group's candidates; with ``negatives`` (groups asked of an index
    that cannot answer them) and ``weight`` > 0, also a logistic term on the closest candidate's cosine (a smooth
    maximum): above a learned margin for the positives of an answerable group, below it for every candidate of a
    negative group. The listwise loss only orders a question's own candidates; the margin term is what can make the
    best cosine of a near miss lower than that of an answer, the signal abstention reads."""
    import torch

    if not params or not epochs:
        return
    margin = torch.nn.Parameter(torch.tensor(0.5))
    # The margin is one number on the cosine scale: its own, larger step, so it can travel the 0.1-0.3 it may
    # need within one epoch while the factors move at ``lr``.
    param_groups = [{"params": params}] + ([{"params": [margin], "lr": MARGIN_LR}] if weight else [])
    optimizer = torch.optim.AdamW(param_groups, lr=lr, weight_decay=0.0)
    model.train()
    usable = [g for g in groups if g["labels"].any() and not g["labels"].all()]
    usable += [dict(g, negative=True) for g in (negatives or []) if weight and not g["labels"].any()]
    for epoch in range(epochs):
        order = np.random.default_rng(epoch).permutation(len(usable))
        for b in range(0, len(order), batch):
            loss = torch.zeros(())
            for i in order[b:b + batch]:
                g = usable[i]
                negative = g.get("negative", False)
                # A negative group's smooth maximum is set by its closest few candidates, which come first.
                size = NEGATIVE_CANDIDATES if negative else 16
                texts = g["texts"][:size]
                labels = torch.from_numpy(g["labels"][:size].astype(bool))
                if not negative and not labels.any():
                    continue
                v = embed(model, [g["question"]] + texts, grad=True)
                logits = SCALE * (v[1:] @ v[0])
                if negative:
                    loss = loss + weight * torch.nn.functional.softplus(torch.logsumexp(logits, 0) - SCALE * margin)
                    continue
                loss = loss + torch.logsumexp(logits, 0) - torch.logsumexp(logits[labels], 0)
                if weight:
                    best = torch.logsumexp(logits[labels], 0)
                    loss = loss + weight * torch.nn.functional.softplus(SCALE * margin - best)
            optimizer.zero_grad()
            (loss / batch).backward()
            optimizer.step()
    if weight:
        print(f"learned margin: {margin.item():.3f}", flush=True)
    model.eval()


def adapted(rows: list[ts.Asked], model) -> list[ts.Asked]:  # type: ignore[no-untyped-def]
    """Copies of the questions' retrievals whose question and sentence vectors come from ``model`` (each distinct
    text encoded once: the same sentences come back question after question)."""
    texts = sorted({t for a in rows for t in [a.question.question] + [s.text for p in a.retrieval.passages
                                                                        for s, _ in (p.sentences or [])]})
    cache = {}
    for b in range(0, len(texts), 64):
        chunk = texts[b:b + 64]
        cache.update(zip(chunk, embed(model, chunk).numpy().astype(np.float32)))
    return [with_vectors(a, cache) for a in rows]


def with_vectors(a: ts.Asked, cache: dict) -> ts.Asked:
    r = a.retrieval
    passages = [replace(p, sentences=[(s, cache[s.text]) for s, _ in p.sentences or []]) for p in r.passages]
    query = replace(r.query, vector=cache[a.question.question])
    b = ts.Asked(a.kind, a.question, ts.Retrieved(query, passages, r.words), np.zeros((0, 0)), np.zeros(0),
                 a.answerable)
    ts.features_of(b)
    return b


def group_of(a: ts.Asked) -> dict:
    """A training group: the question, its candidates' texts and their labels (a.labels, same order)."""
    r = a.retrieval
    candidates, _ = build_candidates(r.query, r.passages, r.sentences, r.document_words)
    return {"question": a.question.question, "texts": [c.sentence.text for c in candidates], "labels": a.labels > 0}


def sampled_negatives(collected: list[ts.Asked], share: float) -> list[ts.Asked]:
    """The negatives of ``collected`` with no candidate holding an answer: every seed-domain one, and SQuAD ones
    sampled (fixed seed) up to ``share`` of the answerable SQuAD questions, so training time stays near the
    positives-only run's."""
    negative = [a for a in collected if a.kind in NEGATIVE_KINDS and not a.labels.any()]
    seed = [a for a in negative if not ts.article_of(a)]
    squad = [a for a in negative if ts.article_of(a)]
    budget = int(share * sum(a.kind == "tune-on-all" for a in collected))
    keep = np.random.default_rng(0).permutation(len(squad))[:budget]
    return seed + [squad[i] for i in sorted(keep)]


def seed_near_misses(work: Path) -> list[ts.Asked]:
    """The seed questions training may read asked of the seeds without their gold sources (the same story, other
    documents), the near misses answer_quality.py reports, built by its own helper."""
    from answer_quality import without_their_sources

    questions = [q for q in ts.seed_answerable_tune() if not q.history]
    return [a for kb, group in without_their_sources(questions, work)
            for a in ts.ask_all(kb, group, "seed-near-miss", False)]


def cosine_top1(rows: list[ts.Asked]) -> float:
    from kb.answer.features import SENTENCE_FEATURES

    column = SENTENCE_FEATURES.index("cosine")
    return float(np.mean([a.labels[int(np.argmax(a.matrix[:, column]))] > 0 for a in rows])) if rows else 0.0


def model_top1(model, test_rows: list[ts.Asked]) -> float:  # type: ignore[no-untyped-def]
    return float(np.mean([a.labels[int(np.argmax(model.logits(a.matrix)))] > 0 for a in test_rows]))


def main() -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--targets", default="query,value")
    parser.add_argument("--limit", type=int, default=0, help="only this many tune questions (a quick look)")
    parser.add_argument("--folds", default="AB", help="which held-out folds to report (A, B or AB)")
    parser.add_argument("--write", type=Path, default=None,
                        help="train on every tune question instead and save the adapter's factors to this "
                             ".safetensors file (kb/adapters/ holds the shipped one)")
    parser.add_argument("--negative-weight", type=float, default=0.0,
                        help="the margin term's weight, on answerable questions and negatives of every kind "
                             "(default 0: off; the shipped adapter: 0.5)")
    parser.add_argument("--negative-share", type=float, default=0.5,
                        help="SQuAD negatives sampled, as a share of the answerable questions (the seed domain's are "
                             "all kept)")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    # The candidates come from indexes of the plain model, whatever kb's default is, ranked by the committed
    # passage model (the shipped adapter's: commit 06df3c9's; docs/quality.md).
    os.environ["KB_MODEL"] = BUNDLED_MODEL
    targets = tuple(args.targets.split(","))
    negatives: list[ts.Asked] = []
    with tempfile.TemporaryDirectory(prefix="kb-adapter-") as tmp:
        work = Path(tmp)
        if args.negative_weight:
            collected = ts.collect(work / "collect", refit_passage=False) + seed_near_misses(work / "left")
            negatives = sampled_negatives(collected, args.negative_share)
            counts = ", ".join(f"{k} {sum(a.kind == k for a in negatives)}" for k in NEGATIVE_KINDS)
            print(f"negatives: {len(negatives)} ({counts})", flush=True)
        corpus = squad_corpus(ts.SQUAD, work / "squad")
        tune = select(corpus.questions, "tune")
        tune = tune[:args.limit] if args.limit else tune
        full = ts.index_of(corpus.folder, work, "all")
        data = ts.ask_all(full, tune, "tune-on-all", True)
        seeds = ts.index_of(ts.SEEDS, work, "seeds")
        seed_questions = [q for q in ts.seed_answerable_tune() if not q.history]
        data += ts.ask_all(seeds, seed_questions, "seed-answerable", True)
    data = [a for a in data if a.labels.any()]
    if args.write:
        model, params = encoder(args.rank, targets)
        train(model, params, [group_of(a) for a in data], args.epochs, args.lr, args.batch,
              [group_of(a) for a in negatives], args.negative_weight)
        save_factors(model[0].auto_model, args.write, {"rank": str(args.rank), "targets": args.targets,
                                                       "epochs": str(args.epochs), "lr": f"{args.lr:g}",
                                                       "questions": str(len(data)),
                                                       "negative_weight": f"{args.negative_weight:g}",
                                                       "negatives": str(len(negatives))})
        print(f"wrote {args.write} (trained on {len(data)} tune questions)")
        return 0
    fold = ts.article_folds([ts.article_of(a) for a in data])
    negative_fold = ts.article_folds([ts.article_of(a) for a in negatives])
    print(f"\nrank {args.rank} on {targets}, {args.epochs} epochs, lr {args.lr:g}, batch {args.batch}\n")
    print("| fold | kind | questions | cosine top-1, bundled | cosine top-1, adapted | sentence model top-1, bundled "
          "| sentence model top-1, adapted |\n|---|---|---|---|---|---|---|")
    # The index's vectors come from the int8 ONNX export (kb.embedding, backend "auto" on a CPU); the adapter is
    # trained in torch, so both columns are re-encoded in torch (fp32) and differ only by the adapter.
    bundled, _ = encoder(0, targets)
    data = adapted(data, bundled)
    for held in ("AB".index(f) for f in args.folds):
        train_rows = [a for a, f in zip(data, fold) if f != held]
        test_rows = [a for a, f in zip(data, fold) if f == held]
        model, params = encoder(args.rank, targets)
        started = time.perf_counter()
        train(model, params, [group_of(a) for a in train_rows], args.epochs, args.lr, args.batch,
              [group_of(a) for a, f in zip(negatives, negative_fold) if f != held], args.negative_weight)
        trained = time.perf_counter() - started
        adapted_test = adapted(test_rows, model)
        # Each sentence model fit once a fold, on the training fold's bundled or adapted features.
        plain, tuned = ts.fit_sentence(train_rows, 1.0), ts.fit_sentence(adapted(train_rows, model), 1.0)
        for kind in ts.ANSWERABLE_KINDS:
            base = [a for a in test_rows if a.kind == kind]
            new = [a for a in adapted_test if a.kind == kind]
            print(f"| {'AB'[held]} ({trained:.0f} s) | {kind} | {len(base)} | {cosine_top1(base):.3f} | "
                  f"{cosine_top1(new):.3f} | {model_top1(plain, base):.3f} | {model_top1(tuned, new):.3f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
