"""A GGUF model run by llama-cpp-python: the local `Generator`.

It renders the model's own chat template, counts with the model's own tokenizer, and decodes
greedily by default. llama.cpp keeps the longest shared prompt prefix in its KV cache, so the
fixed system prompt is evaluated once per process, not once per question; with a `state_dir`,
once per model and prompt version (rag.generation.state).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import ModelError
from ..store.stamps import Stamps
from . import state
from .protocol import Generator, Message


# How every `Llama` here is built, the benchmark's raw llama.cpp included. The binding turns flash
# attention off unless asked; llama.cpp's own default turns it on where supported, and on this
# CPU it reads prompts about 11% faster (bench: 196 -> 218 tokens/s over 900 tokens).
LLAMA_OPTIONS = {"n_batch": 512, "flash_attn": True}


# The `<|name|>` form covers the control tokens of ChatML, Llama 3, Phi and most current templates.
_CONTROL_TOKEN = re.compile(r"<\|([^|<>\s]{1,40})\|>")


@dataclass(frozen=True)
class LlamaCounters:
    """llama.cpp's running totals for one loaded model; subtract two readings to time one reply."""

    prompt_tokens: int
    prompt_seconds: float
    generated_tokens: int
    generation_seconds: float

    def __sub__(self, earlier: "LlamaCounters") -> "LlamaCounters":
        return LlamaCounters(self.prompt_tokens - earlier.prompt_tokens, self.prompt_seconds - earlier.prompt_seconds,
                             self.generated_tokens - earlier.generated_tokens,
                             self.generation_seconds - earlier.generation_seconds)


def open_llama(**options):
    """A `llama_cpp.Llama` that loads quietly without touching the process's stdout and stderr.

    With verbose=False llama-cpp-python silences loading by pointing file descriptors 1 and 2 at
    /dev/null for the while, which loses whatever another thread prints meanwhile: `rag chat`
    draws its prompt while the reader loads in the background, and the prompt vanished. Here
    llama.cpp's own log goes to the `llama_cpp` logger (shown with -vv), and the binding's
    loading report, printed to `sys.stderr`, is dropped.
    """
    from llama_cpp import Llama

    _route_llama_log()
    with contextlib.redirect_stderr(io.StringIO()):
        llama = Llama(verbose=True, **options)
    llama.verbose = False  # no per-reply reports from here on
    return llama


_LLAMA_LOG = logging.getLogger("llama_cpp")


def _route_llama_log() -> None:
    """Send llama.cpp's log lines to `_LLAMA_LOG` at debug level, once per process."""
    global _log_callback
    if _log_callback is not None:
        return
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback
    def callback(_level, text, _user_data):
        _LLAMA_LOG.debug("%s", text.decode("utf-8", "replace").rstrip("\n"))

    _log_callback = callback  # llama.cpp keeps only the pointer: the function must outlive it
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


_log_callback = None


def read_counters(llama) -> LlamaCounters:
    """The counters of a `llama_cpp.Llama`: prompt tokens are those evaluated, not those reused from the KV cache."""
    import llama_cpp

    perf = llama_cpp.llama_perf_context(llama.ctx)
    return LlamaCounters(prompt_tokens=perf.n_p_eval, prompt_seconds=perf.t_p_eval_ms / 1000,
                         generated_tokens=perf.n_eval, generation_seconds=perf.t_eval_ms / 1000)


def defuse_control_tokens(text: str) -> str:
    """`text` with chat-template control tokens (`<|im_start|>`, `<|eot_id|>`…) broken up so they read as text."""
    return _CONTROL_TOKEN.sub(lambda m: "< |" + m.group(1) + "| >", text)


class LlamaCppGenerator(Generator):
    """A GGUF model run by llama-cpp-python; the weights load on first use."""

    can_fork = True
    can_check = True
    gives_probabilities = True

    def __init__(self, path: Path, *, name: str | None = None, context_window: int = 4096,
                 threads: int = 0, temperature: float = 0.0, seed: int = 0,
                 prefix: Sequence[Message] = (), state_dir: Path | None = None) -> None:
        """`prefix` is how every prompt begins (system prompt, examples); it is evaluated when the
        model loads, or its KV state loaded from `state_dir` when a valid one was saved there."""
        self.path = Path(path)
        self.name = name or self.path.stem
        self.context_window = context_window
        self.threads = threads or os.cpu_count() or 1
        self.temperature = temperature
        self.seed = seed
        self.prefix = tuple(prefix)
        self.state_dir = state_dir
        # How the prefix got into the KV cache at load: "restored", "evaluated" or None (no prefix).
        self.prefix_source: str | None = None
        # Per generated token of the last `stream`, the probability of the most likely token.
        self.last_probabilities: list[float] = []
        self._host: LlamaCppGenerator | None = None  # whose loaded model this one shares (`fork`)
        # Once loaded: the prefix's tokens and a copy of their KV state, to swap back in (`_enter`).
        self._prefix_ids: list[int] = []
        self._snapshot = None

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return len(self._tokens(messages))

    def stream(self, messages: Sequence[Message], *, max_tokens: int) -> Iterator[str]:
        tokens = self._tokens(messages)
        if len(tokens) + max_tokens > self.context_window:
            raise ModelError(f"prompt of {len(tokens)} tokens plus {max_tokens} for the answer exceeds "
                             f"the context window of {self.context_window}")
        self.last_probabilities = []
        pieces = self._enter().create_completion(
            tokens, max_tokens=max_tokens, temperature=self.temperature, seed=self.seed,
            repeat_penalty=1.0, stream=True, logits_processor=[self._record_probability])
        for piece in pieces:
            text = piece["choices"][0]["text"]
            if text:
                yield text

    def _record_probability(self, _input_ids, logits):
        # The most likely token's probability: under greedy decoding, the one chosen.
        import numpy as np

        weights = np.exp(logits - logits.max())
        self.last_probabilities.append(float(1.0 / weights.sum()))
        return logits

    def yes_probability(self, messages: Sequence[Message]) -> float | None:
        """The probability that the reply to `messages` opens with yes rather than no; None if they do not fit.

        Reads the logits after the prompt instead of generating. What the KV cache already holds
        of the prompt is reused, so a check that continues the conversation costs only its own
        tokens.
        """
        import llama_cpp
        import numpy as np

        tokens = self._tokens(messages)
        if len(tokens) >= self.context_window:
            return None
        llama = self._enter()
        # At least the last token is evaluated again: its logits are the ones read.
        shared = min(llama.longest_token_prefix(llama.input_ids[:llama.n_tokens].tolist(), tokens), len(tokens) - 1)
        llama.n_tokens = shared
        llama.eval(tokens[shared:])
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama.ctx, -1), shape=(llama.n_vocab(),))
        weights = np.exp(logits - logits.max())
        yes, no = (float(weights[ids].sum()) for ids in self._yes_no)
        return yes / (yes + no) if yes + no > 0 else 0.5

    def fork(self, prefix: Sequence[Message]) -> "LlamaCppGenerator":
        """A generator on this one's loaded model whose prompts start with `prefix`.

        Asked in this generator's conversation, a check would evict its cached preamble, which the
        next question would evaluate again; a second llama.cpp model would hold the weights twice
        (llama.cpp repacks them into memory of its own: +590 MB for the 0.5B). So the two share
        the model and its context, each keeps a copy of its own preamble's KV state, and the one
        about to run swaps its copy in when the other ran last, in milliseconds.
        """
        twin = LlamaCppGenerator(self.path, name=self.name, context_window=self.context_window, threads=self.threads,
                                 temperature=self.temperature, seed=self.seed, prefix=prefix, state_dir=self.state_dir)
        twin._host = self
        return twin

    def load(self) -> None:
        """Load the weights and the prefix's KV state now, rather than on the first question."""
        self._llama

    def counters(self) -> LlamaCounters:
        """llama.cpp's running totals for this model (loads it if it is not loaded yet)."""
        return read_counters(self._llama)

    def _tokens(self, messages: Sequence[Message]) -> list[int]:
        # The rendered template is tokenized with special tokens on, so its own markers work; text
        # inside a message must not be able to forge them ("<|im_end|>" in a document).
        safe = [{**m, "content": defuse_control_tokens(m["content"])} for m in messages]
        prompt = self._formatter(messages=safe).prompt
        return self._model.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)

    @cached_property
    def _llama(self):
        """The model with the prefix in its KV cache."""
        llama = self._model
        tokens = self._prefix_tokens()
        if not tokens:
            return llama
        llama.n_tokens = 0  # a shared model may hold the other generator's prefix
        key = None
        if self.state_dir is not None:
            stamps = Stamps(self.state_dir / "models.json")
            try:
                model_sha256 = stamps.sha256(self.path.resolve())
            finally:
                stamps.save()
            options = {"n_ctx": self.context_window, **LLAMA_OPTIONS}
            key = state.state_key(model_sha256, options, tokens)
        restored = key is not None and state.restore(llama, tokens, self.state_dir, key)
        if not restored:
            llama.eval(tokens)
            if key is not None:
                state.save(llama, tokens, self.state_dir, key)
        self.prefix_source = "restored" if restored else "evaluated"
        self._prefix_ids = tokens
        self._snapshot = state.snapshot(llama)
        return llama

    def _enter(self):
        """The model, holding this generator's prefix: swapped back in if a generator sharing it ran last."""
        llama = self._llama
        tokens = self._prefix_ids
        if tokens and (llama.n_tokens < len(tokens) or llama.input_ids[:len(tokens)].tolist() != tokens):
            state.swap_in(llama, self._snapshot, tokens)
        return llama

    def _prefix_tokens(self) -> list[int]:
        """The tokens every prompt that starts with `prefix` starts with, whatever follows.

        Rendered with two different questions after it, through the model's own template, so the
        template's markers around the next message are included exactly as a real prompt has them.
        """
        if not self.prefix:
            return []
        first, second = (self._tokens([*self.prefix, {"role": "user", "content": text}]) for text in ("a", "b"))
        shared = self._model.longest_token_prefix(first, second)
        return first[:shared]

    @cached_property
    def _model(self):
        if self._host is not None:
            return self._host._model
        if not self.path.is_file():
            raise ModelError(f"model file not found: {self.path}")
        try:
            return open_llama(model_path=str(self.path), n_ctx=self.context_window, n_threads=self.threads,
                              n_threads_batch=self.threads, seed=self.seed, **LLAMA_OPTIONS)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp cannot load {self.path} ({exc}); check that it is a complete GGUF file") from exc

    @cached_property
    def _formatter(self):
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        meta = self._model.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{self.path.name} has no chat template; use an instruction-tuned GGUF")
        return Jinja2ChatFormatter(template=template, eos_token=self._token_text("eos"),
                                   bos_token=self._token_text("bos"), add_generation_prompt=True)

    @cached_property
    def _yes_no(self) -> tuple[list[int], list[int]]:
        """The single-token spellings of yes and of no in this model's vocabulary."""
        def ids(*spellings: str) -> list[int]:
            found = {tuple(self._model.tokenize(s.encode(), add_bos=False, special=False)) for s in spellings}
            return sorted({t[0] for t in found if len(t) == 1})

        return ids("yes", "Yes", "YES", " yes", " Yes"), ids("no", "No", "NO", " no", " No")

    def _token_text(self, kind: str) -> str:
        token_id = self._model.metadata.get(f"tokenizer.ggml.{kind}_token_id")
        if token_id is None:
            return ""
        return self._model.detokenize([int(token_id)], special=True).decode("utf-8", "replace")


def gguf_token_counter(path: Callable[[], Path]) -> Callable[[str], int]:
    """A text's token count by a GGUF's tokenizer; only the vocabulary loads, and only on the first count."""
    loaded = []

    def count(text: str) -> int:
        if not loaded:
            loaded.append(open_llama(model_path=str(path()), vocab_only=True))
        return len(loaded[0].tokenize(text.encode("utf-8"), add_bos=False, special=False))

    return count
