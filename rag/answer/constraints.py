"""What a question pins down (a year, a season, an edition, a quarter) and whether the cited evidence meets it.

"Who won Wimbledon in 2021?" answered from a passage about 2019 reads fluently and cites a real
sentence; a small judge passes it. A rule does not: the question names 2021, the evidence does
not. The evidence is the cited passages and their documents' dates. Each constraint is met (the
evidence states it), contradicted (the evidence states another value of the same kind and not
this one), or unmet because the evidence says nothing of it. It does not check entities by name
(the decision's overlap signal covers the question's words), and it does not resolve relative
years ("last year") or Roman numerals ("Super Bowl LV").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..dates import years

_ORDINAL_WORDS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
                  "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()
# Things counted by a number or an ordinal: "season 11", "11th season", "the 92nd Academy Awards".
_SERIES = r"(?:season|series|edition|episode|part|chapter|volume|round|stage|game|week|day|quarter|term|phase)"
_NUMBERED = re.compile(rf"\b(?P<noun>{_SERIES})\s+(?P<n>\d{{1,3}})\b", re.IGNORECASE)
_ORDINAL = re.compile(r"\b(?P<n>\d{1,3})(?:st|nd|rd|th)\b(?:\s+(?P<noun>[a-z]+))?", re.IGNORECASE)
_WORD_ORDINAL = re.compile(rf"\b(?P<word>{'|'.join(_ORDINAL_WORDS)})\s+(?P<noun>{_SERIES})\b", re.IGNORECASE)
_QUARTER = re.compile(r"\bQ([1-4])\b|\b(first|second|third|fourth)[- ]quarter\b", re.IGNORECASE)
_QUARTER_WORDS = ("first", "second", "third", "fourth")


@dataclass(frozen=True)
class Constraint:
    """One thing the question pins down: its kind ("year", "quarter", a counted noun such as "season") and value."""

    kind: str
    value: int
    said: str  # as the question writes it


@dataclass(frozen=True)
class Finding:
    """How the evidence meets the question's constraints: None reason when it meets them all."""

    constraints: tuple[Constraint, ...]
    reason: str | None = None   # "contradicted" or "unmet"
    message: str | None = None  # one line for the user

    @property
    def met(self) -> bool:
        return self.reason is None

    @property
    def score(self) -> float:
        """As the decision reads it (rag.decision.Signals.constraint): 1 met, 0.5 unmet, 0 contradicted."""
        return {None: 1.0, "unmet": 0.5, "contradicted": 0.0}[self.reason]


def extract(question: str) -> tuple[Constraint, ...]:
    """The constraints `question` states, in order of kind: years, quarters, then counted things."""
    found = [Constraint("year", year, str(year)) for year in sorted(years(question))]
    found += [Constraint("quarter", value, said) for value, said in _quarters(question)]
    found += [Constraint(noun, value, said) for noun, value, said in _counted(question)]
    return tuple(dict.fromkeys(found))


def check(question: str, passages: Sequence[str], dates: Sequence[dt.date | None] = ()) -> Finding:
    """Whether the cited `passages` (and their documents' `dates`) meet every constraint of `question`."""
    constraints = extract(question)
    text = "\n".join(passages)
    stated_years = years(text) | {d.year for d in dates if d is not None}
    stated_quarters = {value for value, _ in _quarters(text)}
    stated_counted = {(noun, value) for noun, value, _ in _counted(text)}
    for constraint in constraints:
        if constraint.kind == "year":
            stated = stated_years
        elif constraint.kind == "quarter":
            stated = stated_quarters
        else:
            stated = {value for noun, value in stated_counted if noun == constraint.kind}
        if constraint.value in stated:
            continue
        if stated:
            others = ", ".join(str(v) for v in sorted(stated)[:3])
            return Finding(constraints, "contradicted",
                           f"the sources are about {_name(constraint.kind, others)}, "
                           f"the question asks about {constraint.said}")
        return Finding(constraints, "unmet", f"the sources do not say {constraint.said}")
    return Finding(constraints)


def _quarters(text: str) -> list[tuple[int, str]]:
    return [(int(m[1]) if m[1] else _QUARTER_WORDS.index(m[2].lower()) + 1, m.group()) for m in _QUARTER.finditer(text)]


def _counted(text: str) -> list[tuple[str, int, str]]:
    """(noun, number, as written) for "season 11", "11th season", "eleventh season" and "92nd Academy Awards"."""
    found = [(m["noun"].lower(), int(m["n"]), m.group()) for m in _NUMBERED.finditer(text)]
    found += [(m["noun"].lower(), _ORDINAL_WORDS.index(m["word"].lower()) + 1, m.group())
              for m in _WORD_ORDINAL.finditer(text)]
    for m in _ORDINAL.finditer(text):
        noun = (m["noun"] or "").lower()
        # "92nd Academy Awards": the ordinal counts what follows; keyed by "ordinal" when that is not a series noun.
        if noun == "century":  # "20th Century Fox", "the 19th century": an era, or a name
            continue
        kind = noun if re.fullmatch(_SERIES, noun) else "ordinal"
        found.append((kind, int(m["n"]), m.group() if kind != "ordinal" else m.group().split()[0]))
    return found


def _name(kind: str, values: str) -> str:
    return values if kind == "year" else f"{'Q' if kind == 'quarter' else kind + ' '}{values}"
