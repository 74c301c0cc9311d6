"""Small numbers written as words, turned into digits: sources, models and gold answers write
them either way ("eight to one", "8 to 1"), and both the citation check and the scorer must
see the same thing."""

from __future__ import annotations

import re

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
          "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_VALUES = {word: value for value, word in enumerate(_UNITS)} | {word: 10 * n for n, word in enumerate(_TENS, 2)}
# "twenty-eight" and "twenty eight" are one number; "three-quarters" keeps its hyphen.
_NUMBER = re.compile(rf"\b(?:({'|'.join(_TENS)})(?:[-\s]({'|'.join(_UNITS[1:10])}))?|({'|'.join(_UNITS)}))\b",
                     re.IGNORECASE)


def spell_digits(text: str) -> str:
    """`text` with every number word from zero to ninety-nine replaced by its digits."""
    return _NUMBER.sub(_digits, text)


def _digits(match: re.Match[str]) -> str:
    tens, unit, alone = match.groups()
    if alone:
        return str(_VALUES[alone.lower()])
    return str(_VALUES[tens.lower()] + (_VALUES[unit.lower()] if unit else 0))
