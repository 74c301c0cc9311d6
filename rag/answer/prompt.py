"""Build the chat prompt: instructions, numbered sources packed to a token budget, the question.

Prompt texts live in `prompts/` (the `rag.prompts` package) with named placeholders. Packing
keeps whole chunks in rank order and drops those that do not fit; it never cuts a source.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path

from .decision import REFUSAL
from ..errors import InputError
from ..generation import Generator, Message
from ..types import Hit

@cache
def load_prompt(name: str, suffix: str = "txt") -> str:
    """The text of `prompts/<name>.<suffix>`."""
    return resources.files("rag.prompts").joinpath(f"{name}.{suffix}").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Prompt:
    """The messages sent to the model; `sources[n - 1]` is the hit numbered `[n]`."""

    messages: tuple[Message, ...]
    sources: tuple[Hit, ...]
    tokens: int


def merge_overlapping(hits: Sequence[Hit]) -> list[Hit]:
    """Hits with overlapping chunks of one document joined into one, in the order of their best rank.

    Overlapping chunks would show the model the same sentences twice and spend the budget on it.
    """
    groups: list[list[Hit]] = []
    for hit in sorted(hits, key=lambda h: (h.chunk.doc_id, h.chunk.start)):
        last = groups[-1][-1].chunk if groups else None
        if last and last.doc_id == hit.chunk.doc_id and hit.chunk.start < last.end:
            groups[-1].append(hit)
        else:
            groups.append([hit])
    merged = [_join(group) for group in groups]
    return sorted(merged, key=lambda h: h.rank)


def _join(group: Sequence[Hit]) -> Hit:
    chunk, text, end = group[0].chunk, group[0].chunk.text, group[0].chunk.end
    for hit in group[1:]:
        if hit.chunk.end > end:
            text += hit.chunk.text[end - hit.chunk.start:]
            end = hit.chunk.end
    best = min(group, key=lambda h: h.rank)
    pages = tuple(sorted({mark for hit in group for mark in hit.chunk.pages}))
    sections = tuple(sorted({mark for hit in group for mark in hit.chunk.sections}))
    return Hit(chunk=replace(chunk, end=end, text=text, pages=pages, sections=sections),
               score=max(h.score for h in group), rank=best.rank)


def build_prompt(question: str, hits: Sequence[Hit], generator: Generator, *, answer_tokens: int,
                 history: Sequence[tuple[str, str]] = ()) -> Prompt:
    """The prompt with as many of `hits`, then of the latest `history` turns, as fit beside the answer.

    `history` holds earlier (question, answer) pairs, oldest first; sources come before history
    because an answer needs evidence more than it needs the conversation.
    """
    budget = generator.context_window - answer_tokens
    sources: list[Hit] = []
    messages = _messages(question, sources, [])
    tokens = generator.count_tokens(messages)
    if tokens > budget:
        raise InputError(f"the question is too long ({tokens} tokens with the instructions; "
                         f"the limit is {budget}): shorten it")
    for hit in hits:
        candidate = _messages(question, [*sources, hit], [])
        candidate_tokens = generator.count_tokens(candidate)
        if candidate_tokens <= budget:
            sources.append(hit)
            messages, tokens = candidate, candidate_tokens
    kept: list[tuple[str, str]] = []
    for turn in reversed(history):
        candidate = _messages(question, sources, [turn, *kept])
        candidate_tokens = generator.count_tokens(candidate)
        if candidate_tokens > budget:
            break
        kept.insert(0, turn)
        messages, tokens = candidate, candidate_tokens
    return Prompt(messages=tuple(messages), sources=tuple(sources), tokens=tokens)


def _messages(question: str, sources: Sequence[Hit], history: Sequence[tuple[str, str]]) -> list[Message]:
    fields = [{"title": h.chunk.title, "date": h.chunk.date.isoformat() if h.chunk.date else "undated",
               "source": Path(h.chunk.source).name, "text": h.chunk.text} for h in sources]
    turns = [{"role": role, "content": text} for asked, said in history
             for role, text in (("user", asked), ("assistant", said))]
    return [*preamble(), *turns, {"role": "user", "content": _question(question, fields)}]


@cache
def preamble() -> tuple[Message, ...]:
    """How every prompt begins: the system prompt and the worked examples.

    The same for every question, so llama.cpp reuses them from its KV cache, and a reader given
    them as its `prefix` saves their KV state for the next process.
    """
    messages = [{"role": "system", "content": load_prompt("system").format(refusal=REFUSAL).strip()}]
    for line in load_prompt("examples", suffix="jsonl").splitlines():
        example = json.loads(line)
        messages.append({"role": "user", "content": _question(example["question"], example["sources"])})
        messages.append({"role": "assistant", "content": example["answer"].format(refusal=REFUSAL)})
    return tuple(messages)


@cache
def check_preamble() -> tuple[Message, ...]:
    """How every check begins: the checker's instructions and worked verdicts (prompts/check_*)."""
    messages = [{"role": "system", "content": load_prompt("check_system").strip()}]
    for line in load_prompt("check_examples", suffix="jsonl").splitlines():
        example = json.loads(line)
        messages.append({"role": "user", "content": _check_request(example["passage"], example["question"], example["answer"])})
        messages.append({"role": "assistant", "content": example["verdict"]})
    return tuple(messages)


def check_messages(passage: str, question: str, answer: str) -> list[Message]:
    """The yes/no question whether `passage` states `answer` to `question`, after the check preamble."""
    return [*check_preamble(), {"role": "user", "content": _check_request(passage, question, answer)}]


def _check_request(passage: str, question: str, answer: str) -> str:
    return load_prompt("check_passage").format(passage=passage, question=question, answer=answer).strip()


def _question(question: str, sources: Sequence[dict]) -> str:
    blocks = "\n\n".join(load_prompt("source").format(number=n, **fields).strip()
                          for n, fields in enumerate(sources, 1))
    return load_prompt("question").format(sources=blocks or "(no sources)", question=question,
                                          refusal=REFUSAL).strip()
