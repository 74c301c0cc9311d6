"""What keeps the server safe: the API key, the bind rule, size limits and the paths it may read."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings
from .problems import Problem, response

def check_key(request: Request, settings: Settings, *, required: bool = False) -> None:
    """The bearer token must match `api_key` when one is set; `required` endpoints need one set."""
    key = settings.api_key.reveal() if settings.api_key else ""
    if not key:
        if required:
            raise Problem(403, "this endpoint needs an API key: start the server with RAG_API_KEY set")
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), key.encode()):
        raise Problem(401, "missing or wrong API key: send `Authorization: Bearer KEY`",
                      headers={"WWW-Authenticate": "Bearer"})


def check_question(question: str, settings: Settings) -> None:
    if len(question) > settings.max_question_chars:
        raise Problem(422, f"question of {len(question)} characters is over the limit of "
                           f"{settings.max_question_chars}")


def allowed_roots(settings: Settings) -> list[Path]:
    return [Path(p).resolve() for p in (settings.serve_paths or (settings.corpus,))]


def check_paths(paths: list[str], settings: Settings) -> list[Path]:
    """The paths resolved, if each one, and every file under it with links followed, lies in a served folder."""
    roots = allowed_roots(settings)

    def inside(path: Path) -> bool:
        return any(path == root or path.is_relative_to(root) for root in roots)

    resolved = []
    for given in paths:
        path = Path(given).expanduser().resolve()
        if not inside(path):
            raise Problem(403, f"{given} is outside the folders this server may index ({_names(roots)}); "
                               "add it to serve_paths")
        if not path.exists():
            raise Problem(400, f"{given} does not exist on the server")
        # A link inside a served folder may point anywhere; the loader follows links, so look first.
        seen = {path}
        for folder, dirs, files in os.walk(path, followlinks=True) if path.is_dir() else ():
            for name in [*dirs, *files]:
                target = (Path(folder) / name).resolve()
                if not inside(target):
                    raise Problem(403, f"{Path(folder) / name} links outside the folders this server may index "
                                       f"({_names(roots)})")
            # Each real folder once, so a link loop ends.
            dirs[:] = [d for d in dirs if (Path(folder) / d).resolve() not in seen]
            seen.update((Path(folder) / d).resolve() for d in dirs)
        resolved.append(path)
    return resolved


def _names(roots: list[Path]) -> str:
    return ", ".join(str(r) for r in roots)


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes is refused with 413, declared or not."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            return await response(413, f"request body of {int(declared)} bytes is over the limit of "
                                       f"{self.limit}")(scope, receive, send)
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise Problem(413, f"request body is over the limit of {self.limit} bytes")
            return message

        await self.app(scope, limited, send)
