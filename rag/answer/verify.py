"""Check each sentence of an answer against the sources, and cite only what checks out.

A sentence is supported by a source when most of its content words, and every number in it,
occur in that source. That is cheap and deterministic, and it catches the failure small models
have most: a claim, or a figure, that is in none of the sources. It does not catch a claim
assembled from words that are all in the source but mean something else there. Two checks
against the question catch the commonest such cases: an answer that only restates the
question (`restates`), and one lifted from a sentence about something else (`addresses`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..text import MARKER, content_words, sentence_spans, split_sentences, stems, without_markers
from ..types import Citation, Hit

# Words that frame a question ("how many", "name one") rather than say what it is about.
_QUESTION_FRAME = frozenset("many much name kind long far often whose".split())  # five letters at most, as stems


@dataclass(frozen=True)
class Verified:
    """An answer after checking: text with only supported markers, the citations, the rest."""

    text: str
    citations: tuple[Citation, ...]
    unsupported: tuple[str, ...]


def verify(text: str, sources: Sequence[Hit], *, threshold: float, question: str = "") -> Verified:
    """Keep a citation where its source supports the sentence; add one where a source clearly does.

    Each citation points at the sentence of its source that holds most of the answer's words,
    and of those, the one that holds most of the `question`'s: where the answer is a bare name,
    that is the sentence that answers the question, not the first one that mentions the name.
    """
    asked = _asked(question)
    citations: dict[tuple[int, int], Citation] = {}
    sentences, unsupported = [], []
    # Each source's words once, not once per sentence.
    passages = [content_words(hit.chunk.text) for hit in sources]
    for sentence in split_sentences(text):
        claimed = [int(n) for n in MARKER.findall(sentence)]
        bare = without_markers(sentence)
        words = content_words(bare)
        scored = [(support(words, found), number) for number, found in enumerate(passages, 1)]
        backed = [n for s, n in scored if n in claimed and s >= threshold]
        if not backed:
            best, number = max(scored, default=(0.0, 0))
            # number is 0 when there are no sources at all.
            backed = [number] if number and best >= threshold else []
        if not words:  # "Yes." or a bare marker: nothing to check, nothing to cite
            backed = []
        if backed:
            for number in backed:
                citation = _citation(number, sources[number - 1], words, asked)
                citations.setdefault((number, citation.start), citation)
            sentences.append(_with_markers(bare, backed))
        else:
            sentences.append(bare)
            if words:
                unsupported.append(bare)
    return Verified(text=" ".join(s for s in sentences if s), citations=tuple(citations.values()),
                    unsupported=tuple(unsupported))


def restates(answer: str, question: str) -> bool:
    """True when no sentence of `answer` has a content word the question lacks: it answers nothing.

    Small models often turn the question into a statement ("The spokesman confirmed the contacts
    [1]."); every word of that is in the source, so support alone would pass it.
    """
    asked = stems(question)
    return not any(stems(without_markers(sentence)) - asked for sentence in split_sentences(answer))


def addresses(question: str, sentence: str) -> float:
    """The share of the question's words (stems, so "Russia" matches "Russian") that `sentence` holds.

    An answer lifted from a sentence about something else passes the support check, because
    its words are in the sources: "300–500 Russian soldiers" for "How many Ukrainian troops
    defend Pokrovsk?". The sentence it comes from shares little with the question, and that is
    what this measures. 1.0 when the question has no content words.
    """
    return _overlap(_asked(question), sentence)


def _asked(question: str) -> set[str]:
    return stems(question) - _QUESTION_FRAME


def _overlap(asked: set[str], sentence: str) -> float:
    return len(asked & stems(sentence)) / len(asked) if asked else 1.0


def support(words: set[str], found: set[str]) -> float:
    """Share of a sentence's `words` among a source's words `found`; 0 when one of its numbers is missing."""
    if not words:
        return 0.0
    if any(w[0].isdigit() and w not in found for w in words):
        return 0.0
    return len(words & found) / len(words)


def _with_markers(sentence: str, numbers: Sequence[int]) -> str:
    markers = "".join(f"[{n}]" for n in sorted(set(numbers)))
    match = re.search(r"[.!?]+[\"”’)]*$", sentence)
    if match:
        return f"{sentence[:match.start()]} {markers}{sentence[match.start():]}"
    return f"{sentence} {markers}"


def _citation(number: int, hit: Hit, words: set[str], asked: set[str]) -> Citation:
    """A citation of the sentence inside the chunk that best matches the answer's sentence."""
    chunk = hit.chunk
    best_start, best_end, best = 0, len(chunk.text), (-1, -1)
    for start, end in sentence_spans(chunk.text):
        sentence = chunk.text[start:end]
        score = (len(words & content_words(sentence)), _overlap(asked, sentence))
        if score > best:
            best_start, best_end, best = start, end, score
    start = chunk.start + best_start
    return Citation(number=number, source=chunk.source, doc_id=chunk.doc_id, chunk_id=chunk.id,
                    start=start, end=chunk.start + best_end, text=chunk.text[best_start:best_end],
                    title=chunk.title, date=chunk.date, page=chunk.page_at(start), section=chunk.section_at(start))
