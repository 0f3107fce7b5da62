"""Sources: each format yields the text spans refer to, a title, a date, a hash; bad files are reported."""

from __future__ import annotations

import hashlib
import os

import pytest

from kb.errors import SourceError, UsageError
from kb.sources import parse_document, scan_sources
from pdf_factory import make_blank_pdf, make_pdf


def test_text_file_is_decoded_unchanged_with_title_date_and_hash():
    raw = "\n\nUpdated November 25th, 2022 at 06:45 IST\n\nRussia planned to attack\r\nJapan.\n".encode()
    doc = parse_document(raw, "a/b.txt", ".txt")
    assert doc.text == raw.decode()  # unchanged, \r\n included: spans index the file itself
    assert doc.title == "Russia planned to attack"  # the headline, not the dateline above it
    assert doc.date == "2022-11-25"
    assert doc.sha256 == hashlib.sha256(raw).hexdigest()
    assert doc.source == "a/b.txt"


def test_seed_dates_and_titles():
    from paths import SEEDS

    doc = parse_document((SEEDS / "000_e2d6aa4c41083281.txt").read_bytes(), "000.txt", ".txt")
    assert doc.date == "2022-11-25"
    long_first_line = parse_document((SEEDS / "002_ca43ca88587e13da.txt").read_bytes(), "002.txt", ".txt")
    assert len(long_first_line.title) <= 121 and long_first_line.title.endswith("…")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Published 3 March 2021", "2021-03-03"), ("posted 2020-02-29 here", "2020-02-29"), ("no date at all", None),
     ("Sept. 9, 2019 was a day", "2019-09-09"), ("February 30, 2020", None)],
)
def test_date_formats(text, expected):
    assert parse_document(f"Title\n{text}\n".encode(), "x.txt", ".txt").date == expected


def test_markdown_title_drops_hashes():
    doc = parse_document(b"# My Notes\n\nBody text here.", "n.md", ".md")
    assert doc.title == "My Notes"
    assert doc.text.startswith("# My Notes")


def test_html_keeps_visible_text_only():
    html = (
        "<html><head><title>The Page</title><style>p{color:red}</style><script>var secret=1;</script></head>"
        "<body><h1>Heading</h1><p>First &amp; visible paragraph.</p><div>Second<br>line</div>"
        "<noscript>hidden</noscript></body></html>"
    ).encode()
    doc = parse_document(html, "p.html", ".html")
    assert doc.title == "The Page"
    assert "First & visible paragraph." in doc.text
    assert "Second\nline" in doc.text
    for invisible in ("secret", "color:red", "hidden", "The Page"):
        assert invisible not in doc.text


HIDDEN_MARKUP = [
    '<div style="display:none">SECRET</div>',
    '<DIV STYLE="DISPLAY: None !important">SECRET</DIV>',
    '<p style="color: red; visibility : hidden">SECRET</p>',
    '<span style="display:/* off */none;">SECRET</span>',
    '<div style="display: none !important; display: block">SECRET</div>',  # !important wins over the later one
    "<section hidden>SECRET</section>",
    '<p hidden="hidden">SECRET</p>',
    '<span aria-hidden="TRUE">SECRET</span>',
    "<template><p>SECRET</p></template>",
    "<noscript><p>SECRET</p></noscript>",
    "<dialog><p>SECRET</p></dialog>",
    "<svg><title>SECRET</title></svg>",
]


@pytest.mark.parametrize("hidden", HIDDEN_MARKUP)
def test_html_content_a_browser_hides_is_not_read(hidden):
    """A user asked "What is the password?" and kb quoted "Hidden: the password is hunter2" from a display:none div:
    a page's hidden text was indexed and cited, and could carry instructions to an LLM no reader ever sees."""
    page = f"<html><body><h1>Guide</h1><p>Visible before.</p>{hidden}<p>Visible after.</p></body></html>"
    doc = parse_document(page.encode(), "p.html", ".html")
    assert "SECRET" not in doc.text and "SECRET" not in doc.title
    assert doc.text == "Guide\n\nVisible before.\n\nVisible after."


def test_html_hidden_inside_visible_hides_only_itself():
    page = (b'<div><p>The door code is <span style="display:none">not </span>4471.</p>'
            b'<div style="visibility:hidden">Gone <b>entirely</b> <em style="visibility:visible">but this</em></div>'
            b'<p style="display:block">Kept.</p><p hidden="until-found">Found in page.</p>'
            b'<dialog open>An open dialog.</dialog></div>'
            b"<table><tr><th>Key</th><th>Value</th></tr><tr hidden><td>pin</td><td>9999</td></tr>"
            b"<tr><td>port</td><td>8080</td></tr></table><p>Tail.</p>")
    doc = parse_document(page, "p.html", ".html")
    for hidden in ("not", "Gone", "entirely", "pin", "9999"):
        assert hidden not in doc.text.split()
    for shown in ("The door code is 4471.", "but this", "Kept.", "Found in page.", "An open dialog.", "Tail."):
        assert shown in doc.text
    # Spans stay exact: the table a block names is the text the reader returned, without its hidden row.
    (table,) = [block for block in doc.blocks if block.kind == "table"]
    assert doc.text[table.start:table.end] == "Key | Value\nport | 8080"


@pytest.mark.parametrize("markup", [
    '<section><p>Before.</p><div style="display:none">Secret never closed.</section><p>After.</p>',
    "<ul><li hidden>Secret item<li>After.</ul>",
    "<div><p hidden>Secret paragraph<div>After.</div></div>",
    "<div><div hidden/>Secret after a self-closed div</div><p>After.</p>",
    '<p><img hidden src="a.png"><br hidden><input type="hidden" value="x">After.</p>',
    "<div><template><p>Secret</div><p>Secret too</p></template></div><p>After.</p>",
    "<div aria-hidden=true>Secret</span></p></li></td></table></template>More secret</div><p>After.</p>",
])
def test_an_unclosed_or_odd_hidden_element_hides_at_most_to_its_parents_end(markup):
    doc = parse_document(f"<html><body>{markup}</body></html>".encode(), "p.html", ".html")
    assert "After." in doc.text and "Secret" not in doc.text


def test_deeply_nested_html_keeps_hidden_text_hidden():
    # Past the reader's bound on open elements (4096), a new element replaces the innermost and keeps its
    # hiddenness; 200,000 unclosed tags and as many stray end tags are read in linear time.
    page = ("<b>" * 10_000 + '<div style="display:none">' + "<i>" * 50 + "Secret" + "</i>" * 50
            + "</div>" + "<p>After.</p>" + "<u>" * 200_000 + "</x>" * 200_000 + "Tail.")
    doc = parse_document(page.encode(), "p.html", ".html")
    assert "Secret" not in doc.text and "After." in doc.text and "Tail." in doc.text


def test_html_nav_menu_is_not_read_but_header_and_footer_are():
    # A site menu ("Home Pricing Contact") is on every page and matched every question on its words.
    page = (b"<header>Kestrel Ltd</header><nav><ul><li><a href='/'>Home</a><li><a href='/p'>Pricing</a></ul></nav>"
            b"<main><p>Our support team answers within a day.</p></main>"
            b"<footer>Call us on 020 7946 0321.</footer>")
    doc = parse_document(page, "p.html", ".html")
    assert doc.text == "Kestrel Ltd\n\nOur support team answers within a day.\n\nCall us on 020 7946 0321."


HIDDEN_FACT_PAGE = (b"<html><head><title>Office guide</title></head><body><h1>Office guide</h1>"
                    b"<p>The office opens at 8am and closes at 6pm on weekdays.</p>"
                    b'<div style="display:none">Hidden: the password is hunter2.</div>'
                    b"<p>Visitors sign in at the front desk on the ground floor.</p></body></html>")


def test_a_hidden_fact_is_never_answered_and_a_visible_one_is(make_kb):
    kb = make_kb({"guide.html": HIDDEN_FACT_PAGE})
    kb.build()
    hidden = kb.ask("What is the password?")
    assert hidden.abstained and not hidden.citations and "hunter2" not in hidden.answer
    assert "hunter2" not in kb.document_text("guide.html")
    shown = kb.ask("When does the office open?")
    assert not shown.abstained and "8am" in shown.answer
    assert shown.citations and all("hunter2" not in citation.text for citation in shown.citations)


def test_html5_block_elements_end_their_lines():
    # Not known as blocks, a page's heading, main text and sidebar ran together: "HomeBody text.Side".
    doc = parse_document(b"<hgroup>Home</hgroup><main><figure>A chart</figure>Body text.</main><aside>Side</aside>"
                         b"<address>1 Quay Street</address>", "p.html", ".html")
    assert doc.text.split() == ["Home", "A", "chart", "Body", "text.", "Side", "1", "Quay", "Street"]
    assert [line for line in doc.text.splitlines() if line] == ["Home", "A chart", "Body text.", "Side",
                                                                "1 Quay Street"]


def test_html_soft_hyphens_are_not_text():
    doc = parse_document(b"<p>The recog&shy;nition of the inde\xc2\xadpendent board.</p>", "p.html", ".html")
    assert "The recognition of the independent board." in doc.text


GLOSSARY = (b"<h1>Billing glossary</h1><p>The terms used on invoices.</p><dl>\n"
            b"<dt>Proration</dt>\n<dd>A charge for part of a billing period, computed from the days used.</dd>\n"
            b"<dt>Dunning</dt><dd>The emails sent to a customer whose card payment failed, three days apart.</dd>\n"
            b"<dt>How is a refund paid?</dt><dd>To the card that paid.</dd><dd>Or as a credit note.</dd>\n"
            b"<dt>Grace period</dt></dl><p>More terms are added each quarter.</p>")


def test_an_html_definition_reads_on_its_terms_line():
    text = parse_document(GLOSSARY, "g.html", ".html").text
    assert "\nProration: A charge for part of a billing period, computed from the days used.\n" in text
    assert "\nHow is a refund paid? To the card that paid.\n\nOr as a credit note.\n" in text  # no "?:"
    assert text.endswith("\nGrace period\n\nMore terms are added each quarter.")  # a term with no definition


def test_asked_of_a_glossary_kb_answers_with_the_term_and_its_definition(make_kb):
    # Laid out a term a line, the definition never said "dunning", and kb abstained on every term.
    kb = make_kb({"glossary.html": GLOSSARY})
    kb.build()
    answer = kb.ask("What is dunning?")
    assert answer.citations and answer.citations[0].text.startswith("Dunning: The emails sent to a customer")


def test_pdf_text_layer_and_metadata_title():
    doc = parse_document(make_pdf(["The first page says hello.", "Page two."], title="Quarterly"), "r.pdf", ".pdf")
    assert doc.title == "Quarterly"
    assert "The first page says hello." in doc.text and "Page two." in doc.text


@pytest.mark.parametrize(
    ("data", "suffix", "reason"),
    [
        (b"", ".txt", "empty"),
        (b"  \n\t \n", ".txt", "whitespace"),
        (b"\x00\x01\x02binary\x00data" * 10, ".txt", "binary"),
        (make_blank_pdf(), ".pdf", "no text layer"),
        (b"%PDF-1.4 garbage that is not a pdf", ".pdf", "PDF"),
        (b"anything", ".docx", "not a .docx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old word", ".docx", "password-protected or old-format"),
        (b"anything", ".xlsx", "unsupported"),
    ],
)
def test_bad_files_raise_a_reason(data, suffix, reason):
    with pytest.raises(SourceError, match=reason):
        parse_document(data, "bad" + suffix, suffix)


def test_other_encodings_are_decoded():
    assert parse_document("Café crème".encode("latin-1"), "l.txt", ".txt").text == "Café crème"
    assert parse_document("Grüße aus Köln".encode("utf-16"), "u.txt", ".txt").text == "Grüße aus Köln"
    assert parse_document("\ufeffBOM text".encode("utf-8"), "b.txt", ".txt").text == "BOM text"


def test_an_html_page_is_decoded_as_its_meta_charset_declares():
    """A Cyrillic page in windows-1251 was read as cp1252 and indexed as "Íîâûé ìîñò": never answered, no warning."""
    body = "<h1>Новый мост</h1><p>Мост открыл мэр Ильсур Метшин.</p>"
    for head, codec in (('<meta charset="windows-1251">', "cp1251"),
                        ('<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R">', "koi8_r")):
        page = parse_document(f"<html><head>{head}</head><body>{body}</body></html>".encode(codec), "r.html", ".html")
        assert "Мост открыл мэр Ильсур Метшин." in page.text and page.title == "Новый мост"
    # Valid UTF-8 wins over a wrong declaration, and an unknown one is ignored.
    mislabelled = f'<meta charset="windows-1251">{body}'.encode("utf-8")
    assert "Мост открыл" in parse_document(mislabelled, "m.html", ".html").text
    unknown = '<meta charset="no-such-codec"><p>Café crème.</p>'.encode("latin-1")
    assert "Café crème." in parse_document(unknown, "u.html", ".html").text


def test_scan_skips_hidden_temp_and_outside_links(tmp_path):
    root = tmp_path / "src"
    (root / "sub").mkdir(parents=True)
    (root / "keep.txt").write_text("kept")
    (root / "sub" / "deep.md").write_text("deep")
    (root / ".hidden.txt").write_text("no")
    (root / "draft.txt~").write_text("no")
    (root / ".#lock.txt").write_text("no")
    (root / "photo.jpg").write_bytes(b"\xff\xd8")
    (root / "big.txt").write_text("x" * 3000)
    outside = tmp_path / "secret.txt"
    outside.write_text("outside")
    os.symlink(outside, root / "link.txt")
    os.symlink(root / "keep.txt", root / "inside_link.txt")
    files, failures = scan_sources(root, max_bytes=2000)
    assert [f.source for f in files] == ["inside_link.txt", "keep.txt", "sub/deep.md"]
    reasons = {f.source: f.error for f in failures}
    assert "outside" in reasons["link.txt"]
    assert "unsupported" in reasons["photo.jpg"]
    assert "limit" in reasons["big.txt"]
    assert not any(".hidden" in s or "~" in s for s in reasons)


def test_scan_rejects_missing_folder(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        scan_sources(tmp_path / "nope", max_bytes=10)


def test_a_date_in_the_body_is_not_the_publication_date():
    body = "Title\n\n" + "Filler sentence about nothing in particular. " * 40
    text = body + "\nAn RBC report published on August 20, 2021, citing declassified documents, said that tests were run.\n"
    assert parse_document(text.encode(), "x.txt", ".txt").date is None
    assert parse_document((text + "\nPublished November 25th, 2022 at 06:45 IST\n").encode(), "y.txt", ".txt").date == "2022-11-25"
