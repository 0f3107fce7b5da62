"""The same questions in the words people type: as written, and rewritten the ways a user or a paraphrase does.

    .venv/bin/python benchmarks/phrasing.py              # every 2nd SQuAD question, ~8 minutes on 2 cores
    .venv/bin/python benchmarks/phrasing.py --step 1     # every SQuAD question

Each question is asked as written and in each rewrite, of the same fresh indexes:

- spelled out: every acronym that the indexed documents themselves define ("Federal Security Service (FSB)") is
  replaced in the question by its long form; only questions holding such an acronym are asked;
- "Can you tell me ...?" and "I'd like to know ...": the question wrapped in a request, as typed into a chat box;
  "According to the documents, ...": the question after a reference to the documents themselves;
- lowercase, Title Case, UPPERCASE: the whole question in lowercase, with every word capitalized, in capitals;
  Headline Style: every word capitalized but articles, short prepositions and conjunctions;
- no question mark: the question's final "?" left off, as often typed in a chat box;
- "Hi! ... Thanks": the question between a greeting and a thank-you;
- a typo: one letter left out of the middle of the question's longest lowercase word of five letters or more
  ("letter" -> "leter"); only questions holding such a word are asked;
- What's / didn't: "What is" -> "What's", "How are" -> "How're", "did not" -> "didn't" and the like; only questions
  holding such words are asked; whats / didnt: the same, typed without the apostrophe (every apostrophe of the
  question left out);
- curly ’ and “ ”: typographic apostrophes and quotes, as phones type them; only questions holding ' or " are
  asked;
- 1. ..., "...", **...**: the question as pasted from a numbered list, in quotes, in markdown bold;
- ...?! 🤔 and ... pls: the question ending in "?!" and an emoji, or in "pls" without its mark;
- Name the person who ..., Identify the ... that ...: a question that asks for its subject ("Who verified ...?",
  "Which company published ...?") typed as an instruction; only such questions are asked.
The columns that ask only some questions give the same questions as written beside them.

Kinds of questions: SQuAD tune / held-out questions asked of all twelve articles (answer accuracy), each half asked
of the other half's articles (same-domain negatives: how many are answered, all wrongly), and the seed paraphrase
sets' tune and held-out halves asked of the seeds (right answers: a gold string and a citation of a gold source).
Rows say which half they are: a change is decided on the tune rows, the held-out ones only report it.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from answer_quality import copy_articles  # noqa: E402
from kb import KnowledgeBase  # noqa: E402
from kb.text import acronym_definitions  # noqa: E402
from kb.evaluation import load_questions, select, squad_corpus  # noqa: E402
from kb.evaluation.datasets import EvalQuestion  # noqa: E402
from kb.evaluation.metrics import answer_correct, citation_gold  # noqa: E402
from kb.evaluation.runner import asked, outcome_from_answer  # noqa: E402
from train_scorer import tune_half  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
DATA = ROOT / "tests" / "data"
#: Columns that rewrite only some questions: each cell also gives those questions as written.
PARTIAL = ("spelled out", "What's / didn't", "curly ’ and “ ”", "whats / didnt", "Name the person who ...",
           "Identify the ... that ...")
Rewrite = Callable[[str], "str | None"]  # None: the rewrite does not apply to this question
#: Each column: the name ``--only`` takes, and its heading.
COLUMNS = {"as written": "as written", "spelled out": "spelled out", "request": "Can you tell me ...?",
           "like to know": "I'd like to know ...", "lowercase": "lowercase", "title": "Title Case",
           "upper": "UPPERCASE", "typo": "a typo", "no-mark": "no question mark", "chat": "Hi! ... Thanks",
           "contracted": "What's / didn't", "curly": "curly ’ and “ ”", "numbered": "1. ...", "quoted": '"..."',
           "bold": "**...**", "marks": "...?! 🤔", "pls": "... pls",
           "bare": "whats / didnt", "documents": "According to the documents, ...",
           "name-who": "Name the person who ...", "name-which": "Identify the ... that ...",
           "headline": "Headline Style"}


def as_written(question: str) -> str:
    return question


def wrapped(frame: str, end: str) -> Rewrite:
    return lambda q: frame + q[:1].lower() + q[1:].rstrip("?") + end


def spelled_out(definitions: dict[str, str]) -> Rewrite:
    """Each defined acronym the question holds, as a whole word, replaced by its long form."""
    patterns = [(re.compile(rf"\b{re.escape(acronym)}\b"), long) for acronym, long in definitions.items()]

    def rewrite(question: str) -> str | None:
        changed = question
        for pattern, long in patterns:
            changed = pattern.sub(long, changed)
        return changed if changed != question else None
    return rewrite


def title_case(question: str) -> str:
    return re.sub(r"(?<![\w'’])[a-z]", lambda m: m.group(0).upper(), question)


_SMALL_WORDS = frozenset({"a", "an", "the", "and", "but", "or", "nor", "for", "so", "yet", "as", "at", "by", "in", "of",
                          "off", "on", "per", "to", "up", "via", "from", "into", "with", "over", "than"})


def headline(question: str) -> str:
    """Every word capitalized but the small ones (articles, short prepositions, conjunctions), as a headline is."""
    def cap(m: re.Match[str]) -> str:
        word = m.group(0)
        return word if word in _SMALL_WORDS and m.start() > 0 else word[:1].upper() + word[1:]
    return re.sub(r"(?<![\w'’])[a-z][\w'’-]*", cap, question)


def with_typo(question: str) -> str | None:
    """The question's longest lowercase word of five letters or more, its middle letter left out."""
    found = [m for m in re.finditer(r"(?<![\w'’-])[a-z]{5,}(?![\w'’-])", question)]
    if not found:
        return None
    word = max(found, key=lambda m: (len(m.group(0)), -m.start()))
    middle = word.start() + len(word.group(0)) // 2
    return question[:middle] + question[middle + 1:]


_CONTRACTED = {"is": "'s", "has": "'s", "are": "'re"}
_CONTRACTIBLE = re.compile(r"\b(What|Who|Where|How|When|Why|what|who|where|how|when|why) (is|are|has)\b"
                           r"|\b(did|does|do|was|were|is|are) not\b")


def contracted(question: str) -> str | None:
    """The question as typed with contractions: "What is" -> "What's", "did not" -> "didn't"."""
    def short(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1) + _CONTRACTED[m.group(2)]
        return m.group(3) + "n't"
    changed = _CONTRACTIBLE.sub(short, question)
    return changed if changed != question else None


def curly(question: str) -> str | None:
    """Typographic apostrophes and quotes, as phones and word processors type them."""
    changed = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", question).replace("'", "\u2019")
    return changed if changed != question else None


_AUXILIARY = r"(?:did|does|do|was|were|is|are|has|have|had|will|would|can|could|should|may|might)\b"
_SUBJECT_WHO = re.compile(rf"^Who\s+(?!{_AUXILIARY})(?P<rest>[a-z].*?)\s*\?$")
_SUBJECT_WHICH = re.compile(rf"^(?:Which|What)\s+(?!{_AUXILIARY}|(?:two|three|four|five|six|seven|eight|nine|ten)\b)"
                            r"(?P<noun>[a-z]+)\s+(?P<rest>[a-z]+(?:ed|s)\b.*?)\s*\?$")


def name_the_person(question: str) -> str | None:
    """A "Who ..." question whose subject is asked for, as an instruction: "Name the person who verified ..."."""
    m = _SUBJECT_WHO.match(question)
    return f"Name the person who {m.group('rest')}." if m else None


def identify_the(question: str) -> str | None:
    """A "Which / What <noun> <verb> ..." question as an instruction: "Identify the company that published ..."."""
    m = _SUBJECT_WHICH.match(question)
    return f"Identify the {m.group('noun')} that {m.group('rest')}." if m else None


def build(folder: Path, index: Path) -> KnowledgeBase:
    kb = KnowledgeBase(folder, index)  # the abstention threshold in use
    kb.build()
    return kb


def score(kb: KnowledgeBase, questions: list[EvalQuestion], rewrite: Rewrite, kind: str) -> tuple[int, int]:
    """(right answers, or answered negatives; the questions the rewrite applies to). ``kind``: "answer" (a gold
    string), "cited" (a gold string and a citation of a gold source: the seed sets' bar) or "negative"."""
    good = total = 0
    for q in questions:
        text = rewrite(asked(q))
        if text is None:
            continue
        outcome = outcome_from_answer(kb.ask(text, k=10))
        total += 1
        if kind == "negative":
            good += not outcome.abstained
        else:
            good += answer_correct(q, outcome) and (kind == "answer" or citation_gold(q, outcome))
    return good, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--step", type=int, default=2, help="every Nth SQuAD question (default 2)")
    parser.add_argument("--only", nargs="+", metavar="REWRITE", choices=COLUMNS,
                        help=f"only these columns ({', '.join(COLUMNS)}); default all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-phrasing-") as tmp:
        work = Path(tmp)
        corpus = squad_corpus(SHARED / "squad-dev-sample.json", work / "squad")
        articles = sorted(corpus.folder.glob("*.txt"))
        tune = select(corpus.questions, "tune")[:: args.step]
        heldout = select(corpus.questions, "heldout")[:: args.step]
        print("building indexes", flush=True)
        full = build(corpus.folder, work / "index-all")
        tune_only = build(copy_articles(articles, 0, work / "tune-only"), work / "index-tune")
        heldout_only = build(copy_articles(articles, 1, work / "heldout-only"), work / "index-heldout")
        seeds = build(ROOT / "seeds", work / "index-seeds")
        counts: Counter[tuple[str, str]] = Counter()
        for folder in (corpus.folder, ROOT / "seeds"):
            for path in sorted(folder.glob("*.txt")):
                counts.update(acronym_definitions(path.read_text(encoding="utf-8")))
        definitions: dict[str, str] = {}  # each acronym's most common long form ("Federal Security Service": 3 of 4)
        for (acronym, long), _ in counts.most_common():
            definitions.setdefault(acronym, long)
        first = [q for q in load_questions(DATA / "seed_paraphrases.jsonl") if not q.unanswerable and not q.history]
        second = [q for q in load_questions(DATA / "seed_heldout.jsonl") if not q.unanswerable and not q.history]
        seed_tune = [q for q in first if tune_half(q)]
        seed_heldout = [q for q in first if not tune_half(q)] + second  # the second set is all held out
        rows = [
            ("SQuAD tune, of all articles: right", full, tune, "answer"),
            ("SQuAD tune, of the held-out articles: answered (wrong)", heldout_only, tune, "negative"),
            ("seed paraphrases, tune half: right and cited", seeds, seed_tune, "cited"),
            ("SQuAD held-out, of all articles: right", full, heldout, "answer"),
            ("SQuAD held-out, of the tune articles: answered (wrong)", tune_only, heldout, "negative"),
            ("seed paraphrases, held out (both sets): right and cited", seeds, seed_heldout, "cited"),
        ]
        rewrites: dict[str, Rewrite] = {
            "as written": as_written,
            "spelled out": spelled_out(definitions),
            "Can you tell me ...?": wrapped("Can you tell me ", "?"),
            "I'd like to know ...": wrapped("I'd like to know ", "."),
            "lowercase": str.lower,
            "Title Case": title_case,
            "UPPERCASE": str.upper,
            "a typo": with_typo,
            "no question mark": lambda q: q.rstrip().rstrip("?").rstrip() if q.rstrip().endswith("?") else None,
            "Hi! ... Thanks": lambda q: f"Hi! {q} Thanks",
            "What's / didn't": contracted,
            "curly ’ and “ ”": curly,
            "1. ...": lambda q: f"1. {q}",
            '"..."': lambda q: f'"{q}"',
            "**...**": lambda q: f"**{q}**",
            "...?! 🤔": lambda q: q.rstrip().rstrip("?") + "?! 🤔",
            "... pls": lambda q: q.rstrip().rstrip("?") + " pls",
            "whats / didnt": lambda q: (c.replace("'", "") if (c := contracted(q)) else None),
            "According to the documents, ...": wrapped("According to the documents, ", "?"),
            "Name the person who ...": name_the_person,
            "Identify the ... that ...": identify_the,
            "Headline Style": headline,
        }
        if args.only:
            rewrites = {COLUMNS[name]: rewrites[COLUMNS[name]] for name in args.only}
        print(f"acronyms the documents define: {len(definitions)} "
              f"({', '.join(f'{a} = {l}' for a, l in sorted(definitions.items())[:6])}, ...)\n")
        print("| questions | " + " | ".join(rewrites) + " |")
        print("|---|" + "---|" * len(rewrites))
        for label, kb, questions, kind in rows:
            cells = []
            for name, rewrite in rewrites.items():
                good, total = score(kb, questions, rewrite, kind)
                cells.append(f"{good} / {total}" if total else "-")
                if name in PARTIAL:  # the same questions as written, for comparison
                    base, _ = score(kb, [q for q in questions if rewrite(asked(q)) is not None], as_written, kind)
                    cells[-1] += f" ({base} as written)" if total else ""
            print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
