"""`rag serve --watch` on the real stack (MiniLM, FAISS, SmolLM2): edit a file and the answer changes; delete it and its citations go."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from bench.measure import free_port, start_server, stop_server

QUESTION = "How many crates of apples does the northern depot of the Brindle cooperative store?"
DEPOT = ("The Brindle cooperative runs two depots. The northern depot of the Brindle cooperative stores {count} crates "
         "of apples, kept cold through the winter.")
OTHER = "The southern depot of the Brindle cooperative repairs tractors and sells seed potatoes to local farmers."


def _cited(client: httpx.Client) -> list[dict]:
    answer = client.post("/v1/ask", json={"question": QUESTION}).json()
    return answer["citations"]


def _until(check, seconds: float = 60.0):
    """Poll `check()` until it returns something true; the last value is returned for the assertion message."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(1.0)


def test_serve_watch_reflects_an_edit_and_a_deletion(real_env, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    depot, other = folder / "depot.txt", folder / "other.txt"
    depot.write_text(DEPOT.format(count=40))
    other.write_text(OTHER)
    port = free_port()
    env = {**real_env, "RAG_INDEX_DIR": str(tmp_path / "index")}
    process = start_server([sys.executable, "-m", "rag", "serve", "--port", str(port), "--watch", str(folder)], env,
                           f"http://127.0.0.1:{port}/health", tmp_path / "serve.log")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            first = _cited(client)
            assert any(Path(c["source"]) == depot and "40 crates" in c["text"] for c in first), first

            depot.write_text(DEPOT.format(count=75))
            edited = _until(lambda: [c for c in _cited(client) if "75 crates" in c["text"]])
            assert edited and all(Path(c["source"]) == depot for c in edited), edited

            started = time.monotonic()
            depot.unlink()
            gone = _until(lambda: not any(Path(c["source"]) == depot for c in _cited(client)))
            assert gone, (tmp_path / "serve.log").read_text()[-2000:]
            assert time.monotonic() - started < 30  # "within seconds": debounce, settling, re-index, one answer
    finally:
        stop_server(process)
