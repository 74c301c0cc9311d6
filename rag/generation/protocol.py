"""The `Generator` protocol: what the pipeline asks of a language model."""

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
