"""Generate text from a chat: the `Generator` protocol the pipeline asks of a language model.

The protocol is all the pipeline needs, so tests hand in a fake and other backends plug in.
`llama` holds the local adapter (a GGUF model run by llama.cpp).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

Message = dict[str, str]


@runtime_checkable
class Generator(Protocol):
    """What the pipeline asks of a language model."""

    name: str
    context_window: int

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens of the whole chat prompt, template and generation cue included."""

    def stream(self, messages: Sequence[Message], *, max_tokens: int) -> Iterator[str]:
        """The reply to `messages`, as text pieces in the order they are generated."""


from .llama import LLAMA_OPTIONS, LlamaCounters, LlamaCppGenerator, defuse_control_tokens, read_counters  # noqa: E402

__all__ = ["Generator", "Message", "LlamaCppGenerator", "LlamaCounters", "LLAMA_OPTIONS",
           "defuse_control_tokens", "read_counters"]
