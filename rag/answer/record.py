"""The record of one question on its way to an answer: what each step read and what it wrote.

The steps of `rag.answer.steps` fill it in order (retrieve, gate, select evidence, prompt, read,
cite, complete, constrain, measure, check, decide); `RAG` runs them, and `answer()` turns the finished record into the
`Answer` that callers get. Eval, the server and chat can inspect any step's output here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..types import Answer, Hit, Timings
from .constraints import Finding
from .decision import REFUSAL, Decision, Signals
from .entities import EntityFinding
from .prompt import Prompt
from .verify import Verified


@dataclass
class Record:
    """One question: its inputs, each step's output, and when each step finished (perf_counter seconds)."""

    question: str
    query: str                                   # what is searched for: the question, or a follow-up made standalone
    k: int                                       # chunks to retrieve
    history: tuple[tuple[str, str], ...] = ()    # earlier (question, answer) pairs, oldest first
    model: str = ""                              # the setting naming the reader whose answer this is
    hits: list[Hit] = field(default_factory=list)      # retrieved chunks, best first
    evidence: list[Hit] = field(default_factory=list)  # the passages the reader may be shown
    prompt: Prompt | None = None                 # what the reader was sent; None when the gate refused
    raw: str = ""                                # what the reader wrote
    checked: Verified | None = None              # the answer with only the markers its sources back, completed
    notes: tuple[str, ...] = ()                  # what the user should know: a year taken from the document's date...
    constraints: Finding | None = None           # how the cited evidence meets the question's years, editions...
    entities: EntityFinding | None = None        # whether it names what the question asks about
    signals: Signals | None = None               # what the decision is made from
    decision: Decision | None = None
    readers: list[str] = field(default_factory=list)   # the readers asked, in order
    generated: int = 0                           # text pieces generated, over every reader asked
    started: float = 0.0
    retrieved: float = 0.0
    first_token: float | None = None             # when the first reader's first piece came
    finished: float = 0.0

    def answer(self) -> Answer:
        """The `Answer` of the finished record: the checked text, or the refusal with its reason."""
        decision = self.decision
        if self.prompt is None:  # refused before any reader was asked
            timings = Timings(retrieval=self.retrieved - self.started, total=self.finished - self.started)
            return Answer(question=self.question, text=REFUSAL, abstained=True, hits=tuple(self.hits),
                          model=self.model, query=self.query, timings=timings, reason=decision.reason)
        checked = self.checked
        if decision.answer:
            text, citations, unsupported = checked.text, checked.citations, checked.unsupported
        else:
            text, citations, unsupported = REFUSAL, (), ()
        timings = Timings(
            retrieval=self.retrieved - self.started,
            first_token=None if self.first_token is None else self.first_token - self.started,
            generation=self.finished - self.retrieved, total=self.finished - self.started,
            prompt_tokens=self.prompt.tokens, generated_tokens=self.generated)
        return Answer(question=self.question, text=text, abstained=not decision.answer, citations=citations,
                      unsupported=unsupported, hits=self.prompt.sources, timings=timings, model=self.model,
                      query=self.query, raw=self.raw, reason=decision.reason, confidence=decision.confidence,
                      signals=self.signals, notes=self.notes)
