"""Questions whose answer is a cell of a table, asked of the same documents written as Markdown, HTML and Word;
questions whose answer is a definition in an HTML glossary; and questions an FAQ page answers, written as Markdown,
HTML and Word, asked in other words, beside as many it does not answer: how often kb quotes what holds the answer,
how often it cites something that does not, and how often it abstains.

    .venv/bin/python benchmarks/tables.py        # ~1 min on 2 cores

No question set holds tables or glossaries (the seeds and SQuAD are prose), so the documents are generated from a
seeded generator, every name invented and used once. 24 short documents, each a title, a paragraph, a table of 2-8
rows under a header of four columns (offices, products, ships or staff), and a closing paragraph; two questions per
row ask for one cell by the row's name and the column's meaning ("Who manages the Vellmar office?", "When does the
Vellmar office close?"). Then 8 glossaries, HTML definition lists of 4-8 terms, each term asked "What is <term>?"
and "What is the <term> for?". Then 8 FAQ pages, 4-6 question headings each over a one-sentence answer
(five templates: how to change, price, who can see, when deleted, where to find), asked in other words with the
product's name ("How can I update my password in Velmar?"), and the same questions about things no page covers
("... my fax number in Velmar?"), which must be abstained on. Nothing was fitted to these questions: they measure
the readers, not a scorer.

A question is right when the answer and its first quote both hold the row's name (the term) and the asked cell (the
distinctive part of the definition), wrong when kb answers otherwise, abstained when it says the documents do not
cover it. "Table rows in the answer" is the median number of table rows a right answer shows (a whole table shows
them all). To compare readings, run this script on two trees (docs/quality.md, "Tables, glossaries and FAQs").
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb import KnowledgeBase  # noqa: E402

FIRST = ["Ada", "Bruno", "Carla", "Dmitri", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kiri", "Lena",
         "Marek", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Stefan", "Tomoko", "Ulla", "Viktor", "Wanda", "Yusuf"]
LAST = ["Abend", "Brask", "Corvin", "Dalby", "Ekwall", "Fenner", "Gorski", "Holm", "Iversen", "Jaspers", "Kovac",
        "Lindqvist", "Moreau", "Nyberg", "Orlov", "Petrak", "Quist", "Rasku", "Sorel", "Tamm", "Ulrich", "Varga"]
SYLLABLES = ["vel", "mar", "cor", "dan", "ith", "bre", "lun", "sar", "tov", "qui", "nel", "ros", "kab", "ost", "fen",
             "gal", "hir", "jun", "lor", "pem", "ruv", "sil", "tam", "zor"]
COUNTRIES = ["Portugal", "Norway", "Canada", "Chile", "Japan", "Kenya", "Poland", "Ireland", "Vietnam", "Peru"]
TEAMS = ["Payments", "Search", "Billing", "Security", "Mobile", "Data", "Support", "Platform"]


@dataclass(frozen=True)
class Question:
    text: str
    row_name: str
    gold: str
    table_rows: tuple[str, ...] = ()  # the names of every row of its table (none in a glossary)


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        word = "".join(rng.sample(SYLLABLES, 2)).capitalize()
        if word not in used:
            used.add(word)
            return word


def _person(rng: random.Random, used: set[str]) -> str:
    while True:
        person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if person not in used:
            used.add(person)
            return person


def _time(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low, high):02d}:{rng.choice(['00', '15', '30', '45'])}"


def _row(kind: str, rng: random.Random, used: set[str]) -> tuple[list[str], list[Question]]:
    name = _name(rng, used)
    if kind == "offices":
        cells = [name, _time(rng, 6, 9), _time(rng, 15, 19), _person(rng, used)]
        asked = [Question(f"Who manages the {name} office?", name, cells[3]),
                 Question(f"When does the {name} office close?", name, cells[2])]
    elif kind == "products":
        cells = [name, f"EUR {rng.randint(12, 990)}", str(rng.randint(1995, 2025)), rng.choice(COUNTRIES)]
        asked = [Question(f"How much does the {name} cost?", name, cells[1]),
                 Question(f"When was the {name} launched?", name, cells[2])]
    elif kind == "ships":
        cells = [name, str(rng.randint(1950, 2020)), f"{rng.randint(40, 300)} m", _person(rng, used)]
        asked = [Question(f"Who is the captain of the {name}?", name, cells[3]),
                 Question(f"How long is the {name}?", name, cells[2])]
    else:
        cells = [_person(rng, used), rng.choice(TEAMS), f"Room {rng.randint(100, 499)}", str(rng.randint(2000, 2999))]
        asked = [Question(f"Which team is {cells[0]} in?", cells[0], cells[1]),
                 Question(f"What is the phone extension of {cells[0]}?", cells[0], cells[3])]
    return cells, asked


HEADERS = {"offices": ["Office", "Opens", "Closes", "Manager"], "products": ["Product", "Price", "Launched", "Made in"],
           "ships": ["Ship", "Built", "Length", "Captain"], "staff": ["Name", "Team", "Room", "Phone extension"]}
OPENING = {"offices": "This page lists the company's offices, their opening hours and who runs each of them.",
           "products": "The catalogue below gives each product's price, its launch year and where it is made.",
           "ships": "The fleet register records when each ship was built, its length and its captain.",
           "staff": "The staff directory gives each employee's team, room and phone extension."}
CLOSING = "Changes to this page are announced in the weekly newsletter and take effect the following Monday."


def documents(count: int = 24, seed: int = 0) -> tuple[list[tuple[str, str, list[str], list[list[str]]]],
                                                       list[Question]]:
    """(name, kind, header, rows) per document, and the questions."""
    rng = random.Random(seed)
    used: set[str] = set()
    docs, questions = [], []
    kinds = list(HEADERS)
    for i in range(count):
        kind = kinds[i % len(kinds)]
        rows, asked = [], []
        for _ in range(rng.randint(2, 8)):
            cells, row_questions = _row(kind, rng, used)
            rows.append(cells)
            asked += row_questions
        questions += [replace(q, table_rows=tuple(r[0] for r in rows)) for q in asked]
        docs.append((f"{i:02d}-{kind}", kind, HEADERS[kind], rows))
    return docs, questions


def as_markdown(kind: str, header: list[str], rows: list[list[str]], title: str) -> bytes:
    lines = [f"# {title}", "", OPENING[kind], "", "| " + " | ".join(header) + " |",
             "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows] + ["", CLOSING, ""]
    return "\n".join(lines).encode()


def as_html(kind: str, header: list[str], rows: list[list[str]], title: str) -> bytes:
    head = "".join(f"<th>{c}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return (f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{OPENING[kind]}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><p>{CLOSING}</p></body></html>"
            ).encode()


def as_docx(kind: str, header: list[str], rows: list[list[str]], title: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph(OPENING[kind])
    table = document.add_table(rows=len(rows) + 1, cols=len(header))
    for row, values in zip(table.rows, [header, *rows]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_paragraph(CLOSING)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


WRITERS = {"md": as_markdown, "html": as_html, "docx": as_docx}

THINGS = ["report", "fee", "setting", "process", "role", "form", "limit", "badge", "queue", "ledger"]
DOES = ["records", "blocks", "approves", "schedules", "refunds", "archives", "flags", "merges"]
OBJECTS = ["late invoices", "duplicate accounts", "expired badges", "weekend shifts", "unused licences",
           "overdue tickets", "foreign payments", "new suppliers", "lost parcels", "disputed charges"]


def glossaries(count: int = 8, seed: int = 1) -> tuple[list[tuple[str, bytes]], list[Question]]:
    """Glossaries as HTML definition lists (<dl>: a <dt> term, its <dd> definition), 4-8 invented terms each, and
    two questions per term whose answer is its definition."""
    rng = random.Random(seed)
    used: set[str] = set()
    files, questions = [], []
    for i in range(count):
        entries = []
        for _ in range(rng.randint(4, 8)):
            term, obj = _name(rng, used), rng.choice(OBJECTS)
            definition = (f"The {rng.choice(THINGS)} that {rng.choice(DOES)} {obj}, reviewed every "
                          f"{rng.choice(['week', 'month', 'quarter', 'year'])}.")
            entries.append(f"<dt>{term}</dt><dd>{definition}</dd>")
            questions += [Question(f"What is {term}?", term, obj), Question(f"What is the {term} for?", term, obj)]
        files.append((f"glossary-{i:02d}.html", (
            f"<html><body><h1>Glossary {i}</h1><p>The terms used in the operations handbook, as the teams use "
            f"them.</p><dl>{''.join(entries)}</dl><p>{CLOSING}</p></body></html>").encode()))
    return files, questions
TITLES = {"offices": "Offices of the {}", "products": "The {} catalogue", "ships": "The {} fleet register",
          "staff": "Staff directory of the {} division"}


ROLES = ["editor", "admin", "owner", "reviewer", "auditor", "manager"]
FAQ_OBJECTS = ["password", "email address", "profile photo", "billing address", "phone number", "username",
               "time zone", "signature", "home page", "notification sound", "backup code", "payment card"]
ABSENT_OBJECTS = ["fax number", "shipping label", "tax form", "avatar frame", "voice mail", "desk booking"]


def _faq_entry(rng: random.Random, used: set[str], obj: str, product: str, n: int) -> tuple[str, str, str, str, str]:
    """(question as the FAQ asks it, the answer below it, the question asked in other words, the gold, the same
    question about something the FAQ does not cover)."""
    kind = rng.randrange(5)
    section, role, other = _name(rng, used), rng.choice(ROLES), rng.choice(ABSENT_OBJECTS)
    if kind == 0:
        return (f"How do I change my {obj}?", f"Go to {section} and edit the {obj} there; changes apply at once.",
                f"How can I update my {obj}?", section, f"How can I update my {other}?")
    if kind == 1:
        return (f"How much does the {product} plan cost?", f"The {product} plan costs EUR {n} a month.",
                f"What is the price of the {product} plan?", f"EUR {n}", f"What is the price of the {section} plan?")
    if kind == 2:
        return (f"Who can see my {obj}?", f"Only an {role} can see it, unless you share it.",
                f"Who is able to view my {obj}?", role, f"Who is able to view my {other}?")
    if kind == 3:
        return (f"When is a deleted {obj} removed for good?", f"It stays in the bin for {n} days, then it is erased.",
                f"How long until a deleted {obj} is gone for good?", f"{n} days",
                f"How long until a deleted {other} is gone for good?")
    return (f"Where do I find my {obj}?", f"Your {obj} is listed under {section} in the app.",
            f"Where is my {obj} shown?", section, f"Where is my {other} shown?")


def _in_product(question: str, product: str) -> str:
    return question if product in question else question.rstrip("?") + f" in {product}?"


def faqs(count: int = 8, seed: int = 2) -> tuple[list[tuple[str, list[tuple[str, str]]]], list[Question],
                                                   list[Question]]:
    """FAQ pages (a title and its (question, answer) entries, FAQ_WRITERS writes each format), the questions they
    answer asked in other words, and as many questions of the same shape about what no page covers."""
    rng = random.Random(seed)
    used: set[str] = set()
    pages, asked, negatives = [], [], []
    for _ in range(count):
        product = _name(rng, used)
        entries = []
        for obj in rng.sample(FAQ_OBJECTS, rng.randint(4, 6)):
            question, answer, reworded, gold, negative = _faq_entry(rng, used, obj, product, rng.randint(3, 99))
            entries.append((question, answer))
            # Asked with the product's name, as of a collection of several products' pages.
            asked.append(Question(_in_product(reworded, product), obj if obj in reworded else product, gold))
            negatives.append(Question(_in_product(negative, product), "", ""))
        pages.append((product, entries))
    return pages, asked, negatives


def faq_markdown(product: str, entries: list[tuple[str, str]]) -> bytes:
    lines = [f"# {product} help", "", f"Answers to the questions {product} users ask most.", ""]
    for question, answer in entries:
        lines += [f"## {question}", "", answer, ""]
    return "\n".join(lines).encode()


def faq_html(product: str, entries: list[tuple[str, str]]) -> bytes:
    body = "".join(f"<h2>{question}</h2><p>{answer}</p>" for question, answer in entries)
    return (f"<html><head><title>{product} help</title></head><body><h1>{product} help</h1>"
            f"<p>Answers to the questions {product} users ask most.</p>{body}</body></html>").encode()


def faq_docx(product: str, entries: list[tuple[str, str]]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(f"{product} help", level=1)
    document.add_paragraph(f"Answers to the questions {product} users ask most.")
    for question, answer in entries:
        document.add_heading(question, level=2)
        document.add_paragraph(answer)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


FAQ_WRITERS = {"md": faq_markdown, "html": faq_html, "docx": faq_docx}


def main() -> int:
    docs, questions = documents()
    glossary_files, glossary_questions = glossaries()
    with tempfile.TemporaryDirectory(prefix="kb-tables-") as temporary:
        work = Path(temporary)
        print(f"{len(docs)} documents with a table, {len(questions)} questions; {len(glossary_files)} glossaries, "
              f"{len(glossary_questions)} questions")
        print("| format | right | wrong | abstained | table rows in the answer (median, right answers) |")
        print("|---|---|---|---|---|")
        for suffix, write in WRITERS.items():
            files = [(f"{name}.{suffix}", write(kind, header, rows, TITLES[kind].format(name.split("-")[0])))
                     for name, kind, header, rows in docs]
            print(_measured(f"table, {suffix}", work / suffix, files, questions), flush=True)
        print(_measured("definition list, html", work / "glossaries", glossary_files, glossary_questions), flush=True)
        pages, faq_questions, faq_negatives = faqs()
        print(f"\n{len(pages)} FAQ pages, {len(faq_questions)} questions they answer and {len(faq_negatives)} "
              "they do not, asked in other words\n")
        print("| FAQ | right | wrong | abstained | negatives answered |")
        print("|---|---|---|---|---|")
        for suffix, write in FAQ_WRITERS.items():
            files = [(f"faq-{i:02d}.{suffix}", write(product, entries)) for i, (product, entries) in enumerate(pages)]
            print(_measured(f"FAQ, {suffix}", work / f"faqs-{suffix}", files, faq_questions, faq_negatives),
                  flush=True)
    return 0


def _measured(label: str, folder: Path, files: list[tuple[str, bytes]], questions: list[Question],
              negatives: list[Question] | None = None) -> str:
    """Index the files and ask every question: one row of the table; with ``negatives``, its last column is the share
    of them answered (each a cited wrong answer) rather than the rows shown."""
    sources = folder / "sources"
    sources.mkdir(parents=True)
    for name, data in files:
        (sources / name).write_bytes(data)
    kb = KnowledgeBase(sources, folder / "index")
    kb.build()
    right = wrong = 0
    shown = []
    for q in questions:
        answer = kb.ask(q.text)
        if answer.abstained or not answer.citations:
            continue
        quote, said = answer.citations[0].text, answer.answer
        if all(q.row_name in t and q.gold in t for t in (quote, said)):
            right += 1
            shown.append(sum(name in said for name in q.table_rows))
        else:
            wrong += 1
    n = len(questions)
    rows = f"{statistics.median(shown):.0f}" if shown and questions[0].table_rows else "-"
    if negatives is not None:
        rows = f"{sum(not kb.ask(q.text).abstained for q in negatives) / len(negatives):.3f}"
    return f"| {label} | {right / n:.3f} | {wrong / n:.3f} | {(n - right - wrong) / n:.3f} | {rows} |"


if __name__ == "__main__":
    sys.exit(main())
