"""A conversation over `RAG`: follow-up questions are made standalone before retrieval.

Condensing is deliberately cheap and deterministic: a question that reads as a follow-up
(opens with "and", "what about"…, leans on a pronoun, or is only a few words) is searched
together with the previous standalone query. No model call is spent on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .pipeline import RAG
from .types import Answer

_OPENERS = re.compile(r"^\s*(and|but|also|so|or|then|what about|how about|why|why not|what else|"
                      r"is that|was that|are they|did they|does it|did he|did she)\b", re.I)
_POINTERS = frozenset("it its they them their theirs he him his she her this these those there "
                      "former latter same".split())
_WORDS = re.compile(r"[a-z’']+")


@dataclass(frozen=True)
class Turn:
    """One exchange: what was asked, what was searched for, and the answer."""

    question: str
    query: str
    answer: Answer


def is_follow_up(question: str) -> bool:
    """True when the question leans on an earlier turn to make sense."""
    words = _WORDS.findall(question.lower())
    # "that" opens too many standalone clauses to count anywhere; at the very end it points back.
    return (bool(_OPENERS.match(question)) or len(words) <= 4 or any(w in _POINTERS for w in words)
            or words[-1:] == ["that"])


def standalone_query(question: str, previous_query: str | None) -> str:
    """What to search for: the question alone, or with the previous query if it is a follow-up."""
    if previous_query and is_follow_up(question):
        return f"{previous_query} {question.strip()}"
    return question.strip()


def follow_up_query(question: str, earlier: Sequence[str]) -> str:
    """What to search for after the questions `earlier` (oldest first), each made standalone in turn."""
    query = None
    for asked in earlier:
        query = standalone_query(asked, query)
    return standalone_query(question, query)


class Conversation:
    """Questions asked one after another, each answered with the earlier turns in mind."""

    def __init__(self, rag: RAG) -> None:
        self.rag = rag
        self.turns: list[Turn] = []

    def stream(self, question: str, *, k: int | None = None) -> Iterator[str | Answer]:
        """As `RAG.stream`, with the conversation as history; the turn is kept once it completes."""
        previous = self.turns[-1].query if self.turns else None
        query = standalone_query(question, previous)
        history = [(t.question, t.answer.text) for t in self.turns]
        for event in self.rag.stream(question, k=k, history=history, query=query):
            if isinstance(event, Answer):
                self.turns.append(Turn(question=event.question, query=query, answer=event))
            yield event

    def ask(self, question: str, *, k: int | None = None) -> Answer:
        *_, answer = self.stream(question, k=k)
        return answer

    def reset(self) -> None:
        self.turns.clear()
