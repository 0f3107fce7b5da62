"""A document's title: its headline, not the page furniture printed above it.

Articles saved as text often start with a dateline ("Updated November 25th, 2022 at 06:45 IST"), a byline
("By John Smith"), a URL, a web furniture ("Advertisement", "Skip to content") or the site's name (printed once as a logo and
again with its legal suffix, "Example News" / "Example News Ltd."). Those lines say nothing about what the
document is about, and a title is what the UI and every citation show, so they are passed over. The rules
describe kinds of lines, never particular documents.
"""

from __future__ import annotations

import re

from kb.sources.dates import dates_in

TITLE_LIMIT = 120
_HEAD_LINES = 12  # a headline sits near the top; past this the first line is as good a guess as any

_DATELINE_CUE = re.compile(r"^(last\s+)?(updated|published|posted|modified|created|date[d]?)\b", re.I)
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\s*(am|pm|a\.m\.|p\.m\.)?\b", re.I)
_BYLINE = re.compile(r"^(by|reported by|written by|posted by|words by|author|authors|story by)\b\s*:?\s+\S", re.I)
_URL = re.compile(r"^(https?://\S+|www\.\S+|[\w-]+(\.[\w-]+)*\.[a-z]{2,}(/\S*)?)$", re.I)
_LEGAL_SUFFIX = re.compile(r"\b(ltd|limited|inc|llc|llp|gmbh|corp|corporation|plc|co|s\.a|ag|pty)\.?$", re.I)
_WEB_FURNITURE = {
    "advertisement", "advertisements", "ad", "sponsored", "menu", "home", "search", "share", "share this",
    "subscribe", "sign in", "log in", "login", "skip to content", "skip to main content", "navigation",
    "close", "print", "email", "comments", "breaking news", "latest news", "top stories", "related",
}
_SITE_SEPARATORS = (" | ", " :: ", " — ", " – ", " - ", " · ")


def shorten(line: str, limit: int = TITLE_LIMIT) -> str:
    """A title line cut at a word boundary when it is a whole paragraph rather than a headline."""
    line = " ".join(line.split())
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


_MARKDOWN_MARKS = re.compile(r"^(?:#+|(?:>\s*)+(?:[-*+]\s+)?|[-*+]\s+)")


def title_from_text(text: str, strip_markup: bool = False) -> str:
    """The first line near the top that is not a dateline, byline, URL, navigation or site banner.

    ``strip_markup`` drops Markdown heading, quote and list marks ("# Title", "> Quoted", "- Item"). When every line
    near the top is furniture,
    the first line is the title after all: a document of datelines still needs a name.
    """
    lines: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if strip_markup:
            line = _MARKDOWN_MARKS.sub("", line).strip()
        if line:
            lines.append(line)
        if len(lines) > _HEAD_LINES:
            break
    for i, line in enumerate(lines[:_HEAD_LINES]):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if not is_furniture(line, following):
            return shorten(line)
    return shorten(lines[0]) if lines else ""


def is_furniture(line: str, following: str = "") -> bool:
    """True for a line that frames an article rather than naming it. ``following`` is the next non-empty line."""
    words = line.split()
    if line.lower().strip(" :.|»›>") in _WEB_FURNITURE or not any(ch.isalpha() for ch in line):
        return True  # "Advertisement", "Skip to content", a lone number or date
    if _URL.match(line) or line.count(" | ") >= 2:
        return True  # a link, or a navigation bar "Home | World | Sport"
    if _BYLINE.match(line) and len(line) <= 80:
        return True
    if len(line) <= 80 and (_is_dateline(line) or _is_date_and_time(line)):
        return True
    if len(words) <= 5 and not line.endswith(("?", "!")):
        # A site banner: the name with a legal suffix, or a name the next line repeats with one.
        if _LEGAL_SUFFIX.search(line):
            return True
        # The next line must be a banner too ("Example News" / "Example News Ltd."): a headline is often
        # repeated by the paragraph under it ("The Zorblax Protocol" / "The Zorblax Protocol was invented ...").
        if (following.lower().startswith(line.lower()) and len(following) > len(line)
                and len(following.split()) <= len(words) + 3):
            return True
    return False


def _is_dateline(line: str) -> bool:
    """"Updated November 25th, 2022 at 06:45 IST", "Published: 10:30": a cue word, then a date or a time."""
    return bool(_DATELINE_CUE.match(line)) and bool(dates_in(line) or _TIME.search(line))


def _is_date_and_time(line: str) -> bool:
    """A line that is only a date (and maybe a time, a weekday, a zone): nothing else is left once they go."""
    if not dates_in(line):
        return False
    rest = _TIME.sub(" ", line)
    rest = re.sub(r"\d+(st|nd|rd|th)?|[,.:;|/()-]", " ", rest)
    leftover = [w for w in rest.split() if not _is_calendar_word(w)]
    return len(leftover) <= 2  # e.g. "IST", "Monday", "at"


_CALENDAR = re.compile(
    r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?$|^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?$|^at$",
    re.I,
)


def _is_calendar_word(word: str) -> bool:
    return bool(_CALENDAR.match(word))


def split_site_suffix(title: str) -> tuple[str, str]:
    """("Headline", "Site Name") for "Headline | Site Name"; (title, "") when there is no short site suffix."""
    title = " ".join(title.split())
    for separator in _SITE_SEPARATORS:
        head, found, site = title.rpartition(separator)
        if found and head.strip() and 0 < len(site.split()) <= 4:
            return head.strip(), site.strip()
    return title, ""


def pick_explicit_title(candidates: list[str], text: str, strip_markup: bool = False) -> str:
    """The first usable title the format states (metadata, headings), else the headline found in the text.

    A stated title that is only a site name, a dateline or a file name ("Microsoft Word - draft.docx") is not
    used.
    """
    sites = {split_site_suffix(c)[1].lower() for c in candidates if c}
    sites.discard("")
    for candidate in candidates:
        candidate = " ".join((candidate or "").split())
        if not candidate or candidate.lower() in sites:
            continue
        if re.search(r"\.(docx?|pdf|txt|html?|odt|rtf)$", candidate, re.I) or candidate.lower() in ("untitled", "title"):
            continue
        if _is_dateline(candidate) or _is_date_and_time(candidate) or _URL.match(candidate):
            continue
        return shorten(candidate)
    return title_from_text(text, strip_markup)
