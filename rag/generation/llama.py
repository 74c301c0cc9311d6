"""A GGUF model run by llama-cpp-python: the local `Generator`.

It renders the model's own chat template, counts with the model's own tokenizer, and decodes
greedily by default. llama.cpp keeps the longest shared prompt prefix in its KV cache, so the
fixed system prompt is evaluated once per process, not once per question.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import ModelError

Message = dict[str, str]

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


def read_counters(llama) -> LlamaCounters:
    """The counters of a `llama_cpp.Llama`: prompt tokens are those evaluated, not those reused from the KV cache."""
    import llama_cpp

    perf = llama_cpp.llama_perf_context(llama.ctx)
    return LlamaCounters(prompt_tokens=perf.n_p_eval, prompt_seconds=perf.t_p_eval_ms / 1000,
                         generated_tokens=perf.n_eval, generation_seconds=perf.t_eval_ms / 1000)


def defuse_control_tokens(text: str) -> str:
    """`text` with chat-template control tokens (`<|im_start|>`, `<|eot_id|>`…) broken up so they read as text."""
    return _CONTROL_TOKEN.sub(lambda m: "< |" + m.group(1) + "| >", text)


class LlamaCppGenerator:
    """A GGUF model run by llama-cpp-python; the weights load on first use."""

    def __init__(self, path: Path, *, name: str | None = None, context_window: int = 4096,
                 threads: int = 0, temperature: float = 0.0, seed: int = 0) -> None:
        self.path = Path(path)
        self.name = name or self.path.stem
        self.context_window = context_window
        self.threads = threads or os.cpu_count() or 1
        self.temperature = temperature
        self.seed = seed

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return len(self._tokens(messages))

    def stream(self, messages: Sequence[Message], *, max_tokens: int) -> Iterator[str]:
        tokens = self._tokens(messages)
        if len(tokens) + max_tokens > self.context_window:
            raise ModelError(f"prompt of {len(tokens)} tokens plus {max_tokens} for the answer exceeds "
                             f"the context window of {self.context_window}")
        pieces = self._llama.create_completion(
            tokens, max_tokens=max_tokens, temperature=self.temperature, seed=self.seed,
            repeat_penalty=1.0, stream=True)
        for piece in pieces:
            text = piece["choices"][0]["text"]
            if text:
                yield text

    def counters(self) -> LlamaCounters:
        """llama.cpp's running totals for this model (loads it if it is not loaded yet)."""
        return read_counters(self._llama)

    def _tokens(self, messages: Sequence[Message]) -> list[int]:
        # The rendered template is tokenized with special tokens on, so its own markers work; text
        # inside a message must not be able to forge them ("<|im_end|>" in a document).
        safe = [{**m, "content": defuse_control_tokens(m["content"])} for m in messages]
        prompt = self._formatter(messages=safe).prompt
        return self._llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)

    @cached_property
    def _llama(self):
        if not self.path.is_file():
            raise ModelError(f"model file not found: {self.path}")
        from llama_cpp import Llama

        try:
            return Llama(model_path=str(self.path), n_ctx=self.context_window, n_threads=self.threads,
                         n_threads_batch=self.threads, seed=self.seed, verbose=False, **LLAMA_OPTIONS)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp cannot load {self.path} ({exc}); check that it is a complete GGUF file") from exc

    @cached_property
    def _formatter(self):
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        meta = self._llama.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{self.path.name} has no chat template; use an instruction-tuned GGUF")
        return Jinja2ChatFormatter(template=template, eos_token=self._token_text("eos"),
                                   bos_token=self._token_text("bos"), add_generation_prompt=True)

    def _token_text(self, kind: str) -> str:
        token_id = self._llama.metadata.get(f"tokenizer.ggml.{kind}_token_id")
        if token_id is None:
            return ""
        return self._llama.detokenize([int(token_id)], special=True).decode("utf-8", "replace")
