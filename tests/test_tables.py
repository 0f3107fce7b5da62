"""Tables in every format kb reads (kb.sentences): a data table is one quote, read a row a line; a row alone does not
say what its cells are. A table whose rows state facts in sentences is quoted a row at a time, and a table that lays
out a page is read as text."""

from __future__ import annotations

import io

from kb.sentences import TABLE_QUOTE_LIMIT, document_sentences
from kb.sources import parse_document
from kb.sources.markup import html_to_text
from paths import ROOT

ROWS = [("Office", "Opens", "Closes", "Manager"), ("Lisbon", "08:00", "17:00", "Marta Reis"),
        ("Oslo", "09:00", "16:00", "Henrik Lund"), ("Toronto", "07:30", "15:30", "Priya Nair")]
PROSE = ("Escalations go to the duty director, currently Samuel Okafor. The on-call rotation changes every Monday "
         "at 10:00.")
TABLE_TEXT = "\n".join(" | ".join(row) for row in ROWS)


def handbook_html() -> str:
    cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in ROWS)
    return f"<html><body><h1>Team handbook</h1><p>{PROSE}</p><table>{cells}</table><p>Ask IT for a laptop.</p>"


def handbook_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Team handbook", level=1)
    document.add_paragraph(PROSE)
    table = document.add_table(rows=len(ROWS), cols=len(ROWS[0]))
    for row, values in zip(table.rows, ROWS):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_paragraph("Ask IT for a laptop.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def sentences(data: bytes, name: str) -> list[str]:
    document = parse_document(data, name, "." + name.rsplit(".", 1)[1])
    found = document_sentences(document)
    assert all(document.text[s.start:s.end] == s.text for s in found)
    return [s.text for s in found]


def test_an_html_table_reads_a_row_a_line_and_is_one_quote():
    # Before, every cell was a paragraph of its own: "Office", "Opens", ... "Priya Nair".
    text, _, blocks = html_to_text(handbook_html())
    assert [text[b.start:b.end] for b in blocks if b.kind == "table"] == [TABLE_TEXT]
    found = sentences(handbook_html().encode(), "handbook.html")
    assert TABLE_TEXT in found and "Ask IT for a laptop." in found and "Manager" not in found


def test_cells_hold_their_blocks_and_tables_and_a_layout_table_stays_text():
    text, _, blocks = html_to_text("<table><caption>Hours</caption><tr><th>Office</th><th>Note</th></tr>"
                                   "<tr><td><p>Lisbon</p><p>centre</p></td><td><table><tr><td>in</td><td>out</td>"
                                   "</tr></table></td></tr></table>after")
    assert text == "Hours\nOffice | Note\nLisbon centre | in out\n\nafter"
    assert [(b.start, b.end, b.kind) for b in blocks] == [(0, text.index("\n\n"), "table")]
    article = "A long article sentence in the page's main cell. " * 8
    text, _, blocks = html_to_text(f"<table><tr><td>Home<br>About</td><td>{article}</td></tr></table>")
    assert blocks == [] and text.startswith("Home\nAbout\n\nA long article")  # cells as paragraphs, as before


def test_a_docx_table_is_one_quote_and_a_table_of_facts_a_row_each():
    found = sentences(handbook_docx(), "handbook.docx")
    assert TABLE_TEXT in found and "Escalations go to the duty director, currently Samuel Okafor." in found
    from test_formats import make_docx  # a table whose rows are sentences: "North light | The north light was ..."

    found = sentences(make_docx(), "lights.docx")
    assert "North light | The north light was built in 1874 by the engineer Mara Velt." in found


def test_a_long_table_is_quoted_a_row_at_a_time():
    rows = [" | ".join(ROWS[0])] + [f"Office {i} | 08:00 | 17:00 | Manager {i}" for i in range(60)]
    assert len("\n".join(rows)) > TABLE_QUOTE_LIMIT
    html = "<table>" + "".join("<tr><td>" + r.replace(" | ", "</td><td>") + "</td></tr>" for r in rows) + "</table>"
    assert sentences(html.encode(), "offices.html") == rows


def test_asked_of_a_table_kb_quotes_the_table_in_every_format(tmp_path):
    # Before: HTML answered "Manager [1] Marta Reis [2]", .docx the header row and the duty director's sentence.
    from kb import KnowledgeBase

    markdown = "# Team handbook\n\n" + PROSE + "\n\n" + "".join(
        "| " + " | ".join(row) + " |\n" for row in [ROWS[0], ("---",) * 4, *ROWS[1:]])
    for name, data in (("handbook.html", handbook_html().encode()), ("handbook.docx", handbook_docx()),
                       ("handbook.md", markdown.encode())):
        sources = tmp_path / name / "sources"
        sources.mkdir(parents=True)
        (sources / name).write_bytes(data)
        kb = KnowledgeBase(sources, tmp_path / name / "index")
        kb.build()
        answer = kb.ask("Who manages the Toronto office?")
        assert answer.citations and "Priya Nair" in answer.citations[0].text, (name, answer.answer)
        # Shown as the header and the row that answers, a row a line; the citation is the whole table.
        rows = [line.replace("[1]", "").strip("| ") for line in answer.answer.splitlines()]
        assert rows == ["Office | Opens | Closes | Manager", "Toronto | 07:30 | 15:30 | Priya Nair"], rows
        assert answer.citations[0].text.count("\n") >= 3
        # No one row holds the question's terms: the whole table is the answer.
        answer = kb.ask("Who are the office managers?")
        assert answer.answer.count("\n") >= 3 and "Marta Reis" in answer.answer and "Priya Nair" in answer.answer


def test_the_cli_prints_a_cited_table_a_row_a_line(tmp_path):
    import io as text_io

    from kb.cli import main

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "handbook.html").write_text(handbook_html())
    where = ["--sources", str(sources), "--index", str(tmp_path / "index")]
    assert main(["index", *where], text_io.StringIO(), text_io.StringIO()) == 0
    out = text_io.StringIO()
    code = main(["ask", *where, "When does the Oslo office close?"], out, text_io.StringIO())
    printed = out.getvalue()
    assert code == 0 and printed.startswith("Office | Opens | Closes | Manager\nOslo | 09:00 | 16:00 | Henrik Lund [1]")
    assert '    "Office | Opens | Closes | Manager\n     Lisbon | 08:00 | 17:00 | Marta Reis\n' in printed


def test_a_name_split_over_two_rows_is_not_answered_from_the_table(tmp_path):
    # "Wanda Lindqvist" is in no row of this table, though "Wanda" and "Lindqvist" both are: before, kb answered with
    # the table (a cited wrong answer); asked of the table that lists her, it answers.
    from kb import KnowledgeBase

    staff = [("Name", "Team", "Room"), ("Wanda Quist", "Data", "Room 352"), ("Ada Lindqvist", "Platform", "Room 301"),
             ("Jonas Ekwall", "Search", "Room 126")]
    html = "<h1>Staff directory</h1><p>The directory gives each employee's team and room.</p><table>" + "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in staff) + "</table>"
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "staff.html").write_text(html)
    kb = KnowledgeBase(sources, tmp_path / "index")
    kb.build()
    assert kb.ask("Which team is Wanda Lindqvist in?").abstained
    answer = kb.ask("Which team is Ada Lindqvist in?")
    assert answer.answer.splitlines()[-1].startswith("Ada Lindqvist | Platform")


FAQ_ITEMS = [("How do I reset my password?", "Open Settings and press Reset. A link arrives within five minutes."),
             ("Who can see my notes?", "Only you, unless you share a notebook."),
             ("Plans and prices", "The team plan costs nine euros a month.")]


def faq_pages() -> list[tuple[bytes, str]]:
    """FAQ_ITEMS as an HTML page and a Word file, written by benchmarks/tables.py's FAQ writers (the pages its FAQ
    rows measure)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("kb_tables_benchmark", ROOT / "benchmarks" / "tables.py")
    benchmark = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(benchmark)  # registered first: its dataclasses look their module up
    return [(benchmark.faq_html("Notely", FAQ_ITEMS), "faq.html"), (benchmark.faq_docx("Notely", FAQ_ITEMS), "faq.docx")]


def test_an_html_or_word_faq_heading_is_one_statement_with_the_sentence_below_it():
    # As in Markdown (tests/test_markdown.py): apart, the question was never an answer and the answer never said
    # what it answered. A heading that does not ask stays a statement of its own, as before.
    for data, name in faq_pages():
        found = sentences(data, name)
        assert any(s.startswith("How do I reset my password?") and s.endswith("press Reset.") for s in found), name
        assert "A link arrives within five minutes." in found, name  # only the first sentence joins its question
        assert any(s.startswith("Who can see my notes?") and s.endswith("share a notebook.") for s in found), name
        assert "Plans and prices" in found and "The team plan costs nine euros a month." in found, name


def test_a_details_faq_asks_in_its_summary():
    # <summary> ran into its answer ("Who can see my notes?Only you, ..."), a statement that was neither.
    page = "".join(f"<details><summary>{q}</summary><p>{a}</p></details>" for q, a in FAQ_ITEMS).encode()
    found = sentences(page, "faq.html")
    assert any(s.startswith("Who can see my notes?") and s.endswith("share a notebook.") for s in found)
    assert "A link arrives within five minutes." in found and "Plans and prices" in found


def test_a_page_without_question_headings_reads_as_before():
    text, _, blocks = html_to_text("<h2>Plans and prices</h2><p>The team plan costs nine euros a month.</p>")
    assert blocks == [] and text == "Plans and prices\n\nThe team plan costs nine euros a month."
