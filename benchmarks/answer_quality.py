"""Every answer-quality table of docs/quality.md and README, from one run on fresh indexes.

    .venv/bin/python benchmarks/answer_quality.py            # about 10 minutes on 2 cores
    .venv/bin/python benchmarks/answer_quality.py --quick    # every 4th SQuAD question, for a look while working

The scorers are fit on the TUNE half of the SQuAD sample (benchmarks/train_scorer.py); the HELD-OUT half is
what this reports as the honest number. Kinds of questions, each asked of the index it belongs to:

- squad tune / squad held-out: SQuAD questions asked of an index of all twelve articles (answerable);
- same-domain: each SQuAD half's questions asked of an index of the other half's articles (must abstain);
- squad on seeds: SQuAD questions asked of the five news seeds (must abstain);
- seeds on squad: the seed and paraphrase questions asked of an index of the SQuAD articles (must abstain);
- seeds without their gold sources: each answerable seed question asked of the seeds that do not state its
  answer (the same story, its names and words, but not the answer; must abstain);
- seed dev / seed paraphrases / seed unanswerable: ../shared/eval/seed_qa.jsonl, tests/data/seed_paraphrases.jsonl
  and tests/data/seed_unanswerable.jsonl (written by reading the articles), asked of the seeds. The scorers are
  fit on the dev set and the even ids of the other two; the odd ids (held-out half) are only reported;
- the second seed set (tests/data/seed_heldout.jsonl: 60 answerable, 30 unanswerable, written later the same way):
  all held out, asked of the seeds, of SQuAD, and of the seeds without their gold sources;
- the third and fourth seed sets (tests/data/seed_tune.jsonl, seed_tune2.jsonl, the same shape, written to be
  tuned on): all tune, asked of the seeds and of the seeds without their gold sources;
- seeds on same-domain news: the answerable seed questions asked of eight news articles of the seeds' domain
  without their story (tests/data/trust_news, and a second corpus written to be tuned on, trust_news2), those whose
  gold answers no article holds (must abstain), tune and held-out questions apart; and the news articles' own
  questions asked of the seeds the same way.

Printed: a quality table, abstention per kind of negative, the risk-coverage table (share answered and the
share of answers that are right, per kind, as the abstention threshold moves), the calibration of the confidence
(how often an answer given at each confidence is right), and latency.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from kb import KnowledgeBase  # noqa: E402
from kb.evaluation import load_questions, select, squad_corpus  # noqa: E402
from kb.evaluation.datasets import EvalQuestion, as_unanswerable, not_stated_in, without_gold_sources  # noqa: E402
from kb.evaluation.metrics import (answer_correct, calibration, citation_gold, grouped_interval,  # noqa: E402
                                   holds_answer)
from kb.evaluation.report import summarize  # noqa: E402
from kb.evaluation.runner import DocumentTexts, asked, check_citations, outcome_from_answer  # noqa: E402
from kb.answer import ABSTAIN_TEXT  # noqa: E402
from kb.config import Settings  # noqa: E402
from train_scorer import TUNE_SEED_SETS, tune_half  # noqa: E402  (the seed sets' halves: even ids tune, odd ids held out)
from kb.types import Answer  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
DATA = ROOT / "tests" / "data"
SEED_FILES = sorted((ROOT / "seeds").glob("*.txt"))  # the five news articles kb ships with
THRESHOLD = Settings().abstain_threshold  # the one kb uses; metrics are reported at it
GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass
class Run:
    kind: str
    questions: list[EvalQuestion]
    answers: list[Answer]
    report: object


def at(answer: Answer, threshold: float) -> Answer:
    """The answer kb gives with this abstention threshold (the runs ask with 0, so every threshold can be read)."""
    if answer.abstained or answer.confidence >= threshold:
        return answer
    return Answer(answer.question, ABSTAIN_TEXT, True, [], answer.passages, answer.ms, answer.confidence)


def run(kb: KnowledgeBase, kind: str, questions: list[EvalQuestion], must_abstain: bool = False) -> Run:
    return run_groups(kind, [(kb, questions)], must_abstain)


def run_groups(kind: str, groups: list[tuple[KnowledgeBase, list[EvalQuestion]]], must_abstain: bool = False) -> Run:
    """One set of questions, each group asked of its own index."""
    questions, answers, outcomes = [], [], []
    for kb, group in groups:
        if must_abstain:
            group = as_unanswerable(group)
        texts = DocumentTexts(kb.document_text)
        kb.ask("warm up")  # model and index loaded outside the timed questions
        for q in group:
            answer = kb.ask(asked(q), k=10)
            questions.append(q)
            answers.append(answer)
            outcomes.append(check_citations(outcome_from_answer(at(answer, THRESHOLD)), texts))
    report = summarize(kind, questions, outcomes, k=10, by_split=False)
    print(f"  {kind}: {len(questions)} questions", flush=True)
    return Run(kind, questions, answers, report)


def without_their_sources(questions: list[EvalQuestion], work: Path) -> list[tuple[KnowledgeBase, list[EvalQuestion]]]:
    """The seed questions, each asked of an index of the seeds that do not state its answer."""
    groups = []
    for n, (files, group) in enumerate(without_gold_sources(questions, SEED_FILES)):
        folder = work / f"seeds-left-{n}"
        folder.mkdir(parents=True)
        for f in files:
            shutil.copy(f, folder / f.name)
        groups.append((build(folder, work / f"index-seeds-left-{n}"), group))
    return groups


def report_paraphrases(para: Run) -> None:
    """Answered with a gold string AND a citation of a gold source (the issue's bar for the paraphrase set)."""

    final = [at(a, THRESHOLD) for a in para.answers]
    gold_and_cited = sum(answer_correct(q, outcome_from_answer(a)) and not a.abstained
                         and citation_gold(q, outcome_from_answer(a)) for q, a in zip(para.questions, final))
    print(f"\n{para.kind}: answered with a gold string AND a citation of a gold source: "
          f"{gold_and_cited}/{len(para.questions)} = {gold_and_cited / len(para.questions):.3f}")
    by_kind: dict[str, list[bool]] = {}
    for q, a in zip(para.questions, final):
        o = outcome_from_answer(a)
        by_kind.setdefault(q.kind or "-", []).append(answer_correct(q, o) and citation_gold(q, o))
    print("by kind: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(by_kind.items())))


def report_by_article(runs: list[Run]) -> None:
    """The SQuAD rows article by article, with 95% intervals from resampling articles (grouped_interval): each half
    is six articles, and a question's difficulty is mostly its article's, so this is how far a row could move on
    six other articles. The same-domain rows are grouped by the article the question was written about."""
    by_kind = {r.kind: r for r in runs}
    # The same-domain runs ask these questions without their gold (as_unanswerable): their article comes from here.
    original = {q.id: q for kind in ("squad tune", "squad held-out") for q in by_kind[kind].questions}
    article = {i: q.spans[0].source for i, q in original.items() if q.spans}

    def hit1(r: Run) -> list[float]:
        return [float(x.rank == 1) for x in r.report.results]

    def abstained(r: Run) -> list[float]:
        return [float(x.abstained) for x in r.report.results]

    rows = {"squad tune": ("hit@1", hit1), "squad held-out": ("hit@1", hit1),
            "same-domain: held-out questions, tune articles": ("abstained", abstained),
            "same-domain: tune questions, held-out articles": ("abstained", abstained)}
    print("\n## By article (95% interval: articles resampled with replacement)\n")
    print("| set | measure | articles | mean | 95% interval | per article (questions: share) |")
    print("|---|---|---|---|---|---|")
    for kind, (measure, values_of) in rows.items():
        r = by_kind[kind]
        groups = [article[q.id] for q in r.questions]
        measures = [(measure, values_of(r))]
        if r.report.counts["answerable"]:
            measures.append(("answer accuracy", [float(x.correct) for x in r.report.results]))
        for name, values in measures:
            low, high = grouped_interval(values, groups) or (0.0, 0.0)
            per: dict[str, list[float]] = {}
            for v, g in zip(values, groups):
                per.setdefault(g, []).append(v)
            cells = ", ".join(f"{g.removesuffix('.txt')} {len(v)}: {sum(v) / len(v):.2f}"
                              for g, v in sorted(per.items()))
            mean = sum(values) / len(values)
            print(f"| {kind} | {name} | {len(per)} | {mean:.3f} | {low:.3f}-{high:.3f} | {cells} |")
    for kind in (k for k, (measure, _) in rows.items() if measure == "abstained"):
        # A negative answered with the question's own gold answer would be a labelling error, not a wrong answer.
        r = by_kind[kind]
        given = [(original[q.id], a) for q, a in zip(r.questions, r.answers) if not at(a, THRESHOLD).abstained]
        gold = sum(holds_answer(q, a.answer) for q, a in given)
        pairs = Counter(f"{article[q.id].removesuffix('.txt')} -> {a.citations[0].source.removesuffix('.txt')}"
                        for q, a in given if a.citations)
        print(f"\n{kind}: {len(given)} answered, {gold} of them holding the question's gold answer; question's "
              "article -> first cited article: " + ", ".join(f"{pair} {n}" for pair, n in pairs.most_common(3)))


def report_calibration(runs: list[Run]) -> None:
    """How well kb's confidence reads as the probability that its answer is right, per population of questions:
    every answer with abstention off (a rule that decides before the model gives 0), binned by confidence."""
    by_kind = {r.kind: r for r in runs}

    def pooled(*kinds: str) -> tuple[list[float], list[bool]]:
        chosen = [by_kind[k] for k in kinds]
        return ([a.confidence for r in chosen for a in r.answers],
                [answer_correct(q, outcome_from_answer(a)) for r in chosen for q, a in zip(r.questions, r.answers)])

    populations = {
        "squad tune (fit on)": pooled("squad tune"),
        "squad held-out": pooled("squad held-out"),
        "squad held-out + its same-domain negatives": pooled("squad held-out",
                                                             "same-domain: held-out questions, tune articles"),
        "seed questions held out, every kind": pooled(
            "seed paraphrases, held-out half", "seed unanswerable, held-out half",
            "seed paraphrases, second set (all held out)", "seed unanswerable, second set (all held out)",
            "seed follow-ups, held-out half"),
    }
    results = {name: calibration(p, right) for name, (p, right) in populations.items()}
    print("\n## Calibration (confidence with abstention off: questions / mean confidence -> share right)\n")
    print("| confidence | " + " | ".join(populations) + " |")
    print("|---|" + "---|" * len(populations))
    edges = [(b.low, b.high) for bins, _, _ in results.values() for b in bins]
    for low, high in sorted(set(edges)):
        cells = []
        for bins, _, _ in results.values():
            b = next((b for b in bins if b.low == low), None)
            cells.append("" if b is None else f"{b.count}: {b.predicted:.2f} -> {b.observed:.2f}")
        print(f"| {low:.1f}-{high:.1f} | " + " | ".join(cells) + " |")
    print("| expected calibration error | " + " | ".join(f"{ece:.3f}" for _, ece, _ in results.values()) + " |")
    print("| Brier score | " + " | ".join(f"{brier:.3f}" for _, _, brier in results.values()) + " |")


def build(folder: Path, index: Path) -> KnowledgeBase:
    kb = KnowledgeBase(folder, index, abstain_threshold=0.0)  # every threshold is applied afterwards (at())
    kb.build()
    return kb


def copy_articles(articles: list[Path], parity: int, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for i, p in enumerate(articles):
        if i % 2 == parity:
            shutil.copy(p, folder / p.name)
    return folder


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="every 4th SQuAD question")
    args = parser.parse_args()
    step = 4 if args.quick else 1
    work = Path(tempfile.mkdtemp(prefix="kb-answer-quality-"))
    try:
        corpus = squad_corpus(SHARED / "squad-dev-sample.json", work / "squad")
        articles = sorted(corpus.folder.glob("*.txt"))
        tune, heldout = select(corpus.questions, "tune")[::step], select(corpus.questions, "heldout")[::step]
        seed_dev = load_questions(SHARED / "seed_qa.jsonl")
        paraphrases = load_questions(DATA / "seed_paraphrases.jsonl")
        unanswerable = load_questions(DATA / "seed_unanswerable.jsonl")
        seed_answerable_tune = [q for q in seed_dev if not q.unanswerable] + [q for q in paraphrases if tune_half(q)]

        print("building indexes and asking", flush=True)
        full = build(corpus.folder, work / "index-all")
        runs = [run(full, "squad tune", tune), run(full, "squad held-out", heldout)]
        tune_only = build(copy_articles(articles, 0, work / "tune-only"), work / "index-tune")
        heldout_only = build(copy_articles(articles, 1, work / "heldout-only"), work / "index-heldout")
        runs.append(run(tune_only, "same-domain: held-out questions, tune articles", heldout, must_abstain=True))
        runs.append(run(heldout_only, "same-domain: tune questions, held-out articles", tune, must_abstain=True))
        seeds = build(ROOT / "seeds", work / "index-seeds")
        runs.append(run(seeds, "squad on seeds", corpus.questions[::2 * step], must_abstain=True))
        tune_p, held_p = [q for q in paraphrases if tune_half(q)], [q for q in paraphrases if not tune_half(q)]
        tune_u, held_u = [q for q in unanswerable if tune_half(q)], [q for q in unanswerable if not tune_half(q)]
        runs.append(run(full, "seeds on squad (held-out paraphrases)", held_p, must_abstain=True))
        runs.append(run(full, "seeds on squad (dev + tune paraphrases)", seed_answerable_tune, must_abstain=True))
        runs.append(run(seeds, "seed dev", seed_dev))
        runs.append(run(seeds, "seed paraphrases, tune half", tune_p))
        held_half = run(seeds, "seed paraphrases, held-out half", held_p)
        runs.append(held_half)
        runs.append(run(seeds, "seed unanswerable, tune half", tune_u))
        runs.append(run(seeds, "seed unanswerable, held-out half", held_u))
        runs.append(run_groups("seeds without their gold sources (dev + tune paraphrases)",
                               without_their_sources(seed_answerable_tune, work / "left-tune"), must_abstain=True))
        runs.append(run_groups("seeds without their gold sources (held-out paraphrases)",
                               without_their_sources(held_p, work / "left-heldout"), must_abstain=True))
        # The second seed set: written after the scorers, by reading the articles only; never read by train_scorer.
        second = load_questions(DATA / "seed_heldout.jsonl")
        second_a, second_u = [q for q in second if not q.unanswerable], [q for q in second if q.unanswerable]
        second_set = run(seeds, "seed paraphrases, second set (all held out)", second_a)
        runs.append(second_set)
        runs.append(run(seeds, "seed unanswerable, second set (all held out)", second_u))
        runs.append(run(full, "seeds on squad (second set)", second_a, must_abstain=True))
        runs.append(run_groups("seeds without their gold sources (second set)",
                               without_their_sources(second_a, work / "left-second"), must_abstain=True))
        # The third and fourth seed sets: written to be tuned on (train_scorer.py reads all of them), so tune rows,
        # never held out.
        tune_seed_answerable = list(seed_answerable_tune)
        for name, nth in zip(TUNE_SEED_SETS, ("third", "fourth"), strict=True):
            tuned = load_questions(DATA / name)
            answerable = [q for q in tuned if not q.unanswerable]
            tune_seed_answerable += answerable
            runs.append(run(seeds, f"seed paraphrases, {nth} set (all tune)", answerable))
            runs.append(run(seeds, f"seed unanswerable, {nth} set (all tune)", [q for q in tuned if q.unanswerable]))
            runs.append(run_groups(f"seeds without their gold sources ({nth} set, tune)",
                                   without_their_sources(answerable, work / f"left-{nth}"), must_abstain=True))
        # Other documents of the seeds' own domain: eight news articles on the Kurils, sanctions, the FSB's history
        # and the like, without the seeds' story (tests/data/trust_news, written for benchmarks/trust_test.py). Each
        # answerable seed question whose gold answers none of them holds is asked of them, and their own questions
        # whose answers the seeds do not hold of the seeds: the closest stand-in here for "an index that does not
        # contain the answer, same domain", with the story's names and background but not its facts.
        # A second such corpus (tests/data/trust_news2: the 1941 neutrality pact, Siberian internees, the Ainu, the
        # Vladivostok forum ...) was written later to be read and tuned on; the first one's questions stay held out.
        for corpus, label, its_own in (("trust_news", "", "held out"), ("trust_news2", ", second corpus", "tune")):
            news_files = sorted((DATA / corpus).glob("*.txt"))
            news = build(DATA / corpus, work / f"index-{corpus}")
            runs.append(run(news, f"seeds on same-domain news{label} (tune questions)",
                            not_stated_in(tune_seed_answerable, news_files), must_abstain=True))
            runs.append(run(news, f"seeds on same-domain news{label} (held-out questions)",
                            not_stated_in(held_p + second_a, news_files), must_abstain=True))
            news_questions = [q for q in load_questions(DATA / f"{corpus}_questions.jsonl") if not q.unanswerable]
            runs.append(run(seeds, f"same-domain news{label} on seeds ({its_own})",
                            not_stated_in(news_questions, SEED_FILES), must_abstain=True))
        # Follow-ups (a pronoun for the first turn's person or organization), half answerable and half asking what
        # the articles never say of them; even ids tune the follow-up weight (train_scorer.py), odd ids only here.
        followups = load_questions(DATA / "seed_followups.jsonl")
        runs.append(run(seeds, "seed follow-ups, tune half", [q for q in followups if tune_half(q)]))
        runs.append(run(seeds, "seed follow-ups, held-out half", [q for q in followups if not tune_half(q)]))

        print("\n## Answerable questions\n")
        print("| set | questions | hit@1 | hit@5 | answer accuracy | citation accuracy | citation validity | abstained |")
        print("|---|---|---|---|---|---|---|---|")
        for r in runs:
            if r.report.counts["answerable"] == 0:
                continue
            m, c = r.report.metrics, r.report.counts
            print(f"| {r.kind} | {c['questions']} | {fmt(m['hit1'])} | {fmt(m['hit5'])} | {fmt(m['answer_accuracy'])} "
                  f"| {fmt(m['citation_accuracy'])} | {fmt(m['citation_validity'])} "
                  f"| {c['abstained'] / max(c['questions'], 1):.3f} |")
        for para in (r for r in runs if r.kind.startswith("seed paraphrases")):
            report_paraphrases(para)
        report_paraphrases(Run("every held-out seed paraphrase (held-out half + second set)",
                               held_half.questions + second_set.questions, held_half.answers + second_set.answers, None))
        report_by_article(runs)
        print("\n## Questions the index cannot answer (must abstain)\n")
        print("| set | questions | abstained | answered (all wrong) |")
        print("|---|---|---|---|")
        for r in runs:
            if r.report.counts["unanswerable"] == 0:
                continue
            c = r.report.counts
            print(f"| {r.kind} | {c['questions']} | {c['abstained_unanswerable'] / c['unanswerable']:.3f} "
                  f"| {c['unanswerable'] - c['abstained_unanswerable']} |")

        print(f"\n## Risk-coverage (abstain_threshold in use: {THRESHOLD})\n")
        print("Answerable sets: answered share / precision (share of answers that are right). Negative sets: "
              "answered share (every answer is wrong).\n")
        print("| threshold | " + " | ".join(r.kind for r in runs) + " |")
        print("|---|" + "---|" * len(runs))
        for t in GRID:
            cells = []
            for r in runs:
                answered = np.array([not at(a, t).abstained for a in r.answers])
                if r.report.counts["answerable"]:
                    right = np.array([answer_correct(q, outcome_from_answer(a)) for q, a in zip(r.questions, r.answers)])
                    prec = (answered & right).sum() / max(answered.sum(), 1)
                    cells.append(f"{answered.mean():.2f} / {prec:.2f}")
                else:
                    cells.append(f"{answered.mean():.3f}")
            print(f"| {t:.2f} | " + " | ".join(cells) + " |")

        report_calibration(runs)

        print("\n## Latency of `ask` (warm, k=10)\n")
        lat = [a.ms for r in runs for a in r.answers if a.ms > 0]
        print(f"p50 {np.percentile(lat, 50):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms over {len(lat)} questions")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
