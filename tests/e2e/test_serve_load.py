"""`rag serve` under load on the real stack: 8 clients × 10 questions at once, and a full queue, driven by
bench.serve's `drive`, so this test and `python -m bench --only serve` put the same load on the server."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from bench.measure import free_port, start_server, stop_server
from bench.serve import LoadResult, drive

# The server's RSS at the end of the load against its RSS once the first answer is out: by then the
# models, the index and a first prompt's buffers are in memory, so what grows after it is kept per
# request. Measured (bench.serve and this test, SmolLM2): +2-3% at the end, +10% at the peak. A leak
# worth catching is llama.cpp state kept per request (the saved preamble is about 10 MB for SmolLM2, a
# whole 4096-token context about 90 MB): 80 requests of it add far more than the quarter allowed here.
RSS_GROWTH = 1.25


@contextmanager
def _serving(env: dict, log: Path):
    """A `rag serve` process on a free loopback port: its URL and process id."""
    port = free_port()
    process = start_server([sys.executable, "-m", "rag", "serve", "--port", str(port)], env,
                           f"http://127.0.0.1:{port}/health", log)
    try:
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        stop_server(process)


def _every_question_answered(load: LoadResult) -> None:
    assert not load.lost, [a.error for a in load.lost]
    assert not load.other, [(a.status, a.error) for a in load.other]
    assert len(load.answers) == load.questions
    assert all({"text", "abstained"} <= a.body.keys() for a in load.answers)


def test_eight_clients_ten_questions_each(real_rag, real_env, tmp_path):
    with _serving(real_env, tmp_path / "serve.log") as (url, pid):
        load = drive(url, pid)
    _every_question_answered(load)
    assert load.rss[-1] <= RSS_GROWTH * load.rss_first_answer, load.rss


def test_a_full_queue_turns_requests_away_with_retry_after(real_rag, real_env, tmp_path):
    # At the default queue (8) eight clients never fill it; with room for one, most of eight questions sent
    # at once meet a full queue, and each must get a 503 that says when to retry, then its answer on a retry.
    with _serving({**real_env, "RAG_QUEUE_SIZE": "1"}, tmp_path / "serve.log") as (url, pid):
        load = drive(url, pid, each=1)
    assert load.busy
    assert all(int(a.retry_after) >= 1 for a in load.busy)
    _every_question_answered(load)
