"""The steps of answering, each a function over the question's `Record`, in the order `RAG` runs them.

A step reads what earlier steps wrote to the record and writes its own output there; the
models and the index it needs come as arguments, so a caller can run, repeat or inspect any one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

from ..embeddings import Embedder
from ..generation import Generator
from ..text import strip_markers
from ..types import Hit
from . import decision as decisions
from . import constraints, entities, evidence
from .cite import normalize_markers
from .complete import complete_answer
from .prompt import build_prompt, check_messages, merge_overlapping
from .record import Record
from .verify import addresses, restates, verify


def retrieve(record: Record, search: Callable[[str, int], list[Hit]]) -> None:
    """The chunks that best match the record's query."""
    record.hits = search(record.query, record.k)
    record.retrieved = time.perf_counter()


def gate(record: Record, *, min_score: float) -> bool:
    """Refuse before any reader is asked when no chunk is about the question; True when it refused."""
    refused = decisions.gate(record.hits[0].score if record.hits else None, min_score=min_score)
    if refused is not None:
        record.decision = refused
    return refused is not None


def select_evidence(record: Record, embedder: Embedder, *, sentences: int, neighbours: int) -> None:
    """The passages the reader may read: overlapping hits joined, then (with `sentences`) the best sentences."""
    passages = merge_overlapping(record.hits)
    if sentences:
        passages = evidence.select(record.query, passages, embedder, sentences=sentences, neighbours=neighbours)
    record.evidence = passages


def prompt(record: Record, reader: Generator, *, answer_tokens: int) -> None:
    """The prompt for `reader`: as much evidence, then history, as fits beside the answer."""
    record.prompt = build_prompt(record.question, record.evidence, reader, answer_tokens=answer_tokens,
                                 history=record.history)


def read(record: Record, reader: Generator, *, max_tokens: int) -> Iterator[str]:
    """Ask `reader` the prompt, yielding its text as it comes; the record keeps the whole of it."""
    first = not record.readers
    record.readers.append(reader.name)
    pieces: list[str] = []
    for piece in reader.stream(record.prompt.messages, max_tokens=max_tokens):
        if first and record.first_token is None:
            record.first_token = time.perf_counter()
        pieces.append(piece)
        yield piece
    record.raw = "".join(pieces).strip()
    record.generated += len(pieces)


def cite(record: Record, *, support_threshold: float) -> None:
    """Markers normalised, then kept (or added) only where a source backs the sentence."""
    sources = record.prompt.sources
    record.checked = verify(normalize_markers(record.raw, len(sources)), sources, threshold=support_threshold,
                            question=record.query)


def complete(record: Record) -> None:
    """A bare answer (a year, a month and day, a number, a surname) widened to the whole fact its citation states."""
    text, citations, notes = complete_answer(record.checked.text, record.checked.citations)
    record.checked = replace(record.checked, text=text, citations=citations)
    record.notes = notes


def constrain(record: Record) -> None:
    """The question's years, seasons, editions and ordinals checked against the cited passages and their dates,
    and the name it asks about against those passages and their titles."""
    if not record.checked.citations:
        record.constraints = record.entities = None
        return
    cited = [record.prompt.sources[n - 1].chunk for n in sorted({c.number for c in record.checked.citations})]
    record.constraints = constraints.check(record.query, [c.text for c in cited], [c.date for c in cited])
    record.entities = entities.check(record.query, [c.text for c in cited], [c.title for c in cited])
    record.notes += tuple(m for m in (record.constraints.message, record.entities.message) if m)


def measure(record: Record, reader: Generator) -> None:
    """The signals the decision reads, but the judge's (`check` adds it when it is worth asking)."""
    checked = record.checked
    record.signals = decisions.Signals(
        declined=not record.raw or decisions.is_refusal(record.raw), cited=bool(checked.citations),
        restates=restates(checked.text, record.question),
        overlap=max((addresses(record.query, c.text) for c in checked.citations), default=0.0),
        retrieval=record.hits[0].score,
        answer_probability=_geometric_mean(reader.last_probabilities) if reader.gives_probabilities else None,
        constraint=None if record.constraints is None else record.constraints.score,
        names_absent=record.entities is not None and record.entities.absent)


def check(record: Record, checker: Generator) -> None:
    """The judge's probability that the cited sources state the answer, when the decision needs it.

    The checker reads only the cited passages, the question and the answer, after worked
    verdicts of its own: a reader asked in its own conversation confirms what it just wrote
    (the 1.5B's P(yes) over the four gold sets: AUC .58 in its own conversation, .71 asked
    afresh, eval/runs/2026-12-02-decision; .74 after the worked verdicts, against .70 without,
    eval/runs/2026-12-07-quality).
    """
    if not decisions.needs_judge(record.signals) or not checker.can_check:
        return
    cited = sorted({c.number for c in record.checked.citations})
    passages = "\n\n".join(record.prompt.sources[n - 1].chunk.text for n in cited)
    judge = checker.yes_probability(check_messages(passages, record.question, strip_markers(record.checked.text)))
    record.signals = replace(record.signals, judge=judge)


def decide(record: Record, *, threshold: float) -> None:
    """Answer or refuse, from the record's signals."""
    record.decision = decisions.decide(record.signals, threshold=threshold, models=decisions.MODELS)


def _geometric_mean(probabilities) -> float | None:
    if not probabilities:
        return None
    return math.exp(sum(math.log(max(p, 1e-12)) for p in probabilities) / len(probabilities))
