"""Server-sent events: how a job's events reach the client, and how a client that leaves stops its job."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from .problems import body, from_exception

log = logging.getLogger(__name__)


def event(data: object, name: str | None = None) -> str:
    """One SSE event; `data` is sent as JSON unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {name}\n" if name else "") + f"data: {payload}\n\n"


async def guarded(events: AsyncIterator[str], *, error_name: str | None = "error") -> AsyncIterator[str]:
    """`events`, with an error after the stream began sent as a last event (the status is already 200)."""
    try:
        async for item in events:
            yield item
    except Exception as exc:
        status, message, _ = from_exception(exc)
        if status >= 500:
            log.error("error in a stream", exc_info=exc)
        yield event(body(status, message), error_name)
