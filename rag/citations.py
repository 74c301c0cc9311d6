"""Turn the `[n]` markers in a model's answer into `Citation` records, and spot refusals.

A marker must name a source that was in the prompt; any other marker is removed from the text.
Does not check that the cited source supports the sentence: that is verification, not parsing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .prompting import REFUSAL
from .types import Citation, Hit

# "[1]", "[1, 2]", "[1][2]", "[Source 1]": small models write all of these.
_MARKER = re.compile(r"\s*\[\s*(?:sources?\s*)?(\d+(?:\s*(?:,|;|and)\s*(?:sources?\s*)?\d+)*)\s*\]", re.I)
_WORDS = re.compile(r"[a-z0-9]+")


def resolve_citations(text: str, sources: Sequence[Hit]) -> tuple[str, tuple[Citation, ...]]:
    """The answer text with only valid markers, and the citations in order of first mention."""
    cited: dict[int, Citation] = {}

    def replace(match: re.Match) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match[1])]
        valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= len(sources)]
        for number in valid:
            cited.setdefault(number, _citation(number, sources[number - 1]))
        leading = " " if match[0][:1].isspace() and valid else ""
        return leading + "".join(f"[{n}]" for n in valid)

    cleaned = _MARKER.sub(replace, text).strip()
    return cleaned, tuple(cited.values())


def is_refusal(text: str) -> bool:
    """True when the model gave the refusal phrase instead of an answer."""
    return " ".join(_WORDS.findall(REFUSAL.lower())) in " ".join(_WORDS.findall(text.lower()))


def _citation(number: int, hit: Hit) -> Citation:
    chunk = hit.chunk
    return Citation(number=number, source=chunk.source, doc_id=chunk.doc_id, chunk_id=chunk.id,
                    start=chunk.start, end=chunk.end, text=chunk.text, title=chunk.title, date=chunk.date)
