"""Can a cited answer be trusted on documents kb was never built around? Ten small corpora with their questions.

    .venv/bin/python benchmarks/trust_test.py [--verbose]            # all ten (eleven rows of corpora), ~5 min
    .venv/bin/python benchmarks/trust_test.py --corpus vet            # one of them
    .venv/bin/python benchmarks/trust_test.py --corpus DIR --questions FILE.jsonl   # any other, same table

The first three are a fictional organisation's own files, written by a helper session that then wrote 80 questions
before running kb: 40 someone working there would ask (in other words than the documents'), 30 about the same
organisation that the documents do not answer but share words with, and 10 follow-ups, each asked after its first
question as the chat asks it (the first answer's names appended). The fourth is news in the seeds' own domain.

- utility (tests/data/trust_utility/, 2026-12-06): 13 Markdown documents of a municipal water utility. Not held out:
  the eighteenth stop's rules were made from the failures it showed (docs/reliability.md, "A trust test on a corpus
  kb had never seen").
- software (tests/data/trust_software/, 2026-12-06): 11 files (Markdown, text, HTML) of a software company. Not held
  out: the nineteenth stop's number and contact-detail rules were made from it.
- vet (tests/data/trust_vet/, 2026-12-06): 11 files of a veterinary clinic. Held out: written with the software
  corpus, measured before and after the nineteenth stop, and never read question by question.
- news (tests/data/trust_news/, 2026-12-06): 8 news articles in the seeds' domain without the seeds' story, 40
  answerable questions and 20 that sit next to what the articles state (no follow-ups). Held out: nothing was made
  or tuned from it.
- university (tests/data/trust_university/, 2026-12-06): 8 Markdown files of a university department (course
  catalogues, a staff directory, policies, news) with look-alike facts on purpose (two Okafors, two Marshes, graduate
  and undergraduate deadlines), 37 answerable questions and 31 that look answerable, written before kb was run. Not
  held out: the twenty-third stop's rule on statements about another person was made from its failures.
- staff (tests/data/trust_staff/, 2026-12-06): 12 short files of three organisations (staff lists in Markdown and a
  table, bylines, an email signature, a press release's media contact, an org chart, minutes) whose lines name a
  person and a post, with 204 questions written before kb was run: 109 answerable, 64 not, 31 follow-ups. Not held
  out: the twenty-fourth stop's rule on such lines was made from it (a hunt on a first form of the rule).
- siblings (tests/data/trust_siblings/, 2026-12-06): 13 files of four organisations describing look-alikes (plans,
  plants, clinics, routes, versions, models, rooms, teams), 155 questions. Not held out: the twenty-fourth stop's rule
  on statements about a look-alike was made from it.
- lookalikes (tests/data/trust_lookalikes/, 2026-12-06): 15 files of three more such organisations, 125 questions,
  written after that rule without reading kb's code. Held out but for one question (tests/data/README.md).
- news2 (tests/data/trust_news2/, 2026-12-07): 8 more news articles in the seeds' domain without their story (the
  1941 neutrality pact, Siberian internees, the Ainu, the Vladivostok forum, polls, flights, companies leaving
  Russia, frozen exchanges), 24 answerable questions and 8 that sit next to what they state, written by a helper that
  read neither kb's code nor its answers. Not held out: written to be read and tuned on, where the first news corpus
  stays held out (benchmarks/answer_quality.py also asks the seed questions of both).
- people (tests/data/trust_people/, 2026-12-07): 13 files of a museum, a biotech start-up and a law firm whose people
  and posts are easy to confuse, 116 questions written by a helper that neither read kb's code nor ran it. Split by
  organisation: the museum's 47 (`people`) were read, and the twenty-fifth stop's pronoun, follow-up and age rules
  were made from them; the other two's 69 (`people_heldout`) are held out.

An answer counts as right when it holds one of the question's expected strings, whole-word (the evaluation's
answer_correct), which is stricter than a reader on wording and looser on a right string quoted for the wrong reason.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from kb import KnowledgeBase  # noqa: E402
from kb.evaluation import load_questions  # noqa: E402
from kb.evaluation.metrics import answer_correct  # noqa: E402
from kb.evaluation.runner import outcome_from_answer  # noqa: E402
from kb.query import contextualize  # noqa: E402
from train_scorer import DATA, TRUST_TUNE_CORPORA  # noqa: E402  (held out: every corpus training may not read)

CORPORA = {name: (DATA / f"trust_{name}", DATA / f"trust_{name}_questions.jsonl", name not in TRUST_TUNE_CORPORA)
           for name in ("utility", "software", "vet", "news", "university", "staff", "siblings", "lookalikes", "people",
                        "news2")}
# One folder, two halves: the museum's questions were read (tune), the biotech's and the law firm's never were.
CORPORA["people_heldout"] = (DATA / "trust_people", DATA / "trust_people_heldout_questions.jsonl", True)
NAMES = {"answerable": "answerable", "near-miss": "not answerable (must abstain)",
         "unanswerable": "not answerable (must abstain)", "followup": "follow-ups"}


def measure(corpus: Path, questions: Path, verbose: bool) -> dict[str, list[int]]:
    """kind -> [questions, right, cited but wrong, abstained]. The index lives in a folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kb-trust-") as folder:
        return _ask_all(KnowledgeBase(corpus, Path(folder) / "index"), questions, verbose)


def _ask_all(kb: KnowledgeBase, questions: Path, verbose: bool) -> dict[str, list[int]]:
    kb.build()
    counts: dict[str, list[int]] = {}
    for q in load_questions(questions):
        asked = q.question
        if q.history:  # as the chat asks it: the first question answered, its answer's names appended
            first = q.history[0][0]
            asked = contextualize(q.question, [(first, kb.ask(first).answer)])
        answer = kb.ask(asked)
        right = not answer.abstained and not q.unanswerable and answer_correct(q, outcome_from_answer(answer))
        wrong = not answer.abstained and not right
        kind = q.kind if q.kind in NAMES else ("unanswerable" if q.unanswerable else "answerable")  # "date", "number"
        row = counts.setdefault(kind, [0, 0, 0, 0])
        row[0] += 1
        row[1] += right
        row[2] += wrong
        row[3] += answer.abstained
        if verbose:
            verdict = "abstained" if answer.abstained else ("right" if right else "CITED WRONG")
            print(f"{q.id} [{verdict} {answer.confidence:.2f}] {asked}\n    -> {' '.join(answer.answer.split())[:200]}")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="every question with kb's answer")
    parser.add_argument("--corpus", default=None, help=f"one of {', '.join(CORPORA)}, or a documents folder")
    parser.add_argument("--questions", type=Path, default=None, help="JSONL questions, for a --corpus folder")
    args = parser.parse_args()
    if args.corpus in CORPORA or args.corpus is None:
        chosen = {n: c for n, c in CORPORA.items() if args.corpus in (None, n)}
    elif args.questions is None:
        parser.error("--questions is needed with a --corpus folder")
    else:
        chosen = {args.corpus: (Path(args.corpus), args.questions, False)}
    print("| corpus | questions | n | right | cited but wrong | abstained |")
    print("|---|---|---|---|---|---|")
    for name, (corpus, questions, held_out) in chosen.items():
        label = f"{name} (held out)" if held_out else name
        for kind, (n, right, wrong, abstained) in measure(corpus, questions, args.verbose).items():
            shown = "" if kind in ("near-miss", "unanswerable") else str(right)
            print(f"| {label} | {NAMES.get(kind, kind)} | {n} | {shown} | {wrong} | {abstained} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
