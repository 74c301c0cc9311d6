"""Plain text and Markdown: UTF-8 only, title and date guessed from the first lines.

Markdown headings (found by markdown-it-py, so a `#` inside a code block is no heading) become
sections; the text is kept as written, markup included, so citations quote the file itself.
Does not guess encodings: decoding with replacement characters would put text in the index,
and in citations, that is not in the file.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ..dates import find_dates
from .record import Loaded, Unreadable

_HEAD = 1 << 16
# A date line such as "date 2025-11-13", "Date: 2025-11-13" or "Published: November 16, 2025".
_DATE_LINE = re.compile(r"^\s*(?:date|published(?: at| on)?|updated)\s*:?\s*(?P<date>.+)$", re.I)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_LETTERS = re.compile(r"[A-Za-z]+")


def read(path: Path, *, markdown: bool = False) -> Loaded:
    """The text file at `path`."""
    return parse(decode(path.read_bytes()), markdown=markdown)


def parse(text: str, *, markdown: bool = False) -> Loaded:
    """A record for `text`, with its title, the date it gives, and for Markdown its headings."""
    text = text.lstrip("\ufeff")
    title, date = title_and_date(text, markdown=markdown)
    return Loaded(text=text, title=title, date=date, sections=_headings(text) if markdown else ())


def decode(raw: bytes) -> str:
    """`raw` as UTF-8 text, or `Unreadable` saying why it is none."""
    if not raw or raw.isspace():
        raise Unreadable("empty")
    if b"\x00" in raw[:8192]:
        raise Unreadable("binary")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                         "convert it, e.g. iconv -f latin1 -t utf-8") from None


def title_and_date(text: str, markdown: bool = False) -> tuple[str, dt.date | None]:
    """The title and date the top of `text` gives: a real headline, a date line or the first date."""
    # The title and date are near the top: a 50 MB file need not be split into lines for them.
    lines = [line.strip() for line in text[:_HEAD].splitlines() if line.strip()]
    date = next((d for d in map(_explicit_date, lines[:10]) if d), None)
    if date is None:
        date = first_date(text[:1500])
    title = lines[0] if lines else ""
    if markdown:
        title = next((line.lstrip("#").strip() for line in lines if line.startswith("#")), title)
    else:
        # Scraped pages often open with a stray word ("Advertisement", "X"): prefer a real headline.
        title = next((line for line in lines[:5] if len(line.split()) >= 4), title)
    title = _strip_date_prefix(title)
    return title[:200], date


def first_date(text: str) -> dt.date | None:
    """The first valid whole date written in `text`: "2025-11-16", "November 16, 2025", "Nov. 16, 2025", "16 Nov 2025".

    Written dates are found by `rag.dates` (the one home of date forms). A date needs its year, month
    and day, a month word written with a capital, and a slashed date a day over 12 ("6/19/2020"; "6/7/2020"
    could be either order). Not dateutil's fuzzy parser: it makes a date out of "5 apples in 2020".
    """
    for written in find_dates(text):
        if None in written.value or not _plausible(text[written.start:written.end]):
            continue
        date = _date(written.year, written.month, written.day)
        if date is not None:
            return date
    return None


def _plausible(span: str) -> bool:
    """Whether a written date is one a reader would take as a date: a month word with its capital ("may 5,
    2020" is more likely a verb), a slashed date that reads one way only."""
    words = _LETTERS.findall(span)
    if words:
        return all(word[0].isupper() or word.lower() in ("of", "st", "nd", "rd", "th") for word in words)
    if "/" in span:
        month, day, _ = span.split("/")
        return int(day) > 12 or month.lstrip("0") == day.lstrip("0")
    return True


def _headings(text: str) -> tuple[tuple[int, str], ...]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text)
    line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", text)]
    sections = []
    for token, inline in zip(tokens, tokens[1:]):
        if token.type == "heading_open" and token.map and inline.content.strip():
            sections.append((line_starts[token.map[0]], inline.content.strip()))
    return tuple(sections)


def _explicit_date(line: str) -> dt.date | None:
    match = _DATE_LINE.match(line)
    return first_date(match["date"][:40]) if match else None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _strip_date_prefix(title: str) -> str:
    match = _DATE_LINE.match(title)
    if match and _ISO.match(match["date"]):
        return match["date"][10:].strip() or title
    return title
