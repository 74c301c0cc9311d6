"""Text as the answering steps read it: sentences, content words, and the `[n]` citation markers.

Verification, evidence selection, citations and scoring must agree on what a sentence, a word
and a marker are, so they all take them from here. Nothing here knows about sources or models.
"""

from __future__ import annotations

import re

from .numbers import spell_digits

# Markers as the reader writes them: "[1]", "[1, 2]", "[1][2]", "[Source 1]"; small models write all of these.
WRITTEN_MARKER = re.compile(r"\s*\[\s*(?:sources?\s*)?(\d+(?:\s*(?:,|;|and)\s*(?:sources?\s*)?\d+)*)\s*\]", re.I)
# "[1], [2] and [3]": one group of markers, or the separators stay behind when markers move.
MARKER_LIST = re.compile(r"\[\d+\](?:\s*(?:,|;|\band\b)?\s*\[\d+\])+")
# Markers once normalised: "[n]", its number captured.
MARKER = re.compile(r"\[(\d+)\]")
# A run of normalised markers with the space before it.
MARKERS = re.compile(r"\s*(?:\[\d+\])+")
# A piece of text that is only markers (and the sentence's end), split off its sentence.
ONLY_MARKERS = re.compile(r"(?:\[\d+\])+[.!?]?")
# "[1]", "[2, 3]": markers a scored answer may carry, which must not count as answer tokens.
SCORED_MARKER = re.compile(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")

# Not after an initial ("Niels B. Christiansen", "U.S. President") or a title before a name: split
# there, a name falls into two sentences, and the reader is shown half of it.
_NOT_AN_END = "".join(rf"(?<!\b{abbreviation}\.)" for abbreviation in
                      ("[A-Z]", "Mr", "Ms", "Dr", "St", "Jr", "Sr", "Mrs", "Gen", "Gov", "Sen", "Rep", "Col", "Prof"))
_SENTENCE_END = re.compile(rf"(?<=[.!?]){_NOT_AN_END}[\"”’)]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_TOKEN = re.compile(r"\d[\d,.]*\d|\d|[^\W\d_]+", re.UNICODE)
_PLAIN_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she should
so some such than that the their theirs them themselves then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves according said says say told sources source document documents text
""".split())


def split_sentences(text: str) -> list[str]:
    """Sentences, split after . ! or ? and before a capital or digit; markers stay with their sentence."""
    pieces = []
    for line in text.splitlines():
        pieces.extend(p.strip() for p in _SENTENCE_END.split(line) if p.strip())
    merged: list[str] = []
    for piece in pieces:
        if merged and ONLY_MARKERS.fullmatch(piece):
            merged[-1] += " " + piece
        else:
            merged.append(piece)
    return merged


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, in order: `text[start:end]` is the sentence."""
    spans, offset = [], 0
    for piece in split_sentences(text):
        start = text.find(piece, offset)
        if start >= 0:
            spans.append((start, start + len(piece)))
            offset = start + len(piece)
    return spans


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning, and numbers without thousands separators."""
    tokens = _TOKEN.findall(spell_digits(text.lower()))
    return {_normal(t) for t in tokens if t not in STOPWORDS and (len(t) > 2 or t[0].isdigit())}


def stems(text: str) -> set[str]:
    """Content words cut to five letters, so "claimed" matches "claim"; numbers stay whole."""
    return {w if w[0].isdigit() else w[:5] for w in content_words(text)}


def plain_words(text: str) -> str:
    """`text` lower-cased as letters and digits, one space between words: for phrase matching."""
    return " ".join(_PLAIN_WORD.findall(text.lower()))


def strip_markers(text: str) -> str:
    """`text` without its `[n]` markers."""
    return " ".join(without_markers(sentence) for sentence in split_sentences(text))


def without_markers(sentence: str) -> str:
    """One sentence without its `[n]` markers."""
    # Until nothing changes: removing "[1]" from "[0[1]]" leaves a new marker, "[0]".
    while (bare := MARKERS.sub("", sentence)) != sentence:
        sentence = bare
    return sentence.strip()


def _normal(token: str) -> str:
    if token[0].isdigit():
        return token.replace(",", "").rstrip(".")
    # Crude plural folding, so "villages" in the answer matches "village" in the source.
    return token[:-1] if len(token) > 4 and token.endswith("s") and not token.endswith("ss") else token
