"""The MCP server (rag.mcp_server) with the fake models, through the SDK's own client: in process, and over HTTP."""

from __future__ import annotations

import json
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from fakes import QUESTION, QUOTED, REPLY, GatedGenerator
from serving import served
from mcp import Client

from rag import RAG
from rag.documents import load_documents
from rag.mcp_server import document_text, indexed_chunks, stdio_server
from rag.server import create_app


@asynccontextmanager
async def connected(rag: RAG):
    """The SDK's client on the server `rag mcp` runs over `rag`."""
    async with Client(stdio_server(rag)) as client:
        yield client


def _run(scenario, rag: RAG):
    async def main():
        async with connected(rag) as client:
            return await scenario(client)
    return anyio.run(main)


def test_tools_have_schemas_a_model_can_fill(indexed_fake):
    async def scenario(client):
        return {tool.name: tool for tool in (await client.list_tools()).tools}

    tools = _run(scenario, indexed_fake)
    assert set(tools) == {"search", "ask", "list_documents", "index"}
    search = tools["search"].input_schema
    assert search["required"] == ["query"]
    assert (search["properties"]["k"]["minimum"], search["properties"]["k"]["maximum"]) == (1, 50)
    assert search["properties"]["k"]["default"] == indexed_fake.settings.top_k
    ask = tools["ask"].input_schema
    assert ask["required"] == ["question"] and ask["properties"]["history"]["type"] == "array"
    assert tools["index"].input_schema["required"] == ["paths"]
    assert tools["search"].output_schema["properties"]["passages"]["type"] == "array"
    for tool in tools.values():
        assert tool.description and len(tool.description) > 60, tool.name


def test_the_models_load_once_in_the_background_while_the_client_initialises(indexed_fake, fake_llm):
    gate, loads, events = threading.Event(), [], []
    stream = fake_llm.stream

    def load():
        loads.append(1)
        events.append("load")
        gate.wait(10)

    def streamed(*args, **kwargs):
        events.append("answer")
        return stream(*args, **kwargs)

    fake_llm.load, fake_llm.stream = load, streamed
    fake_llm.enqueue(REPLY)

    async def scenario(client):
        # initialize (entering the client) and tools/list are answered while the reader is still loading.
        tools = (await client.list_tools()).tools
        with anyio.fail_after(10):
            while not loads:  # the load started by itself, with no question asked
                await anyio.sleep(0.05)
        gate.set()
        return tools, await client.call_tool("ask", {"question": QUESTION})

    tools, answer = _run(scenario, indexed_fake)
    assert len(tools) == 4 and not answer.is_error
    assert events[-1] == "answer" and "load" not in events[events.index("answer"):], "the question loaded a model again"


def test_search_gives_passages_whose_spans_read_back(indexed_fake):
    async def scenario(client):
        found = (await client.call_tool("search", {"query": QUESTION, "k": 3})).structured_content["passages"]
        spans = [json.loads((await client.read_resource(p["uri"])).contents[0].text) for p in found]
        return found, spans

    passages, spans = _run(scenario, indexed_fake)
    assert 3 <= len(passages) <= 5 and any(QUOTED in p["text"] for p in passages)
    hits = indexed_fake.retrieve(QUESTION, 3)
    assert [(p["doc_id"], p["start"], p["score"]) for p in passages] == [
        (h.chunk.doc_id, h.chunk.start, round(h.score, 4)) for h in hits]
    for found, span in zip(passages, spans):
        assert span["text"] == found["text"] and span["source"] == found["source"]
        assert Path(found["source"]).read_text(encoding="utf-8")[found["start"]:found["end"]] == found["text"]
        assert {"title", "date", "page", "section", "doc_id"} <= found.keys()


def test_ask_gives_the_json_record_with_a_checked_citation_to_open(indexed_fake, fake_llm):
    fake_llm.enqueue(REPLY)

    async def scenario(client):
        record = (await client.call_tool("ask", {"question": QUESTION})).structured_content
        opened = json.loads((await client.read_resource(record["citations"][0]["uri"])).contents[0].text)
        return record, opened

    record, opened = _run(scenario, indexed_fake)
    fake_llm.enqueue(REPLY)
    expected = indexed_fake.ask(QUESTION).to_dict()
    assert set(record) == set(expected) and record["text"] == expected["text"] and not record["abstained"]
    (citation,) = record["citations"]
    assert citation["text"] == QUOTED == opened["text"]
    assert (opened["start"], opened["end"], opened["doc_id"]) == (citation["start"], citation["end"], citation["doc_id"])


def test_a_follow_up_is_searched_with_the_history(indexed_fake, fake_llm):
    fake_llm.enqueue(REPLY)

    async def scenario(client):
        history = [{"question": "What did Russia's defence ministry say about Zaporizhzhia?", "answer": "…"}]
        return (await client.call_tool("ask", {"question": "and which villages?", "history": history})).structured_content

    record = _run(scenario, indexed_fake)
    assert "Zaporizhzhia" in record["query"] and "villages" in record["query"]
    assert any("defence ministry" in m["content"] for m in fake_llm.history[-1]), "the history did not reach the reader"


def test_documents_are_listed_and_read_back_with_their_offsets(indexed_fake, seeds):
    async def scenario(client):
        listed = (await client.call_tool("list_documents", {})).structured_content["documents"]
        resources = (await client.list_resources()).resources
        first = (await client.read_resource(listed[0]["uri"])).contents[0].text
        return listed, resources, first

    listed, resources, first = _run(scenario, indexed_fake)
    documents, _ = load_documents([seeds])
    assert len(listed) == len(documents) and {str(r.uri) for r in resources} == {d["uri"] for d in listed}
    chunks = indexed_chunks(indexed_fake)
    assert sum(d["chunks"] for d in listed) == len(indexed_fake.store.chunks)
    original = next(d for d in documents if d.id == listed[0]["doc_id"])
    # Offsets are the document's; only the whitespace between chunks is approximated.
    assert len(first) == len(original.text.rstrip()) and first.split() == original.text.split()
    for chunk in chunks[original.id]:
        assert first[chunk.start:chunk.end] == chunk.text


def test_document_text_keeps_offsets_across_gaps_and_overlaps():
    from rag.types import Chunk

    def chunk(start, text):
        return Chunk(id=f"d:{start}", doc_id="d", source="s", title="", date=None, start=start,
                     end=start + len(text), text=text)

    text = document_text([chunk(2, "One two."), chunk(6, "two. Three"), chunk(20, "Four")])
    assert text == "\n\nOne two. Three\n\n\n\nFour"
    assert text[20:24] == "Four"


@pytest.mark.parametrize("tool, arguments, message", [
    ("search", {"query": QUESTION, "k": 0}, "k must be between 1 and 50, not 0"),
    ("search", {"query": QUESTION, "k": 10**9}, "k must be between 1 and 50, not 1000000000"),
    ("search", {"query": "  "}, "the query is empty"),
    ("ask", {"question": ""}, "the question is empty"),
    ("ask", {"question": "x" * 3000}, "over the limit of 2000"),
    ("index", {"paths": ["/etc"]}, "outside the folders this server may index"),
    ("index", {"paths": []}, "paths is empty"),
    ("search", {"query": QUESTION, "k": "five"}, "k: Input should be a valid integer"),
    ("ask", {}, "question: Field required"),
])
def test_bad_arguments_get_one_clear_error_and_the_server_lives_on(indexed_fake, fake_llm, tool, arguments, message):
    fake_llm.enqueue(REPLY)

    async def scenario(client):
        refused = await client.call_tool(tool, arguments)
        after = await client.call_tool("ask", {"question": QUESTION})
        return refused, after

    refused, after = _run(scenario, indexed_fake)
    assert refused.is_error and message in refused.content[0].text and "\n" not in refused.content[0].text
    assert not after.is_error and after.structured_content["citations"]


def test_unknown_documents_and_spans_are_clear_errors(indexed_fake):
    from mcp.shared.exceptions import MCPError

    async def scenario(client):
        doc = (await client.call_tool("list_documents", {})).structured_content["documents"][0]
        errors = []
        for uri in ("rag://documents/nope", f"{doc['uri']}/5-999999999", f"{doc['uri']}/9-3"):
            try:
                await client.read_resource(uri)
            except MCPError as exc:
                errors.append(str(exc))
        return errors

    missing, past_end, backwards = _run(scenario, indexed_fake)
    assert "no document nope in the index" in missing
    assert "outside the document" in past_end and "outside the document" in backwards


def test_index_reads_only_served_paths(tmp_path, seeds, fake_embedder, fake_llm):
    served, outside = tmp_path / "served", tmp_path / "outside"
    served.mkdir()
    outside.mkdir()
    (served / "a.txt").write_text("The Kremlin aide Yuri Ushakov spoke for five hours.\n")
    (outside / "secret.txt").write_text("Not yours.\n")
    rag = RAG(index_dir=tmp_path / "index", embedder=fake_embedder, generator=fake_llm, min_score=0.0,
              serve_paths=[served])
    rag.index([seeds])

    async def scenario(client):
        refused = await client.call_tool("index", {"paths": [str(served / ".." / "outside")]})
        report = (await client.call_tool("index", {"paths": [str(served)]})).structured_content
        listed = (await client.call_tool("list_documents", {})).structured_content["documents"]
        return refused, report, listed

    refused, report, listed = _run(scenario, rag)
    assert refused.is_error and "outside the folders" in refused.content[0].text
    assert (report["documents"], report["chunks"], report["skipped"]) == (1, 1, [])
    assert [d["source"] for d in listed] == [str((served / "a.txt").resolve())]


def test_a_cancelled_ask_stops_its_generation_and_the_next_call_works(tmp_path, seeds, fake_embedder):
    generator = GatedGenerator()
    generator.gate.set()
    rag = RAG(index_dir=tmp_path / "index", embedder=fake_embedder, generator=generator, min_score=0.0)
    rag.index([seeds])

    async def scenario(client):
        with anyio.move_on_after(10) as waited:
            async with anyio.create_task_group() as group:
                group.start_soon(client.call_tool, "ask", {"question": QUESTION})
                await anyio.to_thread.run_sync(generator.started.wait, 10)
                group.cancel_scope.cancel()
        assert not waited.cancelled_caught
        stopped = await anyio.to_thread.run_sync(generator.closed.wait, 5)
        pieces = generator.pieces
        generator.closed.clear()
        after = await client.call_tool("ask", {"question": QUESTION})
        return stopped, pieces, after

    stopped, pieces, after = _run(scenario, rag)
    assert stopped and pieces < rag.settings.max_answer_tokens, "the generation went on after the call was cancelled"
    assert not after.is_error and after.structured_content["raw"].startswith("word word")


def test_serve_mounts_it_at_mcp_under_the_key_rule(tmp_path, seeds, fake_embedder, fake_llm):
    import httpx

    rag = RAG(index_dir=tmp_path / "index", embedder=fake_embedder, generator=fake_llm, min_score=0.0,
              api_key="s3cret")
    rag.index([seeds])
    with served(create_app(rag)) as base:
        url = f"{base}/mcp"
        refused = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert refused.status_code == 401 and "API key" in refused.json()["error"]["message"]

        async def scenario():
            import httpx2

            async with httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret"}) as http:
                from mcp.client.streamable_http import streamable_http_client

                async with Client(streamable_http_client(url, http_client=http)) as client:
                    found = await client.call_tool("search", {"query": QUESTION, "k": 2})
                    indexing = await client.call_tool("index", {"paths": [str(seeds)]})
                    return found, indexing

        found, indexing = anyio.run(scenario)
        assert any(QUOTED in p["text"] for p in found.structured_content["passages"])
        assert not indexing.is_error, "with a key, indexing over HTTP is allowed inside serve_paths"


def test_models_that_fail_to_load_make_every_call_a_clear_error(indexed_fake, fake_llm):
    from rag.errors import ModelError

    def load():
        raise ModelError("model file damaged: run `rag check`")

    fake_llm.load = load

    async def scenario(client):
        return [await client.call_tool("search", {"query": QUESTION}) for _ in range(2)]

    for refused in _run(scenario, indexed_fake):
        assert refused.is_error and "the models did not load: model file damaged" in refused.content[0].text
