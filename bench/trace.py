"""Run the `rag` command with its start-up phases timed, and write them as JSON: the startup benchmark's worker.

    python bench/trace.py OUT.json ask --index DIR "question"

Run as a script, not `-m`, so that `rag` is whichever the path gives: with PYTHONPATH pointing
at another checkout, the same trace times that version (bench/startup.py measures before and
after that way). Phases are timed by wrapping the functions that do them, under the names of
both versions; a phase a version does not have is left out. Times are seconds since the
process started; `imports` is Python's start-up and importing the CLI.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import sys
import threading
import time
from functools import cached_property


def _since_start() -> float:
    """Seconds since this process started (10 ms resolution, from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    started = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]) / ticks
    return float(open("/proc/uptime").read().split()[0]) - started


_OFFSET = _since_start() - time.perf_counter()
_spans: list[tuple[str, float, float]] = []
_lock = threading.Lock()
_readers: list = []


def _now() -> float:
    return time.perf_counter() + _OFFSET


def _timed(phase: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        begin = _now()
        try:
            return function(*args, **kwargs)
        finally:
            with _lock:
                _spans.append((phase, begin, _now()))
    return wrapper


def _wrap(cls, name: str, phase: str) -> None:
    attribute = cls.__dict__.get(name)
    if attribute is None:
        return
    if isinstance(attribute, cached_property):
        wrapped = cached_property(_timed(phase, attribute.func))
        wrapped.__set_name__(cls, name)
    elif isinstance(attribute, classmethod):
        wrapped = classmethod(_timed(phase, attribute.__func__))
    else:
        wrapped = _timed(phase, attribute)
    setattr(cls, name, wrapped)


def _instrument() -> None:
    from rag import embeddings, index
    from rag.generation import llama

    for module, cls, name, phase in (
            ("rag.embeddings", "SentenceTransformerEmbedder", "_model", "embedder"),
            ("rag.embeddings.sbert", "SentenceTransformerEmbedder", "_model", "embedder"),
            ("rag.embeddings.bert", "BertEmbedder", "_weights", "embedder"),
            ("rag.embeddings.bert", "BertEmbedder", "_tokenizer", "embedder"),
            ("rag.generation.llama", "LlamaCppGenerator", "_llama", "reader"),
            ("rag.store.folder", "VectorIndex", "open", "index open"),
            ("rag.retrieval", "KeywordIndex", "_bm25", "index open")):
        try:
            target = getattr(__import__(module, fromlist=[cls]), cls)
        except (ImportError, AttributeError):
            continue
        _wrap(target, name, phase)
    original = llama.LlamaCppGenerator.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        _readers.append(self)

    llama.LlamaCppGenerator.__init__ = init
    del embeddings, index


def _write(path: str, imported: float) -> None:
    from rag.generation.llama import read_counters

    phases: dict[str, float] = {"imports": imported}
    for phase, begin, end in _spans:
        phases[phase] = phases.get(phase, 0.0) + end - begin
    # Spans of one phase can nest (an open that retries); and phases overlap when loaded in threads.
    loads = [(b, e) for p, b, e in _spans if p in ("embedder", "reader", "index open")]
    record = {"phases": phases, "spans": _spans, "exit": _now(),
              "loading_wall": (max(e for _, e in loads) - min(b for b, _ in loads)) if loads else None}
    counted = set()
    for reader in _readers:
        model = reader.__dict__.get("_llama") or reader.__dict__.get("_model")
        # A fork (the checker) shares its reader's llama.cpp context, and so its counters.
        if model is not None and id(model) not in counted:
            counted.add(id(model))
            counters = read_counters(model)
            record.setdefault("readers", []).append({
                "name": reader.name, "prompt_tokens": counters.prompt_tokens, "prefill": counters.prompt_seconds,
                "generated_tokens": counters.generated_tokens, "generation": counters.generation_seconds,
                "prefix": getattr(reader, "prefix_source", None)})
    with open(path, "w") as handle:
        json.dump(record, handle, indent=1)


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    from rag import cli

    imported = _now()
    _instrument()
    atexit.register(_write, out, imported)
    sys.argv = ["rag", *args]
    cli.main()


if __name__ == "__main__":
    main()
