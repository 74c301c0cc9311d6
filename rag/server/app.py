"""The FastAPI app: /v1/ask, OpenAI's /v1/chat/completions, /v1/index, /v1/documents, /health, /mcp and the page.

As thin as the CLI: answers are `Answer.to_dict()`, the JSON `rag ask --json` prints. Every
question and every index run goes through the one generation thread (rag.server.worker).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from ..pipeline import RAG
from ..settings import MAX_K
from ..types import Answer
from . import completions, guards, problems
from .service import Service
from .streaming import event, guarded
from .watching import keep_indexed
from .worker import Job, Worker

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class Turn(BaseModel):
    question: str
    answer: str


class AskRequest(BaseModel):
    question: str = Field(description="The question.")
    k: int | None = Field(None, ge=1, le=MAX_K, description="Chunks to retrieve (default: the top_k setting).")
    stream: bool = Field(False, description="Server-sent events: `delta` events with text, then one `answer`.")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first, as in `rag chat`.")


class IndexRequest(BaseModel):
    paths: list[str] = Field(min_length=1, description="Files or folders on the server, inside serve_paths.")
    rebuild: bool = False


def create_app(rag: RAG, *, worker: Worker | None = None, watch: Sequence[Path] = ()) -> FastAPI:
    """The app over `rag`; the models load on the generation thread when the app starts.

    With `watch`, those paths are indexed once the models are loaded and again whenever a file
    under them changes (`rag.server.watching`), on the generation thread like every index run.
    """
    from ..mcp_server import HttpEndpoint  # here: rag.mcp_server imports from this package

    settings = rag.settings
    service = Service(rag, corpus=list(watch) or None)
    worker = worker or Worker(queue_size=settings.queue_size, prepare=service.prepare)
    agents = HttpEndpoint(rag, worker, service)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker.start()
        stop = asyncio.Event()
        keeper = asyncio.create_task(keep_indexed(worker, service, list(watch), stop)) if watch else None
        async with agents.session_manager.run():
            yield
        if keeper is not None:
            stop.set()
            await keeper
        worker.stop()

    app = FastAPI(title="rag", version="1", lifespan=lifespan,
                  description="Questions answered from your documents, with checked citations.")
    app.add_middleware(guards.BodyLimit, limit=settings.max_request_bytes)
    problems.install(app)

    # MCP for agents (rag.mcp_server), over the same worker, under the same key rule.
    app.router.add_route("/mcp", agents, include_in_schema=False)

    def keyed(request: Request) -> None:
        guards.check_key(request, settings)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8"))

    @app.get("/health", summary="200 once the models are loaded")
    def health() -> JSONResponse:
        if worker.failure:
            return JSONResponse({"status": "failed", "error": worker.failure}, status_code=503)
        if not worker.ready.is_set():
            return JSONResponse({"status": "loading"}, status_code=503, headers={"Retry-After": "5"})
        return JSONResponse({"status": "ok", "model": service.model})

    @app.post("/v1/ask", dependencies=[Depends(keyed)], summary="Answer a question, as `rag ask --json`")
    async def ask(body: AskRequest, request: Request):
        guards.check_question(body.question, settings)
        history = [(t.question, t.answer) for t in body.history]
        job = worker.submit(lambda: service.answer(body.question, history=history, k=body.k))
        if not body.stream:
            return (await _final(job, request)).to_dict()

        async def events() -> AsyncIterator[str]:
            async for item in job.events():
                yield event(item.to_dict(), "answer") if isinstance(item, Answer) else event({"text": item}, "delta")

        return StreamingResponse(guarded(events()), media_type="text/event-stream", headers=SSE_HEADERS)

    @app.post("/v1/chat/completions", dependencies=[Depends(keyed)], summary="OpenAI-compatible chat")
    async def chat(body: completions.ChatRequest, request: Request):
        question, history = completions.split(body.messages)
        guards.check_question(question, settings)
        model = body.model if service.knows(body.model) else service.model
        job = worker.submit(lambda: service.answer(question, history=history, k=body.k, model=body.model))
        if not body.stream:
            return completions.completion(await _final(job, request), model)
        return StreamingResponse(guarded(completions.chunks(job.events(), model), error_name=None),
                                 media_type="text/event-stream", headers=SSE_HEADERS)

    @app.get("/v1/models", dependencies=[Depends(keyed)], summary="The model names chat clients may send")
    def models() -> dict:
        names = dict.fromkeys(["rag", service.model])
        return {"object": "list", "data": [{"id": n, "object": "model", "owned_by": "rag"} for n in names]}

    @app.post("/v1/index", summary="Index paths on the server (needs the API key)")
    async def index(body: IndexRequest, request: Request):
        guards.check_key(request, settings, required=True)
        paths = await run_in_threadpool(guards.check_paths, body.paths, settings)
        job = worker.submit(lambda: iter([service.index(paths, rebuild=body.rebuild)]))
        async for report in job.events():
            return jsonable_encoder(report)

    @app.get("/v1/documents", dependencies=[Depends(keyed)], summary="The indexed documents")
    async def documents() -> dict:
        return {"documents": await run_in_threadpool(service.documents)}

    return app


async def _final(job: Job, request: Request) -> Answer:
    """The job's `Answer`; a client that disconnects while it waits cancels the job."""
    async def watch() -> None:
        while not await request.is_disconnected():
            await asyncio.sleep(0.25)
        job.cancel()

    watcher = asyncio.create_task(watch())
    try:
        answer = None
        async for item in job.events():
            answer = item if isinstance(item, Answer) else answer
        if answer is None:
            raise problems.Problem(499, "the request was cancelled")
        return answer
    finally:
        watcher.cancel()
