"""The name a question asks about ("Wimbledon" in "Who won the women's singles Wimbledon in 2021?") against the cited evidence.

A reader shown passages about another tournament, prize or company answers fluently from them;
the cited sentence backs the answer, but not the question. When the question asks about one name
and neither a cited passage nor its document's title holds any word of it, the evidence is about
something else.

Names are taken conservatively: runs of capitalised words (or acronyms) inside the question, not
its first word (capitalised anyway), not a year, month, weekday or number, and not a word that names
what is asked for rather than what it is asked about ("CEO", "President", "Prime Minister"). A name
is missing only when the evidence holds none of its words (case, dots and possessives aside; a word of
five letters or more also by a form differing in its last two letters or fewer, "Russian" by
"Russia"; an acronym also by the initials of capitalised words, "EU" by "European Union").
Questions naming several things are not judged: a multi-part question's answer cites the passage
for one part, and the recorded runs lost right answers to it (eval/runs/2026-12-07-issue25b/entities.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&.'’-]*|\d+")
# Words that may sit inside a name ("Bank of America", "Nobel Prize in Literature").
_SMALL = frozenset("of the and for a an de la du von van in on at to &".split())
_QUESTION_WORDS = frozenset("who whom whose what when where which why how is are was were did does do can could "
                            "will would should has have had in on at the a an name list tell give".split())
# What an answer is, not what it is about: kept out of names ("the CEO of Twitter" asks about Twitter).
_TYPES = frozenset("""ceo cfo coo cto chairman chairwoman chair president vice prime minister secretary governor
mayor director founder owner head chief king queen pope leader captain coach manager champion winner
runner-up mvp""".split())
# Dates and quarters are the constraints' business (rag.answer.constraints), not names; "No 1" is a rank.
_NOT_NAMES = frozenset("""january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday no q1 q2 q3 q4""".split())


@dataclass(frozen=True)
class EntityFinding:
    """The question's names, and those of which the evidence holds no word."""

    names: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def absent(self) -> bool:
        """The question asks about one name and the evidence holds none of it: refused outright."""
        return len(self.names) == 1 and bool(self.missing)

    @property
    def message(self) -> str | None:
        return f"the sources do not name {self.missing[0]}" if self.absent else None


def names(question: str) -> tuple[str, ...]:
    """The names `question` asks about, as written, in order."""
    found: list[str] = []
    run: list[str] = []
    for index, match in enumerate(_WORD.finditer(question)):
        word = _bare(match.group())
        lower = word.lower()
        capitalised = word[:1].isupper()
        if (index > 0 and capitalised and lower not in _TYPES and lower not in _NOT_NAMES
                and not (not run and lower in _QUESTION_WORDS)):
            run.append(word)
        elif run and lower in _SMALL:
            run.append(word)
        else:
            _close(run, found)
            run = []
    _close(run, found)
    return tuple(dict.fromkeys(found))


def check(question: str, passages: Sequence[str], titles: Sequence[str] = ()) -> EntityFinding:
    """Which of the question's names the cited `passages` and their documents' `titles` hold no word of."""
    asked = names(question)
    texts = [*passages, *titles]
    held = {_key(w) for text in texts for w in _WORD.findall(text)}
    initials = {"".join(w[0] for w in run.split() if w.lower() not in _SMALL).lower()
                for text in texts for run in re.findall(r"[A-Z][a-z]+(?:\s+(?:of\s+|the\s+|and\s+)*[A-Z][a-z]+)+", text)}
    missing = tuple(name for name in asked
                    if not any(_held(_key(w), held) or (w.isupper() and w.lower() in initials)
                               for w in name.split() if w.lower() not in _SMALL))
    return EntityFinding(asked, missing)


def _held(word: str, held: set[str]) -> bool:
    """`word` or a form of it is in `held`: "russian" is met by "russia", "ukrainian" by "ukraine"."""
    if word in held:
        return True
    if len(word) < 5:
        return False
    return any(len(other) >= 5 and _shared(word, other) >= min(len(word), len(other)) - 2 for other in held)


def _shared(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


def _close(run: list[str], found: list[str]) -> None:
    while run and run[-1].lower() in _SMALL:
        run.pop()
    if run:
        found.append(" ".join(run))


def _key(word: str) -> str:
    return _bare(word).replace(".", "").lower()


def _bare(word: str) -> str:
    """A word without a possessive or a trailing dot: "Twitter's" -> "Twitter"."""
    return re.sub(r"(?:['’]s|['’])$", "", word).rstrip(".")
