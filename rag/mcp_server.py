"""rag for agents: an MCP server (the official `mcp` SDK) with search, cited answers and the documents as resources.

`rag mcp` serves it over stdio; `rag serve` mounts it at `/mcp` (streamable HTTP). The tools are
thin wrappers over `RAG`, and every call runs on the one generation thread (rag.server.worker),
in order, as the HTTP API's requests do; a client that cancels a call stops its generation. It
does not stream the reader's raw text to the client: an agent gets the answer once it is checked.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
from fastapi.encoders import jsonable_encoder
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import Resource
from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from .errors import RagError
from .pipeline import RAG
from .settings import LOOPBACK, MAX_K
from .server.guards import check_key, check_paths
from .server.problems import Problem, response
from .server.service import Service
from .server.worker import Busy, Worker
from .types import Chunk, Hit

URI = "rag://documents/{doc_id}"
SPAN_URI = "rag://documents/{doc_id}/{start}-{end}"

INSTRUCTIONS = """\
rag answers questions from the user's own indexed documents, offline, with checked citations.
Use `search` to find passages (fast, no generation), `ask` for a short answer whose every
citation was checked against its source (or a refusal with its reason), `list_documents` to see
what is indexed. Each passage and citation has a `uri`: read it as a resource to get the exact
span; `rag://documents/{id}` is the whole document."""


class Turn(BaseModel):
    question: str = Field(description="An earlier question of this conversation.")
    answer: str = Field(description="The answer `ask` gave to it.")


class Passage(BaseModel):
    text: str = Field(description="The passage, exactly as in the document.")
    source: str = Field(description="The file it comes from.")
    title: str
    date: str | None = Field(description="The document's date (ISO), when it has one.")
    page: int | None = Field(description="1-based page the passage starts on; null for formats without pages.")
    section: str | None = Field(description="Heading of the section it starts in, if any.")
    doc_id: str
    start: int = Field(description="Character offset of the passage in the document.")
    end: int
    score: float = Field(description="Similarity to the query (cosine, higher is closer).")
    uri: str = Field(description="Resource with this exact span.")


class SearchResult(BaseModel):
    passages: list[Passage] = Field(description="Best match first.")


class DocumentInfo(BaseModel):
    doc_id: str
    uri: str = Field(description="Resource with the document's text.")
    source: str
    title: str
    date: str | None
    pages: int | None = Field(description="Number of pages; null for formats without pages.")
    chunks: int = Field(description="Number of indexed chunks.")


class DocumentList(BaseModel):
    documents: list[DocumentInfo]


# The one place that walks the index's chunks: repoint it when the store gets its own protocol.
def indexed_chunks(rag: RAG) -> dict[str, list[Chunk]]:
    """Each indexed document's chunks, by document id, in document order."""
    found: dict[str, list[Chunk]] = {}
    for chunk in rag.store.chunks:
        found.setdefault(chunk.doc_id, []).append(chunk)
    for chunks in found.values():
        chunks.sort(key=lambda c: c.start)
    return found


def document_info(chunks: list[Chunk]) -> DocumentInfo:
    first = chunks[0]
    pages = max((page for chunk in chunks for _, page in chunk.pages), default=None)
    return DocumentInfo(doc_id=first.doc_id, uri=URI.format(doc_id=first.doc_id), source=first.source,
                        title=first.title, date=first.date.isoformat() if first.date else None,
                        pages=pages, chunks=len(chunks))


def document_text(chunks: list[Chunk]) -> str:
    """The document's text as indexed, with offsets as in the document.

    The index keeps the chunks, not the whitespace between two of them: a gap of one character
    is given back as a space, a longer one as line breaks, so every span keeps its offsets.
    """
    parts, position = [], 0
    for chunk in chunks:
        if chunk.end <= position:
            continue
        if chunk.start > position:
            gap = chunk.start - position
            parts.append(" " if gap == 1 else "\n" * gap)
            position = chunk.start
        parts.append(chunk.text[position - chunk.start:])
        position = chunk.end
    return "".join(parts)


def span_record(chunks: list[Chunk], start: int, end: int) -> dict:
    """The text at [start, end) of a document, with where it is."""
    text = document_text(chunks)
    if not 0 <= start < end <= len(text):
        raise ResourceNotFoundError(f"span {start}-{end} is outside the document (0-{len(text)}): "
                                    "use a citation's or passage's start and end")
    where = next((c for c in reversed(chunks) if c.start <= start), chunks[0])
    info = document_info(chunks)
    return {"doc_id": info.doc_id, "source": info.source, "title": info.title, "date": info.date,
            "page": where.page_at(start), "section": where.section_at(start), "start": start, "end": end,
            "text": text[start:end]}


def passage(hit: Hit) -> Passage:
    chunk = hit.chunk
    return Passage(text=chunk.text, source=chunk.source, title=chunk.title,
                   date=chunk.date.isoformat() if chunk.date else None, page=chunk.page_at(chunk.start),
                   section=chunk.section_at(chunk.start), doc_id=chunk.doc_id, start=chunk.start, end=chunk.end,
                   score=round(hit.score, 4), uri=SPAN_URI.format(doc_id=chunk.doc_id, start=chunk.start, end=chunk.end))


def answer_record(answer) -> dict:
    """`rag ask --json`'s record, each citation with the `uri` of its span."""
    record = answer.to_dict()
    for citation in record["citations"]:
        citation["uri"] = SPAN_URI.format(**citation)
    return record


def check_k(k: int) -> int:
    if not 1 <= k <= MAX_K:
        raise ToolError(f"k must be between 1 and {MAX_K}, not {k}")
    return k


def check_text(text: str, what: str, limit: int) -> str:
    if not text.strip():
        raise ToolError(f"the {what} is empty: give one with words in it")
    if len(text) > limit:
        raise ToolError(f"the {what} has {len(text)} characters, over the limit of {limit}: shorten it")
    return text


class _Server(MCPServer):
    """MCPServer whose resource list is the index's documents, and whose argument errors are one line."""

    def __init__(self, *args, documents: Callable[[], Any], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._documents = documents

    async def call_tool(self, name: str, arguments: dict[str, Any], context=None):
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            # The SDK would send pydantic's report: several lines and a link, for a model to parse.
            if not isinstance(exc.__cause__, ValidationError):
                raise
            first = exc.__cause__.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ToolError(f"{where}: {first['msg']}" if where else first["msg"]) from None

    async def list_resources(self) -> list[Resource]:
        listed = await self._documents()
        return [*await super().list_resources(),
                *(Resource(uri=d.uri, name=d.title or d.source, title=d.title or None, mime_type="text/plain",
                           description=f"{d.source}" + (f", {d.date}" if d.date else "")) for d in listed)]


def build_server(rag: RAG, worker: Worker, service: Service, *, over_http: bool = False,
                 lifespan=None) -> MCPServer:
    """The MCP server over `rag`; every call runs as a job of `worker` (which the caller starts)."""
    settings = rag.settings

    async def run(work: Callable[[], Any]) -> Any:
        """`work()` on the generation thread; its result, or its error as one line for the client."""
        return await stream(lambda: iter([work()]))

    async def stream(work: Callable[[], Iterator[Any]]) -> Any:
        try:
            job = worker.submit(work)
        except Busy as exc:
            raise ToolError(f"rag is busy with other requests: retry in {exc.retry_after} s") from None
        last = None
        try:
            async for item in job.events():
                last = item
        except RagError as exc:
            raise ToolError(str(exc)) from None
        except RuntimeError as exc:
            if worker.failure is None:
                raise
            raise ToolError(str(exc)) from None  # the worker's "the models did not load: …"
        return last

    async def documents() -> list[DocumentInfo]:
        chunks = await run(lambda: indexed_chunks(rag))
        return sorted((document_info(c) for c in chunks.values()), key=lambda d: d.source)

    server = _Server("rag", title="rag: your documents, with checked citations", instructions=INSTRUCTIONS,
                     version="1", log_level="WARNING", lifespan=lifespan, documents=documents)

    def tool(title: str):
        """Register a tool; its docstring, dedented, is the description a model chooses by."""
        def register(function):
            server.add_tool(function, title=title, description=inspect.cleandoc(function.__doc__))
            return function
        return register

    @tool(title="Search the documents")
    async def search(
        query: Annotated[str, Field(description="What to look for: a question or keywords.")],
        k: Annotated[int, Field(description=f"How many passages to return (1 to {MAX_K}); up to 2 more come "
                                            "when they hold the query's rarer words and the k best do not.",
                                json_schema_extra={"minimum": 1, "maximum": MAX_K})] = settings.top_k,
    ) -> SearchResult:
        """Find the passages of the indexed documents that best match a query, best first, in milliseconds.

        No answer is written: use this to read the sources yourself, to check a claim, or to find
        which document covers a topic. Each passage has its file, title, date, page, section,
        exact character span and a `uri` to read it as a resource.
        """
        check_text(query, "query", settings.max_question_chars)
        check_k(k)
        hits = await run(lambda: rag.retrieve(query, k))
        return SearchResult(passages=[passage(h) for h in hits])

    @tool(title="Answer from the documents, with checked citations")
    async def ask(
        question: Annotated[str, Field(description="The question, in full sentences.")],
        history: Annotated[list[Turn], Field(description="Earlier turns of this conversation, oldest first, "
                                                         "so a follow-up question can refer to them.")] = [],  # noqa: B006
    ) -> dict[str, Any]:
        """Answer a question from the indexed documents with a short answer whose citations were checked.

        Returns the answer `text` with [n] markers, `citations` (each with the exact quoted `text`,
        file, title, date, page, section, character span and a `uri` to read it), and `abstained`:
        true when the documents do not hold the answer, with the `reason` and `reason_text`.
        Slower than `search` (a local model writes the answer): prefer `search` to browse.
        """
        check_text(question, "question", settings.max_question_chars)
        turns = [(t.question, t.answer) for t in history]
        answer = await stream(lambda: service.answer(question, history=turns))
        if answer is None:
            raise ToolError("the answer was cancelled")
        return answer_record(answer)

    @tool(title="List the indexed documents")
    async def list_documents() -> DocumentList:
        """List every indexed document: id, `uri` (read it for the text), file, title, date, pages and chunks."""
        return DocumentList(documents=await documents())

    @tool(title="Index files on the server")
    async def index(
        paths: Annotated[list[str], Field(description="Files or folders on the machine rag runs on, inside the "
                                                      "folders it was configured to index (serve_paths).")],
        rebuild: Annotated[bool, Field(description="Embed everything again, not only new and changed files.")] = False,
    ) -> dict[str, Any]:
        """Index the text, Markdown, PDF, HTML and Word files under `paths`; the index then mirrors those paths.

        Only paths inside the folders rag may index are accepted. Returns the counts of documents
        and chunks, what was new, dropped and skipped (with why).
        """
        if not paths:
            raise ToolError("paths is empty: give the files or folders to index")
        if over_http and not settings.api_key:
            raise ToolError("indexing over HTTP needs an API key: start `rag serve` with RAG_API_KEY set")
        try:
            # It walks the folders, following links: not on the event loop.
            resolved = await anyio.to_thread.run_sync(check_paths, paths, settings)
        except Problem as exc:
            raise ToolError(str(exc.detail)) from None
        report = await run(lambda: service.index(resolved, rebuild=rebuild))
        return jsonable_encoder(report)

    async def chunks_of(doc_id: str) -> list[Chunk]:
        found = (await run(lambda: indexed_chunks(rag))).get(doc_id)
        if not found:
            raise ResourceNotFoundError(f"no document {doc_id} in the index: `list_documents` gives the ids")
        return found

    @server.resource(URI, name="document", title="An indexed document", mime_type="text/plain")
    async def document(doc_id: str) -> str:
        """The document's indexed text; offsets are those of citations and passages."""
        return document_text(await chunks_of(doc_id))

    @server.resource(SPAN_URI, name="span", title="A passage or citation's span", mime_type="application/json")
    async def span(doc_id: str, start: str, end: str) -> dict:
        """The exact text at [start, end) of a document, with its file, title, date, page and section."""
        if not (start.isdigit() and end.isdigit()):
            raise ResourceNotFoundError(f"span {start}-{end}: start and end are character offsets, like 120-245")
        return span_record(await chunks_of(doc_id), int(start), int(end))

    return server


class HttpEndpoint:
    """The streamable HTTP endpoint `rag serve` mounts at /mcp, under the API's key rule (rag.server.guards).

    `session_manager.run()` must be entered in the app's lifespan, around the requests.
    """

    def __init__(self, rag: RAG, worker: Worker, service: Service) -> None:
        self.settings = rag.settings
        self.server = build_server(rag, worker, service, over_http=True)
        # Loopback gets the SDK's DNS-rebinding check (a web page must not reach a local server
        # through a name it controls); beyond it every request carries the key, and the Host
        # header is whatever name clients use for this machine.
        loopback = self.settings.host in LOOPBACK
        self.server.streamable_http_app(host=self.settings.host, transport_security=None if loopback else
                                        TransportSecuritySettings(enable_dns_rebinding_protection=False))
        self.session_manager = self.server.session_manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            check_key(Request(scope), self.settings)
        except Problem as exc:
            await response(exc.status_code, str(exc.detail), exc.headers)(scope, receive, send)
            return
        await self.session_manager.handle_request(scope, receive, send)


def stdio_server(rag: RAG) -> MCPServer:
    """The server `rag mcp` runs: a worker of its own, started and stopped with the session."""
    service = Service(rag)
    worker = Worker(queue_size=rag.settings.queue_size, prepare=service.prepare)

    @asynccontextmanager
    async def lifespan(_server):
        worker.start()
        try:
            yield {}
        finally:
            worker.stop()

    return build_server(rag, worker, service, lifespan=lifespan)


def run_stdio(rag: RAG) -> None:
    """Serve over stdin and stdout until the client closes them; the models load while it initialises."""
    server = stdio_server(rag)
    # The SDK's stdio transport writes the protocol to a private copy of fd 1 and points fd 1 at
    # stderr while it serves, so a stray print or llama.cpp's C-level output cannot corrupt it;
    # the lifespan (the models' loading) starts inside it.
    anyio.run(server.run_stdio_async)
