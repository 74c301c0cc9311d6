"""The `Generator` protocol: what the pipeline asks of a language model, and what the model says it can do.

A reader declares its capabilities as class attributes (as `llm`'s models declare `can_stream`),
and the pipeline branches on them; it never probes a reader for a method. Readers subclass the
protocol, so the optional methods and the capabilities default to "cannot".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

Message = dict[str, str]


@runtime_checkable
class Generator(Protocol):
    """What the pipeline asks of a language model."""

    name: str
    context_window: int
    # The model file, None for a server (or a test's fake): shown to the user, stamped on eval runs.
    path: Path | None = None
    # `fork(prefix)` gives a reader on this one's loaded model with a context of its own (the checker).
    can_fork: bool = False
    # `yes_probability(messages)` reads the probability of a yes (the judge).
    can_check: bool = False
    # `last_probabilities` holds, per token of the last `stream`, the chosen token's probability.
    gives_probabilities: bool = False
    last_probabilities: Sequence[float] = ()

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens of the whole chat prompt, template and generation cue included."""

    def stream(self, messages: Sequence[Message], *, max_tokens: int) -> Iterator[str]:
        """The reply to `messages`, as text pieces in the order they are generated."""

    def load(self) -> None:
        """Load the model now rather than on first use; a reader with nothing to load does nothing."""

    def fork(self, prefix: Sequence[Message]) -> Generator:
        """A reader sharing this one's model whose prompts start with `prefix`; only when `can_fork`."""
        raise NotImplementedError(f"{self.name} cannot fork")

    def yes_probability(self, messages: Sequence[Message]) -> float | None:
        """The probability that the reply to `messages` opens with yes rather than no; only when `can_check`.

        None when this reader cannot tell for these messages (too long, a server without log-probabilities).
        """
        raise NotImplementedError(f"{self.name} cannot be asked yes or no")
