"""Complete a bare answer from the sentence it cites: "2017" becomes "December 1, 2017".

A small reader often copies part of a fact: the year of a date, a month and day without the
year, a surname, a number without its unit. The cited sentence holds the whole, so the answer is
widened to the span of that sentence that is the whole fact; the citation backs it as it backed
the part. One completion adds what the sentence lacks: a month and day the sentence gives
without a year take the year of the cited document's date, and the completion carries a note
saying so. It does not complete an answer of more than one sentence or one not found in the
sentence, and when the sentence offers two ways to complete it, it leaves the answer alone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..dates import Written, find_dates, parse_date
from ..types import Citation
from ..text import split_sentences, strip_markers

# What may follow a number as its unit or magnitude ("$10.4 billion", "25 percent", "8,848 m").
_MAGNITUDE = r"(?:hundred|thousand|million|billion|trillion|bn|m)"
_UNIT_WORD = r"(?:dollars|euros|pounds|yuan|yen|rupees|percent|per\s?cent|km|kilometers|kilometres|miles|meters|metres|" \
             r"ft|feet|kg|tons|tonnes|mph|years|days|people|vehicles)"
_UNIT = re.compile(rf"\s?%|\s+{_MAGNITUDE}(?:\s+{_UNIT_WORD})?\b|\s+{_UNIT_WORD}\b", re.IGNORECASE)
_NUMBER = re.compile(r"[$€£¥]?\d[\d,.]*")
_CURRENCY = re.compile(r"(?:US)?[$€£¥]\s?$|(?:USD|EUR|GBP|Rs\.?)\s?$")
# A capitalised word that can be part of a name: "Yifei", "O'Neill", "Marc-Alexis", an initial "B.".
_NAME_WORD = re.compile(r"[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?|[A-Z]\.")
# Capitalised words that open a sentence or give a rank, not part of the name that follows.
_NOT_NAMES = frozenset("""
The A An In On At Of For And But Or To By With From As It He She They We His Her Its Their This That These Those
When Where Who What Which How Why After Before During Since Also While Although Though However Then Now Today
Yesterday Mr Mrs Ms Dr President Vice Prime Minister Secretary State Foreign Defense Defence Officer Chief Director
Chairman Chairwoman Chair General Professor Judge Justice Senator Governor Mayor Ambassador Spokesman Spokeswoman
Coach Captain Manager Founder Executive Investment Star Actor Actress Singer Winner Wins Won Said Says Told
""".split())


@dataclass(frozen=True)
class Completion:
    """A completed answer, and a note when part of it is not in the cited sentence."""

    text: str
    note: str | None = None


def complete(answer: str, sentence: str, document_date: dt.date | None = None) -> Completion | None:
    """`answer` widened to the whole fact `sentence` states, or None when there is nothing to complete."""
    answer = answer.strip().rstrip(".")
    if not answer or "\n" in answer:
        return None
    written = parse_date(answer)
    if written is not None:
        return _date(written, sentence, document_date)
    if _NUMBER.fullmatch(answer):
        return _number(answer, sentence)
    words = answer.split()
    if len(words) == 1 and _NAME_WORD.fullmatch(answer):
        return _name(answer, sentence)
    return None


def complete_answer(text: str, citations: Sequence[Citation]) -> tuple[str, tuple[Citation, ...], tuple[str, ...]]:
    """The checked answer `text` (with its markers) completed from the first citation that completes it.

    Returns the text, the citations it still cites and the notes. Only a one-sentence answer is
    completed: a longer one is a statement, not a bare fact. An answer that repeats one fact
    with a marker each ("2015 [1], 2015 [2]") is that fact, and once completed it cites the
    sentence that completed it.
    """
    unchanged = text, tuple(citations), ()
    if len(split_sentences(text)) != 1:
        return unchanged
    bare = strip_markers(text).rstrip(".")
    parts = {p.strip() for p in re.split(r",|;|\band\b", bare)}
    repeated = len(parts) == 1 and bare != next(iter(parts))
    if repeated:
        bare = next(iter(parts))
    elif not bare or not text.startswith(bare):
        return unchanged
    for citation in citations:
        done = complete(bare, citation.text, citation.date)
        if done is not None:
            notes = () if done.note is None else (f"[{citation.number}] {done.note}",)
            if repeated:
                return f"{done.text} [{citation.number}]", (citation,), notes
            return done.text + text[len(bare):], tuple(citations), notes
    return unchanged


def _date(written: Written, sentence: str, document_date: dt.date | None) -> Completion | None:
    if written.year is not None and written.month is not None and written.day is not None:
        return None  # already whole
    fuller = {d for d in find_dates(sentence) if _extends(d, written)}
    if len({d.value for d in fuller}) == 1:
        best = min(fuller, key=lambda d: d.start)
        return Completion(sentence[best.start:best.end])
    if fuller:
        # Several dates complete it: keep the most specific one if only one has a day.
        whole = {d for d in fuller if d.day is not None and d.year is not None}
        if len({d.value for d in whole}) == 1:
            best = min(whole, key=lambda d: d.start)
            return Completion(sentence[best.start:best.end])
        return None
    if written.year is None and written.day is not None and document_date is not None:
        stated = [d for d in find_dates(sentence) if (d.month, d.day) == (written.month, written.day)]
        if stated:
            said = sentence[stated[0].start:stated[0].end]
            separator = ", " if said[0].isalpha() else " "
            return Completion(f"{said}{separator}{document_date.year}",
                              note=f"the year {document_date.year} is the date of the cited document, "
                                   "not stated in the sentence")
    return None


def _extends(candidate: Written, part: Written) -> bool:
    """True when `candidate` says more than `part` and agrees with every field `part` has."""
    agrees = all(given is None or given == fuller for fuller, given in zip(candidate.value, part.value))
    return agrees and sum(v is not None for v in candidate.value) > sum(v is not None for v in part.value)


def _number(answer: str, sentence: str) -> Completion | None:
    digits = answer.lstrip("$€£¥")
    places = list(re.finditer(rf"(?<![\d.,]){re.escape(digits)}(?!\d)", sentence))
    if len(places) != 1:
        return None
    start, end = places[0].span()
    before = _CURRENCY.search(sentence[:start])
    if before:
        start = before.start()
    unit = _UNIT.match(sentence, end)
    if unit:
        end = unit.end()
    whole = sentence[start:end]
    return Completion(whole) if whole != answer and answer in whole else None


def _name(answer: str, sentence: str) -> Completion | None:
    """A surname widened to the name around it: "Federer" in "Roger Federer ended the year" is "Roger Federer"."""
    if " " in answer:
        return None  # two words are already a name; what is around them is a title or a verb
    places = list(re.finditer(rf"(?<![\w'’-]){re.escape(answer)}(?![\w'’-])", sentence))
    if len(places) != 1:
        return None
    start, end = places[0].span()
    before = re.findall(r"\S+", sentence[:start])
    after = re.findall(r"\S+", sentence[end:])
    taken_before = []
    for token in reversed(before[-2:]):
        if not _is_name(token):
            break
        taken_before.insert(0, token)
    taken_after = []
    if not sentence[end:end + 1].strip():  # "Musk, the founder": a comma closes the name
        for token in after[:2]:
            bare = token.rstrip(",;:!?)”’\"")
            if bare.endswith(".") and not re.fullmatch(r"[A-Z]\.", bare):
                bare = bare[:-1]
            if not _is_name(bare):
                break
            taken_after.append(bare)
            if bare != token:
                break
    if not taken_before and not taken_after:
        return None
    return Completion(" ".join([*taken_before, answer, *taken_after]))


def _is_name(token: str) -> bool:
    return bool(_NAME_WORD.fullmatch(token)) and token not in _NOT_NAMES
