"""Read what the model wrote: normalise its `[n]` markers.

A marker must name a source that was in the prompt; any other marker is removed. Whether the
source backs the sentence is `rag.answer.verify`'s job.
"""

from __future__ import annotations

import re

from ..text import MARKER_LIST, WRITTEN_MARKER


def normalize_markers(text: str, sources: int) -> str:
    """`text` with every marker written as `[n]`, and markers outside 1..`sources` removed."""

    def replace(match: re.Match) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match[1])]
        valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= sources]
        leading = " " if match[0][:1].isspace() and valid else ""
        return leading + "".join(f"[{n}]" for n in valid)

    def merge(match: re.Match) -> str:
        return "".join(f"[{n}]" for n in dict.fromkeys(re.findall(r"\d+", match[0])))

    return MARKER_LIST.sub(merge, WRITTEN_MARKER.sub(replace, text)).strip()

