"""Repair words whose fi, fl, ff, ffi or ffl ligature a PDF's text layer lost ("signifcant", "offcer").

Some typeset PDFs map a ligature glyph to its first letter(s) only, so "fi" reads "f" and
"ffi" reads "ff" or "f". A word that is not in the word list is repaired when exactly one way of
putting a ligature's lost letters back makes a listed word; a word that is itself listed
("fled", which may have been "filed") and a word with no or several repairs are left alone.
The word list is Debian's `wamerican` (/usr/share/dict/words, installed by `make setup`);
without it nothing is repaired. The document's own words are no evidence: a damaged "confict"
holds an intact-looking "fi". Does not restore ligatures dropped whole (no letter left).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from pathlib import Path

WORD_LIST = Path("/usr/share/dict/words")
# What a lost ligature leaves (its first letter, or all but its last), and what it was.
_LOSSES = (("f", "fi"), ("f", "fl"), ("f", "ff"), ("f", "ffi"), ("ff", "ffi"), ("f", "ffl"), ("ff", "ffl"))
_WORD = re.compile(r"[A-Za-z]+")


@functools.cache
def dictionary() -> frozenset[str]:
    """The system word list, lower-cased; empty where none is installed."""
    try:
        return frozenset(line.strip().lower() for line in WORD_LIST.read_text(encoding="utf-8", errors="ignore").split())
    except OSError:
        return frozenset()


def repair(text: str, known: Collection[str] | None = None) -> str:
    """`text` with each unambiguously damaged word repaired; `known` is the word list (default: `dictionary()`)."""
    words = dictionary() if known is None else known
    if not words:
        return text
    return _WORD.sub(lambda match: _repaired(match[0], words), text)


def _repaired(word: str, known) -> str:
    lower = word.lower()
    if "f" not in lower or lower in known:
        return word
    found = {candidate for candidate in _candidates(lower) if candidate in known}
    if len(found) != 1:
        return word
    fixed = found.pop()
    if word.isupper():
        return fixed.upper()
    return fixed[0].upper() + fixed[1:] if word[0].isupper() else fixed


def _candidates(word: str):
    for left, whole in _LOSSES:
        start = word.find(left)
        while start != -1:
            yield word[:start] + whole + word[start + len(left):]
            start = word.find(left, start + 1)
