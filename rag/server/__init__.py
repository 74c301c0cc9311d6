"""`rag serve`: the HTTP API, the OpenAI-compatible chat endpoint and the web page, over one `RAG`.

`app` builds the FastAPI app; `worker` runs the one generation thread; `service` adapts `RAG`;
`completions` maps OpenAI's chat API; `guards` holds the key, limits and served paths;
`problems` turns every error into one JSON message; `page.html` is the chat page.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app", "serve"]


def serve(rag, *, log_level: str = "warning", watch=()) -> None:
    """Listen on the configured host and port until interrupted, keeping the paths `watch` indexed."""
    import uvicorn

    rag.settings.check_serving()
    uvicorn.run(create_app(rag, watch=watch), host=rag.settings.host, port=rag.settings.port, log_level=log_level,
                timeout_graceful_shutdown=5)
