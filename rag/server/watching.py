"""`rag serve --watch`: index the watched paths once the models are loaded, then after each change.

Each index run is a job on the generation thread (`rag.server.worker`), so it never overlaps a
question; questions asked meanwhile wait their turn and then see the new index. A run that
fails (a folder emptied, the index locked by another writer) is logged and the last index
stays in service until the next change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from ..errors import RagError
from ..watch import awatch
from .service import Service
from .worker import Busy, Worker

log = logging.getLogger(__name__)

_BUSY_RETRY_SECONDS = 2.0


async def keep_indexed(worker: Worker, service: Service, paths: Sequence[Path], stop: asyncio.Event) -> None:
    """Index `paths` now, then after every settled change under them, until `stop` is set."""
    async def reindex() -> None:
        while not stop.is_set():
            try:
                job = worker.submit(lambda: iter([service.index(paths)]))
            except Busy:
                await asyncio.sleep(_BUSY_RETRY_SECONDS)  # questions first; the change waits its turn
                continue
            try:
                async for report in job.events():
                    log.info("re-indexed %s: %d documents, %d new or changed, %d dropped",
                                ", ".join(map(str, paths)), report.documents, report.changed, report.dropped)
                    for skipped in report.skipped:
                        log.warning("skipped %s: %s", skipped.path, skipped.reason)
            except RagError as exc:
                log.warning("re-indexing %s failed, the last index stays: %s", ", ".join(map(str, paths)), exc)
            except Exception:  # noqa: BLE001 - the watcher must outlive one bad run; the traceback is logged
                log.exception("re-indexing %s failed, the last index stays", ", ".join(map(str, paths)))
            return

    await reindex()
    await awatch(paths, reindex, stop=stop)
