"""The publication date a document states about itself, and date recognition shared with title picking."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"]
    )
}
_MONTH_RE = "(" + "|".join(_MONTHS) + "|sept|" + "|".join(m[:3] for m in _MONTHS) + r")\.?"
_DATE_PATTERNS = [
    re.compile(_MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.I),  # November 25th, 2022
    re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_RE + r",?\s+(\d{4})", re.I),  # 25 November 2022
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),  # 2022-11-25
]
_DATE_CUE = re.compile(r"\b(updated|published|posted|date[d]?)\b", re.I)


def find_date(text: str) -> str | None:
    """Publication date stated in the text, as ISO, or None.

    Only a date the text presents as its own counts: one on an "Updated / Published / Posted" line (near the top
    or the bottom), or a short date line among the first lines, like a byline. A date in the body ("a report
    published on August 20, 2021" deep in an article) is an event, not the article's date.
    """
    head = [line for line in text[:4000].splitlines() if line.strip()]
    for line in head + text[-1000:].splitlines():
        cue = _DATE_CUE.search(line)
        # "Published November 25th, 2022" or a short dateline; not a sentence that mentions a publication.
        if cue and (not line[: cue.start()].strip() or len(line.strip()) <= 80) and (dates := dates_in(line)):
            return dates[0]
    for line in head[:6]:
        if len(line.strip()) <= 40 and (dates := dates_in(line)):
            return dates[0]
    return None


def dates_in(line: str) -> list[str]:
    found = []
    for pattern_no, pattern in enumerate(_DATE_PATTERNS):
        for m in pattern.finditer(line):
            try:
                if pattern_no == 0:
                    d = date(int(m.group(3)), _MONTHS[_month(m.group(1))], int(m.group(2)))
                elif pattern_no == 1:
                    d = date(int(m.group(3)), _MONTHS[_month(m.group(2))], int(m.group(1)))
                else:
                    d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except (ValueError, KeyError):
                continue
            found.append(d.isoformat())
    return found


def _month(name: str) -> str:
    name = name.lower().rstrip(".")
    return next(m for m in _MONTHS if m.startswith(name))
