"""Read what the model wrote: normalise its `[n]` markers, and spot refusals.

A marker must name a source that was in the prompt; any other marker is removed. Whether the
source backs the sentence is `rag.verification`'s job.
"""

from __future__ import annotations

import re

from .prompting import REFUSAL

# "[1]", "[1, 2]", "[1][2]", "[Source 1]": small models write all of these.
_MARKER = re.compile(r"\s*\[\s*(?:sources?\s*)?(\d+(?:\s*(?:,|;|and)\s*(?:sources?\s*)?\d+)*)\s*\]", re.I)
# "[1], [2] and [3]": one group of markers, or the separators stay behind when markers move.
_MARKER_RUN = re.compile(r"\[\d+\](?:\s*(?:,|;|\band\b)?\s*\[\d+\])+")
_WORDS = re.compile(r"[a-z0-9]+")


def normalize_markers(text: str, sources: int) -> str:
    """`text` with every marker written as `[n]`, and markers outside 1..`sources` removed."""

    def replace(match: re.Match) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match[1])]
        valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= sources]
        leading = " " if match[0][:1].isspace() and valid else ""
        return leading + "".join(f"[{n}]" for n in valid)

    def merge(match: re.Match) -> str:
        return "".join(f"[{n}]" for n in dict.fromkeys(re.findall(r"\d+", match[0])))

    return _MARKER_RUN.sub(merge, _MARKER.sub(replace, text)).strip()


def is_refusal(text: str) -> bool:
    """True when the model gave the refusal phrase instead of an answer."""
    return " ".join(_WORDS.findall(REFUSAL.lower())) in " ".join(_WORDS.findall(text.lower()))
