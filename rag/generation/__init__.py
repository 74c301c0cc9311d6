"""Generate text from a chat: the `Generator` protocol the pipeline asks of a language model.

The protocol is all the pipeline needs, so tests hand in a fake and other backends plug in.
`llama` holds the local adapter (a GGUF model run by llama.cpp), `remote` the one for any
OpenAI-compatible server; `open_reader` picks between them from the model setting.
"""

from __future__ import annotations

from collections.abc import Sequence

from .llama import (LLAMA_OPTIONS, LlamaCounters, LlamaCppGenerator, defuse_control_tokens,
                    gguf_token_counter, read_counters)
from .protocol import Generator, Message
from .remote import RemoteGenerator, is_remote


def open_reader(name: str, settings, *, prefix: Sequence[Message]) -> Generator:
    """The reader a model setting names: a server URL (`http://host:port/v1[#model]`), a bundled model, a GGUF.

    A local model keeps `prefix` (how its every prompt begins) in its KV cache, saved across processes.
    """
    from ..models import BUNDLED, DEFAULT_MODEL, resolve_model

    s = settings
    if is_remote(name):
        # The server's own tokenizer is asked first; this one, the served model's if rag has it, is the fallback.
        served = name.partition("#")[2]
        local = served if served in BUNDLED else DEFAULT_MODEL
        counter = gguf_token_counter(lambda: resolve_model(local, cache_dir=s.cache_dir, models_dir=s.models_dir))
        return RemoteGenerator(name, context_window=s.context_window, temperature=s.temperature, seed=s.seed,
                               local_tokenizer=counter)
    path = resolve_model(name, cache_dir=s.cache_dir, models_dir=s.models_dir)
    return LlamaCppGenerator(path, name=name, context_window=s.context_window, threads=s.threads,
                             temperature=s.temperature, seed=s.seed, prefix=prefix,
                             state_dir=s.cache_dir / "state")


__all__ = ["Generator", "Message", "LlamaCppGenerator", "LlamaCounters", "LLAMA_OPTIONS", "RemoteGenerator",
           "defuse_control_tokens", "gguf_token_counter", "is_remote", "open_reader", "read_counters"]
