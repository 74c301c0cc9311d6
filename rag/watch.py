"""Keep an index in line with folders as their files change: `rag index --watch` and `rag serve --watch`.

watchfiles reports changes (inotify on Linux), gathered until none came for `DEBOUNCE_MS`, so
saving many files is one re-index. Before re-indexing, every added or changed file must keep its
size and modification time for `SETTLE_SECONDS`: a file still being written (a copy, a
download) is read once it is complete. The re-index is `RAG.index(paths)`, so only what changed
is read and embedded, removed files leave the index, and an interrupted run leaves the last
index whole. Does not follow changes inside linked folders outside the watched paths.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path

from .loaders import SUFFIXES

log = logging.getLogger(__name__)

DEBOUNCE_MS = 1000
SETTLE_SECONDS = 1.0
# A file that keeps changing for this long is indexed as it is; the next change re-indexes it.
SETTLE_LIMIT = 120.0


def relevant(change, path: str) -> bool:
    """A change worth re-indexing for: a document's file (a name the folder walk picks up), not hidden."""
    name = Path(path)
    if name.name.startswith("."):
        return False  # editors' swap files, partial downloads
    # A removed folder leaves no suffix to look at; its removal may take documents with it.
    return name.suffix.lower() in SUFFIXES or not name.suffix


def settle(paths: Iterable[Path], seconds: float = SETTLE_SECONDS, limit: float = SETTLE_LIMIT) -> None:
    """Return once none of `paths` changed size or modification time for `seconds` (or after `limit`)."""
    deadline = time.monotonic() + limit
    last = _states(paths)
    while time.monotonic() < deadline:
        time.sleep(seconds)
        now = _states(paths)
        if now == last:
            return
        last = now
    log.warning("files still changing after %.0f s: indexing them as they are", limit)


def watch(paths: Sequence[Path], reindex: Callable[[], None], *, stop: threading.Event | None = None,
          debounce_ms: int = DEBOUNCE_MS, settle_seconds: float = SETTLE_SECONDS) -> None:
    """Call `reindex()` after each settled batch of changes under `paths`, until `stop` is set or Ctrl-C."""
    from watchfiles import watch as changes

    for batch in changes(*paths, watch_filter=relevant, debounce=debounce_ms, stop_event=stop):
        settle(_touched(batch), settle_seconds)
        reindex()


async def awatch(paths: Sequence[Path], reindex: Callable[[], Awaitable[None]], *,
                 stop: asyncio.Event | None = None, debounce_ms: int = DEBOUNCE_MS,
                 settle_seconds: float = SETTLE_SECONDS) -> None:
    """As `watch`, in an event loop: await `reindex()` after each settled batch, until `stop` is set."""
    from watchfiles import awatch as changes

    async for batch in changes(*paths, watch_filter=relevant, debounce=debounce_ms, stop_event=stop):
        await asyncio.to_thread(settle, _touched(batch), settle_seconds)
        await reindex()


def _touched(batch) -> list[Path]:
    from watchfiles import Change

    return [Path(path) for change, path in batch if change != Change.deleted]


def _states(paths: Iterable[Path]) -> dict[Path, tuple[int, int] | None]:
    states = {}
    for path in paths:
        try:
            info = os.stat(path)
            states[path] = (info.st_size, info.st_mtime_ns)
        except OSError:
            states[path] = None  # gone again, or not yet there: the re-index sees what is there
    return states
