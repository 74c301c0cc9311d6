"""Turn the lines a PDF's text layer gives, page by page, into the text that is indexed.

Before any step, the marks a text layer leaves inside a split word are taken out: U+FFFE
(PDFium's mark of a word hyphenated at a line end) and the soft hyphen U+00AD join the word's
two halves, across the line break when they end a line ("Su\ufffe" / "preme" is "Supreme").
Four steps follow, the first three measured by retrieval hit@k in `bench/cleaning.py`:
`headers` drops running headers and footers (a line near the top or bottom of most pages that
is the same once digits are ignored, so "Page 3" and "Page 4" match); `hyphens` joins a word
split at a line end ("negoti-" / "ations"), keeping the hyphen where the document writes the
word with one elsewhere ("Russia-Ukraine"); `paragraphs` joins the lines of a paragraph with
spaces and ends a paragraph (a blank line) after a line that the next word would have fit on;
`ligatures` puts back the fi, fl, ff, ffi and ffl a damaged text layer lost (`ligatures`,
measured by `python -m bench --only ligatures`).
The result is the document's text itself: page starts are offsets into it and citations quote
it, so nothing needs mapping back. Does not reorder columns or rebuild tables: a table's row
stays one line, its cells separated by the spaces the PDF put between them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence

from . import ligatures

STEPS = ("headers", "hyphens", "paragraphs", "ligatures")
# The room given for a line that is a table's row (`tables`): it ends its paragraph, and is no
# running header however alike the rows look once digits are ignored.
ROW = float("inf")
# Lines looked at, at each end of a page, for a running header or footer.
_EDGE = 2
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\u00ad]")
# A split mark at a line's end, with the break after it: the word goes on on the next line.
_SPLIT_MARK = re.compile(r"[\ufffe\u00ad][ \t]*(?:\r\n|\r|\n)[ \t\r\n]*")
_SPLIT_WORD = re.compile(r"(\w+)-$")
_NEXT_WORD = re.compile(r"^(\w+)")
_WORD = re.compile(r"\w+(?:-\w+)*")


def clean_pages(pages: Sequence[str], steps: Collection[str] = STEPS,
                rooms: Sequence[Sequence[float] | None] | None = None) -> tuple[str, tuple[int, ...]]:
    """The text of `pages` after `steps`, and the offset where each page starts in it.

    `rooms[p][i]`, where the PDF's geometry gives it, is the space left at the right end of the
    i-th non-blank line of page p, in characters; without it the line lengths estimate it.
    """
    lines = []
    for number, page in enumerate(pages):
        joined = _SPLIT_MARK.sub("", page)
        texts = [line.strip() for line in joined.splitlines() if line.strip()]
        # Lines joined here no longer match the geometry's lines: estimate their room instead.
        measured = rooms[number] if rooms and joined == page else None
        room = measured if measured is not None else estimated_room(texts)
        lines.append([(_CONTROL.sub("", text), space) for text, space in zip(texts, room)])
    if "headers" in steps:
        lines = _without_running_lines(lines)
    if "ligatures" in steps:
        lines = [[(ligatures.repair(line), room) for line, room in page] for page in lines]
    words = Counter(_WORD.findall(" ".join(t for page in lines for t, _ in page).lower())) if "hyphens" in steps else None
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    flat = [(number, line, room) for number, page in enumerate(lines) for line, room in page]
    page_started = -1
    for i, (number, line, room) in enumerate(flat):
        while page_started < number:
            page_started += 1
            starts.append(length)
        following = flat[i + 1][1] if i + 1 < len(flat) else None
        line, joint = _joint(line, following, room, steps, words,
                             new_page=following is not None and flat[i + 1][0] != number)
        parts.append(line + joint)
        length += len(line) + len(joint)
    while len(starts) < len(pages):
        starts.append(length)
    return "".join(parts), tuple(starts)


def _joint(line: str, following: str | None, room: float, steps: Collection[str],
           words: Counter | None, new_page: bool) -> tuple[str, str]:
    """The line as kept, and what joins it to the next one."""
    if following is None:
        return line, ""
    if words is not None:
        split, rest = _SPLIT_WORD.search(line), _NEXT_WORD.match(following)
        if split and rest:
            # "Russia-" / "Ukraine" is a compound; "negoti-" / "ations" a split word, unless the
            # document writes the hyphenated form elsewhere more often than the joined one.
            joined, hyphenated = (split[1] + rest[1]).lower(), f"{split[1]}-{rest[1]}".lower()
            if rest[1][0].isupper() or words[hyphenated] > words[joined]:
                return line, ""
            return line[:-1], ""
    if "paragraphs" not in steps:
        return line, "\n\n" if new_page else "\n"
    # A line broken where the next word would still have fit ended its paragraph (or is a heading);
    # room is a rough measure, so a line must end a sentence or leave clearly more room than that.
    needed = len(following.split(" ", 1)[0]) + 1
    ends = room > needed and (line.endswith((".", "!", "?", ":", "\"", "”", "’", ")")) or room > 1.5 * needed)
    return line, "\n\n" if ends else " "


def estimated_room(lines: Sequence[str]) -> list[float]:  # also pdf's, for pages it rebuilds
    """Room at each line's end against the page's full line length, counted in characters (rough)."""
    lengths = sorted(len(line) for line in lines)
    width = lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0
    return [width - len(line) for line in lines]


def _without_running_lines(pages: list[list[tuple[str, float]]]) -> list[list[tuple[str, float]]]:
    if len(pages) < 2:
        return pages
    seen: Counter = Counter()
    for page in pages:
        seen.update({_shape(line) for line, room in page[:_EDGE] + page[-_EDGE:] if room != ROW})
    # On a short document only a line on every page counts: one that opens two of three pages
    # may be two sections that start alike.
    needed = len(pages) if len(pages) < 4 else 0.6 * len(pages)
    running = {shape for shape, count in seen.items() if count >= needed}
    kept = []
    for page in pages:
        edge = set(range(min(_EDGE, len(page)))) | set(range(max(0, len(page) - _EDGE), len(page)))
        kept.append([line for i, line in enumerate(page)
                     if i not in edge or line[1] == ROW or _shape(line[0]) not in running])
    return kept


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())
