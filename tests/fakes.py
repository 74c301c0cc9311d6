"""Small stand-ins that follow the `Embedder` and `Generator` protocols, for fast tests."""

from __future__ import annotations

import re
import threading
import time
import zlib
from collections.abc import Iterator, Sequence

import numpy as np

from rag.generation import Generator

_TOKEN = re.compile(r"\w+|[^\w\s]")


class FakeEmbedder:
    """Bag-of-content-words vectors hashed into 512 dimensions: texts sharing words are similar."""

    name = "fake-embedder"
    dimension = 512
    max_tokens = 256

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def count_tokens(self, text: str) -> int:
        return len(_TOKEN.findall(text))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w{4,}", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


class FakeGenerator(Generator):
    """Replies from a queue, one word at a time; every prompt it gets is kept in `history`."""

    name = "fake-llm"

    def __init__(self, context_window: int = 4096) -> None:
        self.context_window = context_window
        self.replies: list[str] = []
        self.history: list[list[dict[str, str]]] = []

    def enqueue(self, *replies: str) -> "FakeGenerator":
        self.replies.extend(replies)
        return self

    def count_tokens(self, messages: Sequence[dict[str, str]]) -> int:
        return sum(len(_TOKEN.findall(m["content"])) + 4 for m in messages)

    def stream(self, messages: Sequence[dict[str, str]], *, max_tokens: int) -> Iterator[str]:
        assert self.count_tokens(messages) + max_tokens <= self.context_window, "prompt overflows the window"
        self.history.append(list(messages))
        if not self.replies:
            raise AssertionError("FakeGenerator: no reply queued")
        words = re.findall(r"\S+\s*", self.replies.pop(0))
        yield from words[:max_tokens]


# A question about seeds/, a reply the fake reader can give, and the sentence that backs it.
QUESTION = "Which villages in the Zaporizhzhia region did Russia claim to capture?"
REPLY = "Russia claimed Rivnopillia and Mala Tokmachka [1]."
QUOTED = "On Telegram, it said the troops had taken Rivnopillia and Mala Tokmachka in the Zaporizhzhia region."


class GatedGenerator(FakeGenerator):
    """Streams `word ` until closed or `max_tokens`; waits at `gate` before the first piece."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.started = threading.Event()
        self.closed = threading.Event()
        self.pieces = 0
        self.calls = 0

    def stream(self, messages, *, max_tokens):
        self.calls += 1
        self.started.set()
        self.gate.wait(10)
        try:
            for _ in range(max_tokens):
                self.pieces += 1
                time.sleep(0.02)
                yield "word "
        finally:
            self.closed.set()
