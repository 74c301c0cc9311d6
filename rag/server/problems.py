"""Errors as JSON: one message in OpenAI's shape (`{"error": {"message", "type", "code"}}`), never a traceback."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import ConfigError, IndexStateError, InputError, ModelError, RagError
from .worker import Busy

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 405: "invalid_request_error", 413: "invalid_request_error",
          422: "invalid_request_error", 503: "overloaded_error"}


class Problem(HTTPException):
    """An HTTP error with the one message the client sees.

    An `HTTPException`, so FastAPI lets it through when it is raised while the body is read.
    """

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)


def body(status: int, message: str) -> dict:
    return {"error": {"message": message, "type": _TYPES.get(status, "server_error"), "code": status}}


def response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body(status, message), status_code=status, headers=headers)


def from_exception(exc: Exception) -> tuple[int, str, dict[str, str]]:
    """Status, message and headers for any exception a request can raise."""
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, str(exc.detail), dict(exc.headers or {})
    if isinstance(exc, Busy):
        return 503, f"the server is busy; retry in {exc.retry_after} s", {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, (InputError, ConfigError)):
        return 400, str(exc), {}
    if isinstance(exc, (IndexStateError, ModelError)):
        return 503, str(exc), {}
    if isinstance(exc, RagError):
        return 400, str(exc), {}
    return 500, f"internal error ({type(exc).__name__}); the server log has the details", {}


def install(app: FastAPI) -> None:
    """Route every error through `from_exception`."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        return response(422, f"{where}: {first.get('msg', 'invalid request')}" if where else first.get("msg", "invalid"))

    async def anything(request: Request, exc: Exception) -> JSONResponse:
        status, message, headers = from_exception(exc)
        return response(status, message, headers)

    # The specific classes are handled inside the app; `Exception` at its outer edge, which then
    # re-raises it so the server logs the traceback.
    for kind in (Busy, RagError, Exception):
        app.add_exception_handler(kind, anything)
