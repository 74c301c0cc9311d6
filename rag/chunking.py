"""Split documents into overlapping chunks sized in the embedder's own tokens.

Each chunk keeps its exact character span in its document. Does not split on semantics
(sentences or sections beyond what the recursive separators give).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .types import Chunk, Document

# Paragraphs, then lines, then sentences, then words: the recursive splitter tries them in order.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def chunk_documents(documents: Iterable[Document], *, count_tokens: Callable[[str], int],
                    chunk_tokens: int, chunk_overlap: int) -> list[Chunk]:
    """Chunks of every document, in document order, none longer than `chunk_tokens` tokens."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        separators=SEPARATORS, keep_separator="end", chunk_size=chunk_tokens,
        chunk_overlap=chunk_overlap, length_function=count_tokens)
    return [chunk for document in documents for chunk in _chunk(document, splitter)]


def _chunk(document: Document, splitter) -> list[Chunk]:
    chunks: list[Chunk] = []
    previous_start, previous_end = -1, 0
    for piece in splitter.split_text(document.text):
        start = _locate(document.text, piece, previous_start, previous_end)
        if start < 0:
            raise AssertionError(f"chunk not found in {document.source} after offset {previous_start}")
        previous_start, previous_end = start, start + len(piece)
        chunks.append(Chunk(id=f"{document.id}:{start}", doc_id=document.id, source=document.source,
                            title=document.title, date=document.date, start=start, end=previous_end, text=piece))
    return chunks


def _locate(text: str, piece: str, previous_start: int, previous_end: int) -> int:
    """Where `piece` sits, given the span of the chunk before it (-1 if nowhere).

    Text can repeat, so the first match may be too early. A chunk starts after the previous
    start and reaches past the previous end; among such matches that overlap or touch the
    previous chunk, the latest is taken, else the first one after it. Either way no text
    between chunks is skipped.
    """
    latest = -1
    start = text.find(piece, previous_start + 1)
    while 0 <= start <= previous_end:
        if start + len(piece) > previous_end:
            latest = start
        start = text.find(piece, start + 1)
    return latest if latest >= 0 else start
