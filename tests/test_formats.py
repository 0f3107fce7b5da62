"""Word documents, scanned PDFs (OCR) and titles: each read into text that citations point into exactly."""

from __future__ import annotations

import io
import shutil

import pytest

from kb.errors import SourceError
from kb.sources import SUPPORTED_SUFFIXES, ReadLimits, parse_document
from kb.sources.ocr import NO_TEXT_LAYER

from paths import SEEDS


def make_docx(title_property: str | None = None) -> bytes:
    import docx

    document = docx.Document()
    if title_property:
        document.core_properties.title = title_property
    document.add_heading("Harbour lighthouses of Corvel", level=1)
    document.add_paragraph("The Corvel harbour keeps two lighthouses on its northern mole.")
    table = document.add_table(rows=3, cols=2)
    rows = [("Light", "Fact"),
            ("North light", "The north light was built in 1874 by the engineer Mara Velt."),
            ("South light", "The south light has a red lantern visible for 22 nautical miles.")]
    for row, (name, fact) in zip(table.rows, rows):
        row.cells[0].text, row.cells[1].text = name, fact
    merged = table.add_row()
    merged.cells[0].merge(merged.cells[1]).text = "Both lights were automated in 1961."
    document.add_paragraph("Visitors may climb the north tower on Sundays in summer.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_one_list_of_readable_types():
    import kb.sources.scan
    import kb.watch

    assert ".docx" in SUPPORTED_SUFFIXES
    assert kb.watch.SUPPORTED_SUFFIXES is SUPPORTED_SUFFIXES is kb.sources.scan.SUPPORTED_SUFFIXES
    # Every readable type has a reader with a version the index records (kb.sources.formats.READER_VERSIONS).
    from kb.sources.formats import READER_VERSIONS, reader_of

    assert {reader_of(suffix.upper()) for suffix in SUPPORTED_SUFFIXES} == set(READER_VERSIONS)
    assert reader_of(".xlsx") == ""


def test_pdf_metadata_title_that_is_a_file_name_is_not_used():
    from pdf_factory import make_pdf

    doc = parse_document(make_pdf(["Harbour report 2021\nThe harbour was dredged."], title="Microsoft Word - draft7.docx"),
                         "r.pdf", ".pdf")
    assert doc.title == "Harbour report 2021"


def test_docx_paragraphs_and_tables_in_reading_order():
    doc = parse_document(make_docx(), "lights.docx", ".docx")
    text = doc.text
    order = ["Harbour lighthouses of Corvel", "two lighthouses on its northern mole",
             "North light | The north light was built in 1874", "South light | The south light",
             "Both lights were automated in 1961.", "Visitors may climb"]
    positions = [text.find(part) for part in order]
    assert -1 not in positions and positions == sorted(positions), text
    assert text.count("Both lights were automated") == 1  # a merged cell is written once
    assert doc.title == "Harbour lighthouses of Corvel"  # the Heading 1, not the first table cell
    assert parse_document(make_docx("Corvel lights survey"), "l.docx", ".docx").title == "Corvel lights survey"


def test_docx_text_as_word_shows_it_tracked_insertions_and_content_controls():
    """python-docx's Paragraph.text reads a paragraph's direct runs only, and iter_inner_content the body's direct
    paragraphs: a tracked insertion was dropped ("The speed limit on company premises is ." was then quoted at 0.99)
    and a paragraph in a content control (forms, templates) was never indexed. A tracked deletion stays out."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def element(tag: str, text: str | None = None, text_tag: str = "w:t", **attrs: str):
        made = OxmlElement(tag)
        for name, value in attrs.items():
            made.set(qn(f"w:{name}"), value)
        if text is not None:
            run, t = OxmlElement("w:r"), OxmlElement(text_tag)
            t.text = text
            run.append(t)
            made.append(run)
        return made

    document = docx.Document()
    limit = document.add_paragraph("The speed limit on company premises is ")
    limit._p.append(element("w:ins", "15 km/h", id="1", author="a"))
    limit._p.append(element("w:del", "20 km/h", "w:delText", id="2", author="a"))
    limit.add_run(".")
    garage = document.add_paragraph("The parking garage is on Level B2.")
    control, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    document.element.body.remove(garage._p)
    content.append(garage._p)
    control.append(content)
    document.element.body.insert(len(document.element.body) - 1, control)
    document.add_paragraph("Visitors sign in at the desk.")
    buffer = io.BytesIO()
    document.save(buffer)
    text = parse_document(buffer.getvalue(), "policy.docx", ".docx").text
    assert text == ("The speed limit on company premises is 15 km/h.\n\nThe parking garage is on Level B2.\n\n"
                    "Visitors sign in at the desk.")


def test_docx_answer_cites_exact_span_of_a_table_cell(make_kb):
    kb = make_kb({"lights.docx": make_docx(), "other.txt": "Pears\n\nThe orchard grows forty varieties of pear."})
    report = kb.build()
    assert report.errors == [] and "lights.docx" in report.added
    answer = kb.ask("Who built the north light?")
    assert not answer.abstained and "Mara Velt" in answer.answer
    document = kb.document_text("lights.docx")
    cited = [c for c in answer.citations if c.source == "lights.docx"]
    assert cited
    for citation in cited:
        assert document[citation.start : citation.end] == citation.text
    assert any("Mara Velt" in c.text for c in cited)


def test_docx_over_the_text_limit_is_refused():
    with pytest.raises(SourceError, match=r"^extracted text over 0\.0001 MB limit"):
        parse_document(make_docx(), "l.docx", ".docx", ReadLimits(max_text_chars=int(0.0001 * 1024 * 1024)))


def test_docx_zip_bomb_is_refused_before_parsing():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/document.xml", "w") as member:  # streamed: the test never holds 65 MB
            for _ in range(65):
                member.write(b" " * (1 << 20))
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(SourceError, match=r"^\.docx unpacks to 65 MB, over the 64 MB limit"):
        parse_document(buffer.getvalue(), "bomb.docx", ".docx", ReadLimits(max_text_chars=1024))


def test_html_over_the_text_limit_is_refused():
    page = ("<html><body>" + "<p>The same paragraph, again and again.</p>" * 3000 + "</body></html>").encode()
    assert parse_document(page, "p.html", ".html").text.count("again and again") == 3000
    with pytest.raises(SourceError, match=r"^extracted text over 0\.01 MB limit"):
        parse_document(page, "p.html", ".html", ReadLimits(max_text_chars=int(0.01 * 1024 * 1024)))


# -- words a PDF's layout broke across lines -------------------------------------------------------------

JUSTIFIED = (
    "Harbour inspection of the northern mole\n"
    "In March the harbour board asked for an indepen-\n"
    "dent review. The well-known engineer Mara Velt con-\n"
    "firmed the authen-\n"
    "ticity of the 1874 drawings, and the Anglo-\n"
    "Saxon charter dated 1998-\n"
    "2001 was filed by a 22-\n"
    "year-old clerk. The dredging -\n"
    "which had stopped - resumed. A well-\n"
    "known soft\u00ad\nhyphen ends here."
)


def test_words_broken_at_pdf_line_ends_are_rejoined():
    from kb.sources.pdf import join_broken_words

    joined = join_broken_words(JUSTIFIED)
    assert "an independent\nreview." in joined  # syllable break: the hyphen goes, the line break moves past the word
    assert "Velt confirmed\nthe authenticity\nof" in joined
    assert "A well-known\nsoft" in joined  # the document writes "well-known" elsewhere: a compound keeps its hyphen
    assert "the Anglo-Saxon\ncharter" in joined  # a capitalized second half is a compound too
    assert "a 22-year-old\nclerk" in joined  # a number's hyphen is never a syllable break
    assert "dated 1998-\n2001" in joined and "dredging -\nwhich" in joined  # a range and a dash are left alone
    assert "softhyphen\nends" in joined and "\u00ad" not in joined
    # Line lengths stay a column's width, so the text is still read as hard-wrapped (kb.text.wrap_width).
    assert max(map(len, joined.split("\n"))) <= max(map(len, JUSTIFIED.split("\n"))) + len("authenticity")
    assert join_broken_words("no breaks at all") == "no breaks at all"


def test_pdf_ligatures_are_spelled_out(monkeypatch):
    import kb.sources.pdf as pdf
    from pdf_factory import make_pdf

    # The factory's Helvetica cannot draw "ﬁ", so the text layer is given as a typeset PDF's would come.
    layer = ["The ﬁnancial ofﬁce ﬂew the ﬂag of the ﬀ Co. and the ﬃrm."]
    monkeypatch.setattr(pdf, "ocr_pdf", lambda *a: layer)
    text, _ = pdf.pdf_to_text(make_pdf([""]))
    assert text == "The financial office flew the flag of the ff Co. and the ffirm."


def test_hyphenated_pdf_is_indexed_and_quoted_with_whole_words(make_kb):
    from pdf_factory import make_pdf

    kb = make_kb({"inspection.pdf": make_pdf([JUSTIFIED.replace("\u00ad", "-")]),
                  "other.txt": "Pears\n\nThe orchard grows forty varieties of pear."})
    assert kb.build().errors == []
    text = kb.document_text("inspection.pdf")
    assert "authenticity" in text and "authen-" not in text
    answer = kb.ask("Who confirmed the authenticity of the drawings?")
    assert not answer.abstained and "Mara Velt" in answer.answer and "authenticity" in answer.answer
    cited = [c for c in answer.citations if c.source == "inspection.pdf"]
    assert cited and all(text[c.start : c.end] == c.text for c in cited)


REPORT_PAGES = [
    "Corvel Harbour Board - Annual Report 2021\n"
    "The board met four times in 2021. In March it asked the engineer Mara\n"
    "Velt to survey the northern mole, which had lost two blocks in the\n"
    "Page 1 of 4",
    "Corvel Harbour Board - Annual Report 2021\n"
    "January storms. Her survey found that the mole would need a new crown\n"
    "wall, at a cost of 2.4 million euros, before the winter of 2022.\n"
    "Page 2 of 4",
    "Corvel Harbour Board - Annual Report 2021\n"
    "Finances\n"
    "The budget was met. Harbour dues rose by four percent, and the board\n"
    "Page 3 of 4",
    "Corvel Harbour Board - Annual Report 2021\n"
    "Harbour Master thanked the pilots. The channel was dredged to a depth of\n"
    "nine metres in August.\n"
    "Page 4 of 4",
]


def test_pdf_pages_lose_their_running_heads_and_keep_sentences_whole():
    from kb.sources.pdf import join_pages

    joined = join_pages(REPORT_PAGES)
    assert "Page" not in joined  # on every page's edge: furniture
    # A running head is dropped but on the first page, where it is often the only statement of the title.
    assert joined.startswith("Corvel Harbour Board - Annual Report 2021\nThe board met") and joined.count("Annual") == 1
    assert "which had lost two blocks in the\nJanuary storms." in joined  # one sentence over two pages
    assert "before the winter of 2022.\n\nFinances" in joined  # a page that ends a sentence ends a paragraph
    assert "and the board\nHarbour Master thanked" in joined  # an unfinished page runs on, a capital or not
    # Fewer than three pages say nothing about what repeats; a line repeated inside pages is text.
    assert join_pages(REPORT_PAGES[:2]).count("Annual Report 2021") == 2
    names = ("Alpha", "Beta", "Gamma")
    pages = [f"Head\n{name} starts.\nThe harbour.\n{name} ends.\nFoot {n}" for n, name in enumerate(names)]
    assert join_pages(pages) == "Head\n" + "\n\n".join(f"{name} starts.\nThe harbour.\n{name} ends." for name in names)
    assert join_pages(["Head\nFoot"] * 3) == "\n\n".join(["Head\nFoot"] * 3)  # all furniture: nothing is dropped


EXPEDITION_PAGES = [f"Expedition log\nDay {n}: the expedition reached camp {n} at an altitude of {3200 + 200 * n} meters.\n"
                    f"The weather held and the porters rested.\nTotal distance covered on day {n}: {8 + n} km.\n"
                    f"Page {n} of 4" for n in range(1, 5)]


def test_a_pdf_sentence_that_changes_only_in_its_numbers_is_text_not_a_running_head(make_kb):
    """Every page of an expedition log opens "Day N: ... reached camp N at an altitude of X meters." and ends with
    the day's distance: lines that, their numbers aside, stand at the same edge of every page. Taken for running
    heads, all but the first day's were dropped, and "What altitude did the expedition reach on day 2?" was answered
    with day 1's 3,400 meters at 0.93. A sentence is text; "Page N of 4" is still furniture."""
    from kb.sources.pdf import join_pages
    from pdf_factory import make_pdf

    joined = join_pages(EXPEDITION_PAGES)
    for n in range(1, 5):
        assert f"reached camp {n} at an altitude of {3200 + 200 * n} meters." in joined
        assert f"Total distance covered on day {n}: {8 + n} km." in joined
    assert "Page" not in joined and joined.count("Expedition log") == 1
    kb = make_kb({"log.pdf": make_pdf(EXPEDITION_PAGES)})
    assert kb.build().errors == []
    answer = kb.ask("What altitude did the expedition reach on day 2?")
    assert "3600 meters" in answer.answer and "3400" not in answer.answer


def test_a_sentence_over_a_pdf_page_break_is_quoted_whole(make_kb):
    from pdf_factory import make_pdf

    kb = make_kb({"report.pdf": make_pdf(REPORT_PAGES),
                  "other.txt": "Pears\n\nThe orchard grows forty varieties of pear."})
    assert kb.build().errors == []
    text = kb.document_text("report.pdf")
    answer = kb.ask("Which part of the northern mole had been lost, and when?")
    assert not answer.abstained and "January storms" in answer.answer and "lost two blocks" in answer.answer
    assert "Annual Report" not in answer.answer and "Page" not in answer.answer
    cited = [c for c in answer.citations if c.source == "report.pdf"]
    assert cited and all(text[c.start : c.end] == c.text for c in cited)


# -- scanned PDFs ----------------------------------------------------------------------------------------

SCANNED_LINES = ["Harbour report", "", "The harbour lighthouse was built in 1874", "by the engineer Mara Velt.",
                 "Its lamp can be seen from 22 nautical miles away."]


def scanned_pdf(lines: list[str]) -> bytes:
    """A PDF that is only a picture of text, as a scanner makes it: no text layer at all."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=44)
    for number, line in enumerate(lines):
        draw.text((150, 200 + number * 80), line, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PDF", resolution=200)
    return buffer.getvalue()


def test_scanned_pdf_without_tesseract_says_how_to_get_it(monkeypatch):
    import kb.sources.ocr as ocr

    monkeypatch.setattr(ocr, "tesseract_path", lambda: None)
    with pytest.raises(SourceError) as caught:
        parse_document(scanned_pdf(SCANNED_LINES), "scan.pdf", ".pdf")
    assert str(caught.value) == NO_TEXT_LAYER == "PDF has no text layer; install tesseract-ocr to read scanned PDFs"


def test_scanned_pdf_over_the_ocr_page_limit_is_skipped(monkeypatch):
    import kb.sources.ocr as ocr

    monkeypatch.setattr(ocr, "tesseract_path", lambda: "/nonexistent/tesseract")  # must not be run
    with pytest.raises(SourceError, match="over the 0 page OCR limit"):
        ocr.ocr_pdf(scanned_pdf(SCANNED_LINES), 1, ReadLimits(ocr_max_pages=0))


@pytest.mark.skipif(shutil.which("tesseract") is None,
                    reason="tesseract not installed (apt-get install tesseract-ocr; `make test` installs it)")
def test_scanned_pdf_is_read_by_ocr_and_cited_exactly(make_kb):
    data = scanned_pdf(SCANNED_LINES)
    from pypdf import PdfReader

    assert not (PdfReader(io.BytesIO(data)).pages[0].extract_text() or "").strip()  # really no text layer
    kb = make_kb({"scan.pdf": data, "other.txt": "Pears\n\nThe orchard grows forty varieties of pear."})
    report = kb.build()
    assert report.errors == [] and "scan.pdf" in report.added
    text = kb.document_text("scan.pdf")
    assert "Mara Velt" in text and "22 nautical miles" in text
    assert kb.documents()[[d.source for d in kb.documents()].index("scan.pdf")].title == "Harbour report"
    answer = kb.ask("Who built the harbour lighthouse?")
    assert not answer.abstained and "Mara Velt" in answer.answer
    cited = [c for c in answer.citations if c.source == "scan.pdf"]
    assert cited and all(text[c.start : c.end] == c.text for c in cited)


# -- titles ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_seed_titles_are_headlines_not_page_furniture(path):
    from kb.sources.titles import is_furniture

    doc = parse_document(path.read_bytes(), path.name, ".txt")
    lines = [" ".join(line.split()) for line in doc.text.splitlines() if line.strip()]
    title = doc.title.rstrip("…")
    assert title and any(line.startswith(title) for line in lines)
    # Whatever came before the title is furniture (a dateline, a byline, a site banner), never a headline.
    before = lines[: next(i for i, line in enumerate(lines) if line.startswith(title))]
    assert all(is_furniture(line, nxt) for line, nxt in zip(before, lines[1:]))
    assert not any(ch.isdigit() for ch in title[:4]) and not title.lower().startswith(("updated", "by "))


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("Updated November 25th, 2022 at 06:45 IST\n\nFerry strike ends after talks", "Ferry strike ends after talks"),
        ("By John Smith\nPublished: 10:30 AM\nCity council approves the new bridge", "City council approves the new bridge"),
        ("https://news.example.org/a/1\nAdvertisement\nFloods close the coastal road", "Floods close the coastal road"),
        ("Example Herald\nExample Herald Ltd.\nMarket closes higher on Friday", "Market closes higher on Friday"),
        ("Monday, 3 March 2021\nThe museum reopens its doors", "The museum reopens its doors"),
        ("Delta\n\nThe delta crew painted the lighthouse blue.", "Delta"),  # a one-word title is still a title
        # a headline the paragraph under it repeats is not a site banner repeated with its legal suffix
        ("The Zorblax Protocol\n\nThe Zorblax Protocol was invented by Ada Quill in 1990 to route mail.",
         "The Zorblax Protocol"),
        ("Published works of the poet are listed below.\nMore text.", "Published works of the poet are listed below."),
    ],
)
def test_title_skips_datelines_bylines_urls_and_banners(head, expected):
    assert parse_document((head + "\n\nBody text follows here.").encode(), "x.txt", ".txt").title == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("<title>Ferry strike ends | Example Herald</title>", None),  # the <h1> over a title with a site suffix
        ("<title>Ferry strike ends - Example Herald</title><meta property='og:title' content='Ferries run again'>",
         "Ferries run again"),
        ("<title>Example Herald</title>", "Example Herald"),
        ("<title>Home | Example Herald</title>", None),  # "Home" is no title: the <h1> is
    ],
)
def test_html_title_prefers_headline_over_site_name(head, expected):
    body = "<body><h1>Example Herald</h1><h1>Ferry strike ends after long talks</h1><p>The text.</p></body>"
    doc = parse_document(f"<html><head>{head}</head>{body}</html>".encode(), "p.html", ".html")
    assert doc.title == (expected or "Ferry strike ends after long talks")
    # Without an <h1>, the <title> less its site suffix.
    bare = "<html><head><title>Ferry strike ends | Example Herald</title></head><body><p>The text.</p></body></html>"
    assert parse_document(bare.encode(), "q.html", ".html").title == "Ferry strike ends"
