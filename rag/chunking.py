"""Split documents into overlapping chunks sized in the embedder's own tokens.

The splitting is LangChain's `RecursiveCharacterTextSplitter` (separators kept at the end of
each piece, whitespace stripped), done here on character spans rather than on strings: each
chunk's span in its document is known by construction, never searched for, so repeated text
cannot put a chunk in the wrong place. Does not split on semantics (sentences or sections beyond
what the recursive separators give).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from functools import lru_cache

from .types import Chunk, Document

# Paragraphs, then lines, then sentences, then words: the recursive splitter tries them in order.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]

Span = tuple[int, int]


def chunk_documents(documents: Iterable[Document], *, count_tokens: Callable[[str], int],
                    chunk_tokens: int, chunk_overlap: int) -> list[Chunk]:
    """Chunks of every document, in document order, none longer than `chunk_tokens` tokens."""
    # Short pieces (words, single characters) repeat endlessly; count each one once.
    count = lru_cache(maxsize=1 << 16)(count_tokens)
    chunks = []
    for document in documents:
        pages = tuple((offset, number) for number, offset in enumerate(document.pages, 1))
        for start, end in split_spans(document.text, count=count, size=chunk_tokens, overlap=chunk_overlap):
            chunks.append(Chunk(id=f"{document.id}:{start}", doc_id=document.id, source=document.source,
                                title=document.title, date=document.date, start=start, end=end,
                                text=document.text[start:end], pages=marks_within(pages, start, end),
                                sections=marks_within(document.sections, start, end)))
    return chunks


def marks_within(marks: tuple[tuple[int, object], ...], start: int, end: int) -> tuple:
    """The mark in force at `start` and those that begin before `end`, of `(offset, value)` marks in order."""
    first = max(bisect_right(marks, start, key=lambda mark: mark[0]) - 1, 0)
    return marks[first:bisect_left(marks, end, key=lambda mark: mark[0])] if marks else ()


def split_spans(text: str, *, count: Callable[[str], int], size: int, overlap: int) -> list[Span]:
    """The spans of `text` that LangChain's recursive splitter would return as chunks."""
    return _split(text, (0, len(text)), SEPARATORS, count, size, overlap)


def _split(text: str, span: Span, separators: list[str], count, size: int, overlap: int) -> list[Span]:
    piece = text[span[0]:span[1]]
    separator, rest = separators[-1], []
    for i, candidate in enumerate(separators):
        if not candidate:
            separator = candidate
            break
        if candidate in piece:
            separator, rest = candidate, separators[i + 1:]
            break
    chunks: list[Span] = []
    small: list[tuple[Span, int]] = []
    for part in _cut(piece, span[0], separator):
        tokens = count(text[part[0]:part[1]])
        if tokens < size:
            small.append((part, tokens))
            continue
        if small:
            chunks.extend(_merge(text, small, size, overlap))
            small = []
        chunks.extend(_split(text, part, rest, count, size, overlap) if rest else [part])
    if small:
        chunks.extend(_merge(text, small, size, overlap))
    return chunks


def _cut(piece: str, offset: int, separator: str) -> list[Span]:
    """Non-empty spans of `piece` cut after each occurrence of `separator` (each character if none)."""
    if not separator:
        return [(offset + i, offset + i + 1) for i in range(len(piece))]
    spans, begin = [], 0
    found = piece.find(separator)
    while found >= 0:
        end = found + len(separator)
        spans.append((offset + begin, offset + end))
        begin = end
        found = piece.find(separator, end)
    if begin < len(piece):
        spans.append((offset + begin, offset + len(piece)))
    return spans


def _merge(text: str, parts: list[tuple[Span, int]], size: int, overlap: int) -> list[Span]:
    """Neighbouring parts joined into chunks of at most `size` tokens, `overlap` tokens shared."""
    chunks: list[Span] = []
    current: list[tuple[Span, int]] = []
    total = 0
    for part, tokens in parts:
        if total + tokens > size and current:
            chunks.extend(_stripped(text, current[0][0][0], current[-1][0][1]))
            # Drop parts from the front until what is left can be the overlap and the next part fits.
            while total > overlap or (total + tokens > size and total > 0):
                total -= current.pop(0)[1]
        current.append((part, tokens))
        total += tokens
    if current:
        chunks.extend(_stripped(text, current[0][0][0], current[-1][0][1]))
    return chunks


def _stripped(text: str, start: int, end: int) -> list[Span]:
    """The span without its leading and trailing whitespace; none if nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if start < end else []
