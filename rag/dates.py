"""Dates and years as written in running text: "December 1, 2017", "1 Dec 2017", "Dec. 2015", "6/19/2020".

Shared by answer completion and the question's constraints. Finds written dates with their span,
so a caller can quote the text exactly; it does not parse relative dates ("last Tuesday") or
ranges ("October 10-24, 1964" gives October 24, 1964 only as "October ... 1964").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|" \
        r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
YEAR = r"(?:1[6-9]\d\d|20\d\d)"

# Most specific first, so a "Month Day, Year" is not also taken as "Month Year".
_FORMS = (
    ("month_day_year", rf"(?P<m>{MONTH})\s+(?P<d>{DAY}),?\s+(?P<y>{YEAR})"),
    ("day_month_year", rf"(?P<d>{DAY})\s+(?:of\s+)?(?P<m>{MONTH}),?\s+(?P<y>{YEAR})"),
    ("iso", rf"(?P<y>{YEAR})-(?P<mn>0[1-9]|1[0-2])-(?P<d>[0-3]\d)"),
    ("slashed", rf"(?P<mn>1[0-2]|0?[1-9])/(?P<d>[12]\d|3[01]|0?[1-9])/(?P<y>{YEAR})"),
    ("month_year", rf"(?P<m>{MONTH}),?\s+(?P<y>{YEAR})"),
    ("month_day", rf"(?P<m>{MONTH})\s+(?P<d>{DAY})"),
    ("day_month", rf"(?P<d>{DAY})\s+(?:of\s+)?(?P<m>{MONTH})"),
)
_PATTERNS = [(name, re.compile(rf"\b{form}\b", re.IGNORECASE)) for name, form in _FORMS]
_YEARS = re.compile(rf"(?<![\d/-])({YEAR})(?:[-–/](\d\d))?(?![\d/])")


@dataclass(frozen=True)
class Written:
    """A date written in a text: its span, and as much of year, month and day as it gives."""

    start: int
    end: int
    year: int | None
    month: int | None
    day: int | None

    @property
    def value(self) -> tuple[int | None, int | None, int | None]:
        return self.year, self.month, self.day


def find_dates(text: str) -> list[Written]:
    """Every date written in `text` that has a month, in order; a span is taken by its most specific form."""
    found: list[Written] = []
    taken: list[tuple[int, int]] = []
    for _, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            groups = match.groupdict()
            month = int(groups["mn"]) if groups.get("mn") else _month(groups["m"])
            if month is None:
                continue
            day = int(re.match(r"\d+", groups["d"]).group()) if groups.get("d") else None
            year = int(groups["y"]) if groups.get("y") else None
            found.append(Written(match.start(), match.end(), year, month, day))
            taken.append(match.span())
    return sorted(found, key=lambda w: w.start)


def parse_date(text: str) -> Written | None:
    """The date `text` is, when the whole of it (trimmed) is one written date or a bare year."""
    text = text.strip().strip(".,;:")
    if re.fullmatch(YEAR, text):
        return Written(0, len(text), int(text), None, None)
    dates = find_dates(text)
    if len(dates) == 1 and dates[0].start == 0 and dates[0].end == len(text):
        return dates[0]
    return None


def years(text: str) -> set[int]:
    """The years written in `text`, "2021-22" giving both."""
    found = {date.year for date in find_dates(text) if date.year}
    for match in _YEARS.finditer(text):
        first = int(match[1])
        found.add(first)
        if match[2]:
            second = first // 100 * 100 + int(match[2])
            if second == first + 1:
                found.add(second)
    return found


def _month(name: str) -> int | None:
    name = name.lower().rstrip(".")
    for number, full in enumerate(_MONTH_NAMES, 1):
        if full.startswith(name) and len(name) >= 3:
            return number
    return None
