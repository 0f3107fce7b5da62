"""Markdown read as Markdown (kb.sources.markdown): its blocks decide where sentences start and end, a table is
quoted whole, list and heading marks are not quoted, front matter names the file. Spans stay the file's own."""

from __future__ import annotations

from kb.sentences import document_sentences
from kb.sources import parse_document
from kb.sources.markdown import markdown_blocks

HANDBOOK = """---
title: "Team handbook"
author: Operations
---

# Team handbook

## Office hours

| Office | Opens | Closes | Manager |
|--------|-------|--------|---------|
| Lisbon | 08:00 | 17:00 | Marta Reis |
| Toronto | 07:30 | 15:30 | Priya Nair |

## Expenses ##

Expenses are filed in Ledgerly within 30 days of the purchase. Receipts over
EUR 50 need a scan; smaller ones can be typed in by hand.

> Claims older than 90 days are
> rejected automatically.

1. Request a laptop from IT two weeks ahead.
2. IT installs the encryption agent before handing it over.

- [x] The pager app is PagerBell.

```sh
oncall --swap --with colleague@example.com

oncall --list
```

Holidays
========
"""


def sentences_of(text: str, name: str = "handbook.md") -> list[str]:
    document = parse_document(text.encode(), name, "." + name.rsplit(".", 1)[1])
    found = document_sentences(document)
    assert all(document.text[s.start:s.end] == s.text for s in found)  # spans are the file's own
    return [s.text for s in found]


def test_a_wrapped_line_that_starts_with_a_capital_continues_its_sentence():
    # Read as plain text, "Receipts over" was a sentence and "EUR 50 need a scan ..." another: the file is too short
    # for kb.text.wrap_width to see that its lines are wrapped.
    found = sentences_of(HANDBOOK)
    assert "Receipts over\nEUR 50 need a scan; smaller ones can be typed in by hand." in found
    assert "Claims older than 90 days are\n> rejected automatically." in found
    note = "Expenses are filed in Ledgerly within 30 days of the purchase. Receipts over\nEUR 50 need a scan.\n"
    assert sentences_of(note, "note.md")[1] == "Receipts over\nEUR 50 need a scan."
    assert sentences_of(note, "note.txt")[1] == "Receipts over"  # as plain text (unchanged): too short to tell


def test_a_table_is_one_quote_and_its_rows_do_not_run_into_the_text_around_it():
    found = sentences_of(HANDBOOK)
    table = [s for s in found if s.startswith("| Office")]
    assert table == ["| Office | Opens | Closes | Manager |\n|--------|-------|--------|---------|\n"
                     "| Lisbon | 08:00 | 17:00 | Marta Reis |\n| Toronto | 07:30 | 15:30 | Priya Nair |"]


def test_a_table_too_long_to_quote_is_quoted_a_row_at_a_time():
    rows = "".join(f"| office {i} | {i:02d}:00 |\n" for i in range(200))
    found = sentences_of("| Office | Opens |\n|---|---|\n" + rows + "\nAfter the table.\n", "offices.md")
    assert found[0] == "| Office | Opens |" and found[1] == "| office 0 | 00:00 |" and found[-1] == "After the table."
    assert len(found) == 202


def test_list_quote_and_heading_marks_are_not_quoted():
    found = sentences_of(HANDBOOK)
    assert "Request a laptop from IT two weeks ahead." in found  # not "1. Request ..."
    assert "IT installs the encryption agent before handing it over." in found
    assert "The pager app is PagerBell." in found  # not "- [x] The pager app ..."
    assert "Expenses" in found and "Office hours" in found and "Holidays" in found  # "## Expenses ##", setext
    assert not any(s.startswith(("#", "-", ">", "1.", "=")) for s in found)


def test_a_blockquotes_later_sentences_begin_past_their_quote_marks():
    """Only the first line's marks were skipped: "> She signs all\n> release tags." was a sentence, and the file's
    title was "> the release manager ..."."""
    text = "> The release manager is Ingrid Holm.\n> She signs all\n> release tags.\n"
    assert sentences_of(text, "notes.md") == ["The release manager is Ingrid Holm.", "She signs all\n> release tags."]
    assert parse_document(text.encode(), "notes.md", ".md").title == "The release manager is Ingrid Holm."


def test_a_quoted_answer_reads_without_the_quote_marks_of_its_lines(make_kb):
    kb = make_kb({"notes.md": "> The release manager is Ingrid Holm.\n> She signs all\n> release tags.\n"})
    kb.build()
    # (Not "Who signs the release tags?": "She signs all release tags." names no one, and adds nothing to that question;
    # docs/quality.md, "The thirtieth stop", item 13.)
    answer = kb.ask("What does the release manager sign?")
    assert "She signs all release tags. [1]" in answer.answer and ">" not in answer.answer, answer.answer
    assert answer.citations[0].text.endswith("She signs all\n> release tags.")  # the citation is the file's text


def test_an_answer_from_markdown_reads_without_its_inline_marks(make_kb):
    """"The **Gull observatory** was built by [Maria Lopez](https://...)" was the answer as typed; the citation keeps
    the file's text, marks and all. A plain text file's asterisks are its own."""
    line = "The **Gull observatory** was built by [Maria Lopez](https://example.com/maria_lopez) in `1998`."
    kb = make_kb({"gull.md": f"# Gull\n\n{line}\n", "plain.txt": "Notes\n\nThe **Heron hide** was built by Ana Ruiz.\n"})
    kb.build()
    answer = kb.ask("Who built the Gull observatory?")
    assert answer.answer.startswith("The Gull observatory was built by Maria Lopez in 1998. [1]")
    assert answer.citations[0].text == line
    assert "**Heron hide**" in kb.ask("Who built the Heron hide?").answer


def test_code_is_quoted_a_stanza_at_a_time_without_its_fences():
    found = sentences_of(HANDBOOK)
    assert "oncall --swap --with colleague@example.com" in found and "oncall --list" in found
    assert not any("```" in s for s in found)


def test_front_matter_names_the_file_and_its_lines_are_statements_of_their_own():
    document = parse_document(HANDBOOK.encode(), "handbook.md", ".md")
    assert document.title == "Team handbook"
    found = sentences_of(HANDBOOK)
    assert found[:3] == ['title: "Team handbook"', "author: Operations", "Team handbook"]
    # Without a title key, the first heading below the header names it (it was "title: ..." or "---" before).
    untitled = HANDBOOK.replace('title: "Team handbook"\n', "date: 2024-05-01\n")
    assert parse_document(untitled.encode(), "h.md", ".md").title == "Team handbook"


def test_a_line_of_its_own_in_a_file_without_blank_lines_stays_a_sentence_of_its_own():
    # Text saved as .md a paragraph a line: CommonMark runs it into one paragraph, but a short line without a
    # sentence mark (a headline, a byline) is not wrapped text and stays a sentence of its own.
    text = ("Russia Planned To Attack Japan in 2021: Leaked FSB Letters\nBy Jane Doe\n"
            "The letter, dated March 2021, was sent by a whistleblower to a human rights group in France. "
            "It is long.\n")
    assert sentences_of(text, "news.md") == [
        "Russia Planned To Attack Japan in 2021: Leaked FSB Letters", "By Jane Doe",
        "The letter, dated March 2021, was sent by a whistleblower to a human rights group in France.", "It is long."]


def test_spans_are_exact_in_a_file_with_windows_line_ends():
    text = HANDBOOK.replace("\n", "\r\n")
    for block in markdown_blocks(text):
        assert text[block.start:block.end] == text[block.start:block.end].strip()
    found = sentences_of(text)
    assert "The pager app is PagerBell." in found and "Team handbook" in found
    assert any(s.startswith("| Office") and s.endswith("Priya Nair |") for s in found)


def test_text_past_the_parsers_nesting_limit_is_still_quotable():
    # markdown-it stops reading a container nested deeper than 20 levels (a guard against deep recursion) and drops
    # the rest of it; those lines are split as plain text instead, so nothing of the file is lost to answers.
    found = sentences_of("- " * 60 + "The deep item is here.\n\nAfter the list.\n", "deep.md")
    assert any(s.endswith("The deep item is here.") for s in found) and found[-1] == "After the list."
    found = sentences_of(">" * 50 + " A quoted claim.\n\nNext paragraph.\n", "deep.md")
    assert any(s.endswith("A quoted claim.") for s in found) and found[-1] == "Next paragraph."


def test_asked_of_a_markdown_file_kb_quotes_whole_statements_without_their_marks(make_kb):
    kb = make_kb({"handbook.md": HANDBOOK})
    kb.build()
    answer = kb.ask("Which receipts need a scan?")
    assert not answer.abstained and answer.citations[0].text.startswith("Receipts over\nEUR 50 need a scan")
    answer = kb.ask("What does IT install before handing it over?")
    assert answer.citations[0].text == "IT installs the encryption agent before handing it over."
    assert kb.documents()[0].title == "Team handbook"
    # A row alone does not say what its cells are: the table is the quote, with the row that answers in it, and
    # the answer shows it a row a line.
    answer = kb.ask("Who manages the Toronto office?")
    assert answer.citations[0].text.startswith("| Office |")
    assert "\n| Toronto | 07:30 | 15:30 | Priya Nair | [1]" in answer.answer


FAQ = """# Frequently asked questions

## How do I reset my password?

Open Settings, choose Security and press "Reset password". A link arrives by email within five minutes.

## Who can see my notes?

Only you, unless you share a notebook.

## Is there a desktop app?
## What happens when my trial ends?

Your notes stay readable, but you cannot create new notebooks until you subscribe.
"""


def test_a_question_heading_and_the_sentence_below_it_are_one_statement():
    found = sentences_of(FAQ, "faq.md")
    assert "Who can see my notes?\n\nOnly you, unless you share a notebook." in found
    assert 'How do I reset my password?\n\nOpen Settings, choose Security and press "Reset password".' in found
    assert "A link arrives by email within five minutes." in found  # only the first sentence joins its question
    assert "Is there a desktop app?" in found  # a question answered by another question stays alone
    assert not any(s.endswith("?") and s.startswith("What happens") for s in found)


def test_asked_of_an_faq_kb_answers_with_the_question_and_its_answer(make_kb):
    # Apart, the question was never an answer and the answer never said what it answered: kb abstained on the
    # page's own question, word for word.
    kb = make_kb({"faq.md": FAQ})
    kb.build()
    answer = kb.ask("What happens when my trial ends?")
    assert answer.citations and answer.citations[0].text.endswith("until you subscribe.")
    assert answer.answer.startswith("What happens when my trial ends? Your notes stay readable")


def test_a_question_heading_over_a_table_leaves_the_table_whole():
    found = sentences_of("## When are the offices open?\n\n| Office | Opens |\n|---|---|\n| Oslo | 09:00 |\n", "hours.md")
    assert found == ["When are the offices open?", "| Office | Opens |\n|---|---|\n| Oslo | 09:00 |"]
