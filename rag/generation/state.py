"""The KV state of a reader's fixed prompt prefix (system prompt and worked examples), kept on disk.

Every prompt starts with the same ~500 tokens, which a 2-core CPU evaluates in seconds; within a
process llama.cpp reuses them from its KV cache, but a new process would evaluate them again.
The first process saves llama.cpp's state of that sequence; later ones load it in milliseconds.

A state is named by a key over everything it depends on: the model file's sha256, the
llama.cpp version, the context options and the prefix tokens (so a new prompt version gets a new
state). The state file is named by its own sha256 and written aside, then a small record
(`<key>.json`) naming it is swapped in atomically; on load both must match, and llama.cpp must
give back exactly the prefix tokens. A missing, stale or damaged state is ignored and rebuilt,
never used. Does not save the KV of anything after the prefix: those tokens differ per question.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from ..store.stamps import file_sha256

log = logging.getLogger(__name__)

_SEQUENCE = 0


def state_key(model_sha256: str, options: dict, tokens: Sequence[int]) -> str:
    """The name of the state for this model file, these llama.cpp options and these prefix tokens."""
    import llama_cpp

    record = {"model": model_sha256, "llama_cpp": llama_cpp.__version__, "options": options, "tokens": list(tokens)}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:32]


def restore(llama, tokens: Sequence[int], directory: Path, key: str) -> bool:
    """Load the saved state of `tokens` into `llama`'s KV cache; False (and nothing used) when there is none valid."""
    import llama_cpp

    try:
        record = json.loads((directory / f"{key}.json").read_text())
        path = directory / str(record["file"])
        if path.parent != directory or record.get("tokens") != len(tokens) or file_sha256(path) != record.get("sha256"):
            return False
    except (OSError, ValueError, TypeError, KeyError):
        return False
    buffer = (llama_cpp.llama_token * len(tokens))()
    count = ctypes.c_size_t(0)
    read = llama_cpp.llama_state_seq_load_file(llama.ctx, str(path).encode(), _SEQUENCE, buffer, len(tokens),
                                               ctypes.byref(count))
    if not read or list(buffer[:count.value]) != list(tokens):
        # What was loaded is not trusted: llama.cpp drops the cache past `n_tokens` (0) on the next eval.
        llama.n_tokens = 0
        log.info("the saved prefix state %s does not load; evaluating the prefix again", path.name)
        return False
    llama.input_ids[:len(tokens)] = tokens
    llama.n_tokens = len(tokens)
    # The logits of the last prefix token were not restored: the binding must evaluate before sampling.
    llama._requires_eval = True
    return True


def save(llama, tokens: Sequence[int], directory: Path, key: str) -> None:
    """Save the state of `tokens`, which `llama` has just evaluated; best effort (a failure is logged)."""
    import llama_cpp

    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / f".{key}.{os.getpid()}.partial"
        array = (llama_cpp.llama_token * len(tokens))(*tokens)
        if not llama_cpp.llama_state_seq_save_file(llama.ctx, str(partial).encode(), _SEQUENCE, array, len(tokens)):
            raise OSError("llama.cpp wrote no state")
        digest = file_sha256(partial)
        final = directory / f"{key}-{digest[:16]}.kv"
        os.replace(partial, final)
        record = directory / f".{key}.{os.getpid()}.json.partial"
        record.write_text(json.dumps({"file": final.name, "sha256": digest, "tokens": len(tokens)}))
        os.replace(record, directory / f"{key}.json")
        for older in directory.glob(f"{key}-*.kv"):
            if older != final:
                older.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not save the prompt prefix state in %s: %s", directory, exc)
    finally:
        for leftover in directory.glob(f".{key}.{os.getpid()}.*"):
            leftover.unlink(missing_ok=True)


def snapshot(llama):
    """A copy, in memory, of the KV cache `llama` holds now (sequence 0): what `swap_in` puts back."""
    import llama_cpp

    size = llama_cpp.llama_state_seq_get_size(llama.ctx, _SEQUENCE)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(llama.ctx, buffer, size, _SEQUENCE)
    return buffer, written


def swap_in(llama, saved, tokens: Sequence[int]) -> None:
    """Put a `snapshot` of `tokens` back into `llama`'s KV cache, in place of what it holds."""
    import llama_cpp

    buffer, size = saved
    if not llama_cpp.llama_state_seq_set_data(llama.ctx, buffer, size, _SEQUENCE):
        raise RuntimeError("llama.cpp could not load a KV snapshot it made")
    llama.input_ids[:len(tokens)] = tokens
    llama.n_tokens = len(tokens)
    llama._requires_eval = True
