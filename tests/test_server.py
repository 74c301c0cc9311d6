"""`rag serve` with the fake models: the API's JSON, OpenAI's client, the queue, limits, keys and paths."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from fakes import QUESTION, QUOTED, REPLY, GatedGenerator
from serving import served
from fastapi.testclient import TestClient

from rag import REFUSAL, RAG
from rag.errors import ConfigError
from rag.server import create_app
from rag.server.worker import Worker
from rag.settings import Settings


def _served(tmp_path, seeds, generator, fake_embedder, **settings) -> RAG:
    rag = RAG(index_dir=tmp_path / "index", embedder=fake_embedder, generator=generator, min_score=0.0, **settings)
    rag.index([seeds])
    return rag


@pytest.fixture
def client(indexed_fake):
    with TestClient(create_app(indexed_fake)) as client:
        _wait_ready(client)
        yield client


def _wait_ready(client) -> None:
    for _ in range(200):
        if client.get("/health").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(client.get("/health").json())


def _sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        name = next((line[6:].strip() for line in block.splitlines() if line.startswith("event:")), "message")
        data = "".join(line[5:].strip() for line in block.splitlines() if line.startswith("data:"))
        if data:
            events.append((name, json.loads(data)))
    return events


def test_health_names_the_model(client):
    assert client.get("/health").json() == {"status": "ok", "model": "qwen2.5-coder-1.5b"}


def test_ask_returns_what_rag_ask_json_prints(client, indexed_fake, fake_llm):
    fake_llm.enqueue(REPLY, REPLY)
    body = client.post("/v1/ask", json={"question": QUESTION, "k": 4}).json()
    expected = indexed_fake.ask(QUESTION).to_dict()
    assert body.keys() == expected.keys()
    for record in (body, expected):
        record.pop("timings")
    assert body == expected
    (citation,) = body["citations"]
    assert body["text"] == f"Russia claimed Rivnopillia and Mala Tokmachka [{citation['number']}]."
    assert citation["text"] == QUOTED
    assert Path(citation["source"]).read_text()[citation["start"]:citation["end"]] == QUOTED


def test_ask_streams_deltas_then_the_answer(client, fake_llm):
    fake_llm.enqueue(REPLY)
    response = client.post("/v1/ask", json={"question": QUESTION, "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _sse(response.text)
    assert [name for name, _ in events] == ["delta"] * len(REPLY.split()) + ["answer"]
    assert "".join(data["text"] for _, data in events[:-1]) == REPLY
    assert events[-1][1]["citations"][0]["text"] == QUOTED


def test_a_follow_up_is_searched_with_the_earlier_question_and_sees_the_history(client, fake_llm):
    fake_llm.enqueue(REPLY)
    history = [{"question": QUESTION, "answer": "Rivnopillia [1]."}]
    body = client.post("/v1/ask", json={"question": "and what about them?", "history": history}).json()
    assert body["query"] == f"{QUESTION} and what about them?"
    contents = [m["content"] for m in fake_llm.history[-1]]
    assert QUESTION in contents and "Rivnopillia [1]." in contents


def test_a_refusal_carries_its_reason(client, fake_llm):
    fake_llm.enqueue(REFUSAL)
    body = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert (body["text"], body["abstained"], body["reason"]) == (REFUSAL, True, "reader_declined")
    assert body["reason_text"] == "the reader found no answer in the passages"


def test_the_openai_client_works_unchanged(client, fake_llm):
    from openai import OpenAI

    openai = OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=client)
    fake_llm.enqueue(REPLY, REPLY)
    reply = openai.chat.completions.create(model="rag", messages=[
        {"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION}])
    number = reply.citations[0]["number"]
    assert reply.choices[0].message.content == f"Russia claimed Rivnopillia and Mala Tokmachka [{number}]."
    assert reply.citations[0]["text"] == QUOTED and reply.reason is None
    assert reply.model == "qwen2.5-coder-1.5b" and reply.usage.prompt_tokens > 0

    chunks = list(openai.chat.completions.create(model="anything", stream=True, messages=[
        {"role": "user", "content": QUESTION}]))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == reply.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].citations[0]["text"] == QUOTED
    assert [m.id for m in openai.models.list()] == ["rag", "qwen2.5-coder-1.5b"]


def test_chat_completions_take_earlier_turns_as_history(client, fake_llm):
    fake_llm.enqueue(REPLY)
    client.post("/v1/chat/completions", json={"model": "rag", "messages": [
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": "Two villages [1]."},
        {"role": "user", "content": [{"type": "text", "text": "and which region?"}]}]})
    contents = [m["content"] for m in fake_llm.history[-1]]
    assert QUESTION in contents and "Two villages [1]." in contents
    assert contents[-1].endswith("Question: and which region?")
    bad = client.post("/v1/chat/completions", json={"messages": [{"role": "assistant", "content": "hi"}]})
    assert bad.status_code == 422 and "last message" in bad.json()["error"]["message"]


def test_a_full_queue_answers_503_with_retry_after(tmp_path, seeds, fake_embedder):
    generator = GatedGenerator()
    rag = _served(tmp_path, seeds, generator, fake_embedder, queue_size=1, max_answer_tokens=3)
    worker = Worker(queue_size=1)
    app = create_app(rag, worker=worker)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as http:
            first = asyncio.create_task(http.post("/v1/ask", json={"question": QUESTION}))
            while not generator.started.is_set():
                await asyncio.sleep(0.01)
            second = asyncio.create_task(http.post("/v1/ask", json={"question": QUESTION}))
            await asyncio.sleep(0.2)
            third = await http.post("/v1/ask", json={"question": QUESTION})
            generator.gate.set()
            return await first, await second, third

    worker.start()
    try:
        first, second, third = asyncio.run(scenario())
    finally:
        worker.stop()
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 503)
    assert int(third.headers["Retry-After"]) >= 1
    assert "busy" in third.json()["error"]["message"]


def test_requests_whose_clients_left_give_their_place_in_the_queue_back(tmp_path, seeds, fake_embedder):
    generator = GatedGenerator()
    rag = _served(tmp_path, seeds, generator, fake_embedder, max_answer_tokens=3)
    worker = Worker(queue_size=2)
    app = create_app(rag, worker=worker)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as http:
            def ask():
                return http.post("/v1/ask", json={"question": QUESTION})

            first = asyncio.create_task(ask())
            while not generator.started.is_set():
                await asyncio.sleep(0.01)
            waiting = [asyncio.create_task(ask()) for _ in range(2)]
            await asyncio.sleep(0.2)
            full = await ask()
            # Both waiting clients leave (a disconnect or a client's timeout cancels the request).
            for task in waiting:
                task.cancel()
            await asyncio.gather(*waiting, return_exceptions=True)
            late = asyncio.create_task(ask())
            await asyncio.sleep(0.2)
            generator.gate.set()
            return full, await first, await late

    worker.start()
    try:
        full, first, late = asyncio.run(scenario())
    finally:
        worker.stop()
    assert full.status_code == 503 and int(full.headers["Retry-After"]) >= 1
    assert (first.status_code, late.status_code) == (200, 200)
    assert generator.calls == 2, "a request whose client left was still answered"


def test_a_client_that_disconnects_stops_its_generation(tmp_path, seeds, fake_embedder):
    generator = GatedGenerator()
    generator.gate.set()
    rag = _served(tmp_path, seeds, generator, fake_embedder)
    with served(create_app(rag)) as base:
        with httpx.Client(base_url=base, timeout=30) as http:
            while http.get("/health").status_code != 200:
                time.sleep(0.05)
            with http.stream("POST", "/v1/ask", json={"question": QUESTION, "stream": True}) as response:
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        break
            assert generator.closed.wait(5), "the generation went on after the client left"
            assert generator.pieces < rag.settings.max_answer_tokens
            # The generator is free again: the next question is answered in full.
            generator.closed.clear()
            body = http.post("/v1/ask", json={"question": QUESTION}).json()
            assert body["raw"].startswith("word word") and generator.closed.is_set()


def test_size_limits_and_bad_bodies_are_clear_4xx(tmp_path, seeds, fake_embedder, fake_llm):
    rag = _served(tmp_path, seeds, fake_llm, fake_embedder, max_request_bytes=2000, max_question_chars=100)
    with TestClient(create_app(rag)) as client:
        big = client.post("/v1/ask", json={"question": "x" * 5000})
        assert big.status_code == 413 and "over the limit of 2000" in big.json()["error"]["message"]
        chunked = client.post("/v1/ask", content=iter([b'{"question": "', b"y" * 3000, b'"}']),
                              headers={"content-type": "application/json"})
        assert chunked.status_code == 413
        long = client.post("/v1/ask", json={"question": "why " * 40})
        assert long.status_code == 422 and "over the limit of 100" in long.json()["error"]["message"]
        for bad in (b"{not json", b'{"k": 2}', b'{"question": "hi", "k": 0}'):
            response = client.post("/v1/ask", content=bad, headers={"content-type": "application/json"})
            assert response.status_code == 422 and set(response.json()) == {"error"}
            assert isinstance(response.json()["error"]["message"], str)
        empty = client.post("/v1/ask", json={"question": "  "})
        assert empty.status_code == 400 and "question is empty" in empty.json()["error"]["message"]
        assert client.get("/nowhere").json()["error"]["message"] == "Not Found"


def test_an_unexpected_error_is_json_without_a_traceback(indexed_fake, fake_llm):
    # No reply queued: the fake raises AssertionError inside the generation thread.
    with TestClient(create_app(indexed_fake), raise_server_exceptions=False) as client:
        response = client.post("/v1/ask", json={"question": QUESTION})
        assert response.status_code == 500
        assert response.json()["error"]["message"].startswith("internal error (AssertionError)")
        assert "Traceback" not in response.text
        streamed = client.post("/v1/ask", json={"question": QUESTION, "stream": True})
        assert _sse(streamed.text)[-1] == ("error", response.json())
        fake_llm.enqueue(REPLY)
        assert client.post("/v1/ask", json={"question": QUESTION}).status_code == 200


def test_with_a_key_every_v1_request_needs_it(tmp_path, seeds, fake_embedder, fake_llm):
    rag = _served(tmp_path, seeds, fake_llm, fake_embedder, api_key="s3cret")
    with TestClient(create_app(rag)) as client:
        _wait_ready(client)
        for response in (client.post("/v1/ask", json={"question": QUESTION}), client.get("/v1/documents"),
                         client.post("/v1/ask", json={"question": QUESTION}, headers={"Authorization": "Bearer nope"})):
            assert response.status_code == 401 and "API key" in response.json()["error"]["message"]
        fake_llm.enqueue(REPLY)
        ok = client.post("/v1/ask", json={"question": QUESTION}, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json()["citations"]
        assert client.get("/").status_code == 200
    assert "s3cret" not in repr(rag.settings) and "s3cret" not in str(rag.settings.api_key)


def test_only_loopback_is_served_without_a_key():
    Settings().check_serving()
    with pytest.raises(ConfigError, match="refusing to listen on 0.0.0.0 without an API key"):
        Settings(host="0.0.0.0").check_serving()
    Settings().with_updates(host="0.0.0.0", api_key="k").check_serving()


def test_index_reads_only_served_paths_and_needs_the_key(tmp_path, seeds, fake_embedder, fake_llm):
    served, outside = tmp_path / "served", tmp_path / "outside"
    (served / "docs").mkdir(parents=True)
    outside.mkdir()
    (served / "docs" / "a.txt").write_text("The Kremlin aide Yuri Ushakov spoke for five hours.\n")
    (outside / "secret.txt").write_text("Not yours.\n")
    rag = _served(tmp_path, seeds, fake_llm, fake_embedder, serve_paths=[served])
    with TestClient(create_app(rag)) as client:
        assert client.post("/v1/index", json={"paths": [str(served)]}).status_code == 403  # no key configured
    rag.settings = rag.settings.with_updates(api_key="k")
    key = {"Authorization": "Bearer k"}
    with TestClient(create_app(rag)) as client:
        _wait_ready(client)
        assert client.post("/v1/index", json={"paths": [str(served)]}).status_code == 401
        for path in (outside, served / ".." / "outside", Path("/etc")):
            refused = client.post("/v1/index", json={"paths": [str(path)]}, headers=key)
            assert refused.status_code == 403 and "outside the folders" in refused.json()["error"]["message"]
        (served / "docs" / "link").symlink_to(outside)
        escaped = client.post("/v1/index", json={"paths": [str(served)]}, headers=key)
        assert escaped.status_code == 403 and "links outside" in escaped.json()["error"]["message"]
        (served / "docs" / "link").unlink()
        report = client.post("/v1/index", json={"paths": [str(served)]}, headers=key).json()
        assert (report["documents"], report["chunks"]) == (1, 1)
        (document,) = client.get("/v1/documents", headers=key).json()["documents"]
        assert document["source"] == str((served / "docs" / "a.txt").resolve()) and document["chunks"] == 1


def test_the_page_is_one_self_contained_file_and_the_docs_are_served(client):
    page = client.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert "<script src" not in page.text and "https://" not in page.text and "http://" not in page.text
    schema = client.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/chat/completions", "/v1/index", "/v1/documents", "/health"} <= set(schema["paths"])
