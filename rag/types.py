"""The records that flow through the pipeline: documents, chunks, hits, citations, answers."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from typing import Any

from .answer.decision import REASONS


@dataclass(frozen=True)
class Document:
    """A loaded file; `id` is a hash of its content, so it survives renames.

    `pages[n - 1]` is the offset in `text` where page n starts (empty for formats without
    pages); `sections` holds `(offset, heading)` pairs, each section running to the next.
    """

    id: str
    source: str
    title: str
    date: dt.date | None
    text: str
    pages: tuple[int, ...] = ()
    sections: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A slice of a document: `document.text[start:end] == text`.

    `pages` holds `(offset, page number)` and `sections` `(offset, heading)` for the page and
    section the chunk starts in and each one that starts inside it (offsets into the document).
    """

    id: str
    doc_id: str
    source: str
    title: str
    date: dt.date | None
    start: int
    end: int
    text: str
    pages: tuple[tuple[int, int], ...] = ()
    sections: tuple[tuple[int, str], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The 1-based page that the document offset `offset` is on; None for formats without pages."""
        return _mark_at(self.pages, offset)

    def section_at(self, offset: int) -> str | None:
        """The heading of the section that the document offset `offset` is in, if any."""
        return _mark_at(self.sections, offset)


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its similarity score and 1-based rank."""

    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True)
class Citation:
    """A marker `[number]` in an answer, resolved to the exact source text it points to."""

    number: int
    source: str
    doc_id: str
    chunk_id: str
    start: int
    end: int
    text: str
    title: str = ""
    date: dt.date | None = None
    page: int | None = None
    section: str | None = None


@dataclass(frozen=True)
class Timings:
    """Seconds spent in each stage of one question; `first_token` is None when nothing was generated."""

    retrieval: float = 0.0
    first_token: float | None = None
    generation: float = 0.0
    total: float = 0.0
    prompt_tokens: int = 0
    generated_tokens: int = 0


@dataclass(frozen=True)
class Answer:
    """What `RAG.ask` returns: the text, whether it refused, and what it cites."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    unsupported: tuple[str, ...] = ()
    hits: tuple[Hit, ...] = ()
    timings: Timings = field(default_factory=Timings)
    model: str = ""
    query: str = ""
    # What the model wrote, before checking: shows why an answer was refused or reworded.
    raw: str = ""
    # Why it refused (a code of `rag.answer.decision.REASONS`), None when it answered.
    reason: str | None = None
    # The decision's estimate that the answer is right, where it made one.
    confidence: float | None = None
    # What the decision was made from (`rag.answer.decision.Signals`), None when the reader was not asked.
    signals: Any = None
    # What a reader of the answer should know: a year taken from the document's date (rag.answer.complete),
    # the year, season or edition the sources do not meet (rag.answer.constraints).
    notes: tuple[str, ...] = ()

    @property
    def reason_text(self) -> str | None:
        """The refusal's reason as one short line, None when it answered."""
        return REASONS.get(self.reason, self.reason) if self.reason else None

    @property
    def uncited(self) -> bool:
        """True when an answer (not a refusal) carries no citation: it cannot be checked."""
        return not self.abstained and not self.citations

    def to_dict(self) -> dict:
        """A JSON-ready dict with the same fields as the record."""
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "uncited": self.uncited,
            "citations": [_jsonable(asdict(c)) for c in self.citations],
            "unsupported": list(self.unsupported),
            "retrieved": [
                {"rank": h.rank, "score": round(h.score, 4), "chunk_id": h.chunk.id,
                 "source": h.chunk.source, "start": h.chunk.start, "end": h.chunk.end}
                for h in self.hits
            ],
            "timings": asdict(self.timings),
            "model": self.model,
            "query": self.query,
            "raw": self.raw,
            "reason": self.reason,
            "reason_text": self.reason_text,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "signals": None if self.signals is None else asdict(self.signals),
            "notes": list(self.notes),
        }


def _mark_at(marks: tuple[tuple[int, object], ...], offset: int):
    found = bisect_right(marks, offset, key=lambda mark: mark[0])
    return marks[found - 1][1] if found else None


def _jsonable(record: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in record.items()}
