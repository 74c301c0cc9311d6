"""Two real `rag serve` processes (SmolLM2) over one PostgreSQL: an index update through one is
answered from by the other at once, and a database restart under them costs no later request."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bench.measure import free_port, start_server, stop_server
from postgres import pgserver_running, url_of
from test_postgres import restart

ROOT = Path(__file__).resolve().parents[2]
KEY = "replica-test-key"
NOTE = ("Skerryvore lighthouse log. The keeper of the Skerryvore lighthouse, Ailsa Brodie, recorded "
        "412 storms between 1990 and 2004 in a green ledger kept at Hynish.")
QUESTION = "How many storms did the keeper of the Skerryvore lighthouse record?"


@pytest.fixture(scope="module")
def postgres():
    with pgserver_running() as server:
        yield server


@pytest.fixture(scope="module")
def replicas(postgres, tmp_path_factory):
    root = tmp_path_factory.mktemp("replicas")
    corpus = shutil.copytree(ROOT / "seeds", root / "corpus")
    env = {"RAG_MODEL": "smollm2-135m", "RAG_STORE": url_of(postgres), "RAG_CACHE_DIR": str(root / "cache"),
           "RAG_MAX_ANSWER_TOKENS": "96", "RAG_ANSWER_THRESHOLD": "0", "RAG_API_KEY": KEY,
           "RAG_SERVE_PATHS": str(corpus), "RAG_CORPUS": str(corpus)}
    indexed = subprocess.run([sys.executable, "-m", "rag", "index", str(corpus)], cwd=ROOT, capture_output=True,
                             text=True, timeout=600, env={**_clean_env(), **env})
    assert indexed.returncode == 0, indexed.stderr
    servers, urls = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            servers.append(start_server([sys.executable, "-m", "rag", "serve", "--port", str(port)],
                                        {**_clean_env(), **env}, f"http://127.0.0.1:{port}/health",
                                        root / f"serve-{name}.log"))
            urls.append(f"http://127.0.0.1:{port}")
        yield corpus, urls
    finally:
        for server in servers:
            stop_server(server)


def _clean_env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}


def _ask(url: str, question: str) -> dict:
    reply = httpx.post(f"{url}/v1/ask", json={"question": question}, headers={"Authorization": f"Bearer {KEY}"},
                       timeout=600)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_document_indexed_through_one_replica_is_answered_from_by_the_other(replicas):
    corpus, (first, second) = replicas
    assert not any(h["source"].endswith("skerryvore.txt") for h in _ask(second, QUESTION)["retrieved"])
    (corpus / "skerryvore.txt").write_text(NOTE + "\n")
    reply = httpx.post(f"{first}/v1/index", json={"paths": [str(corpus)]}, headers={"Authorization": f"Bearer {KEY}"},
                       timeout=600)
    assert reply.status_code == 200, reply.text
    assert reply.json()["changed"] == 1 and reply.json()["embedded"] >= 1
    answer = _ask(second, QUESTION)
    assert any(h["source"].endswith("skerryvore.txt") for h in answer["retrieved"]), answer
    listed = httpx.get(f"{second}/v1/documents", headers={"Authorization": f"Bearer {KEY}"}, timeout=60).json()
    assert any(d["source"].endswith("skerryvore.txt") for d in listed["documents"])


def test_a_database_restart_under_running_servers_costs_no_later_request(postgres, replicas):
    _, urls = replicas
    for url in urls:
        assert _ask(url, QUESTION)["retrieved"]
    restart(postgres)
    for url in urls:
        assert _ask(url, QUESTION)["retrieved"]
