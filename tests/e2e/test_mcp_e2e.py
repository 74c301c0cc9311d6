"""The MCP server on the real stack (MiniLM, FAISS, SmolLM2), driven by the SDK's own client: `rag mcp` as a
subprocess over stdio, with its raw stdout checked line by line, and `rag serve`'s /mcp over streamable HTTP."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from bench.measure import free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
# The tiny model answers this one with a citation (eval/seeds.jsonl).
QUESTION = "In which Ukrainian region are the villages Rivnopillia and Mala Tokmachka that Russia said it captured?"
SLOW = 600


def _check_cited(record: dict) -> None:
    """An answer with citations whose quoted text is at their span in the source file."""
    assert not record["abstained"] and record["citations"], record
    for citation in record["citations"]:
        text = Path(citation["source"]).read_text(encoding="utf-8")
        assert text[citation["start"]:citation["end"]] == citation["text"]
        assert f"[{citation['number']}]" in record["text"]


async def _session(session: ClientSession) -> dict:
    """What every transport must do: the tools and their schemas, search, ask, list, read a document and a citation."""
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == {"search", "ask", "list_documents", "index"}
    assert tools["search"].input_schema["required"] == ["query"]
    assert tools["ask"].input_schema["required"] == ["question"]
    found = await session.call_tool("search", {"query": QUESTION, "k": 3}, read_timeout_seconds=SLOW)
    passages = found.structured_content["passages"]
    assert 3 <= len(passages) <= 5 and any("Zaporizhzhia" in p["text"] for p in passages)  # k, and BM25's extras
    asked = await session.call_tool("ask", {"question": QUESTION}, read_timeout_seconds=SLOW)
    record = asked.structured_content
    _check_cited(record)
    listed = (await session.call_tool("list_documents", {})).structured_content["documents"]
    assert len(listed) == len(list((ROOT / "seeds").glob("*.txt")))
    citation = record["citations"][0]
    document = next(d for d in listed if d["doc_id"] == citation["doc_id"])
    text = (await session.read_resource(document["uri"])).contents[0].text
    assert text[citation["start"]:citation["end"]] == citation["text"]
    span = json.loads((await session.read_resource(citation["uri"])).contents[0].text)
    assert span["text"] == citation["text"] and span["title"] == citation["title"]
    return record


def test_stdio_session_on_the_real_stack_with_nothing_but_protocol_on_stdout(real_rag, real_env, tmp_path):
    raw, errors = tmp_path / "stdout.raw", tmp_path / "stderr.log"
    # `tee` keeps the server's stdout byte for byte while the client reads it.
    command = f"{shlex.quote(sys.executable)} -m rag mcp | tee {shlex.quote(str(raw))}"
    params = StdioServerParameters(command="sh", args=["-c", command], cwd=str(ROOT),
                                   env={**real_env, "PATH": os.environ["PATH"]})

    async def scenario():
        with errors.open("w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                init = await session.initialize()
                assert init.server_info.name == "rag"
                record = await _session(session)
                # Bad arguments: one clear error each, and the server lives on.
                for arguments, message in (({"query": QUESTION, "k": 0}, "k must be between 1 and 50"),
                                           ({"query": QUESTION, "k": 10**9}, "k must be between 1 and 50"),
                                           ({"query": ""}, "the query is empty")):
                    refused = await session.call_tool("search", arguments)
                    assert refused.is_error and message in refused.content[0].text
                refused = await session.call_tool("index", {"paths": ["/etc"]})
                assert refused.is_error and "outside the folders" in refused.content[0].text
                # A call the client gives up on is cancelled (notifications/cancelled); the next one works.
                with pytest.raises(MCPError, match="timed out"):
                    await session.call_tool("ask", {"question": QUESTION}, read_timeout_seconds=0.3)
                again = await session.call_tool("ask", {"question": QUESTION}, read_timeout_seconds=SLOW)
                _check_cited(again.structured_content)
                return record

    anyio.run(scenario)
    lines = raw.read_bytes().split(b"\n")
    assert lines[-1] == b"", "stdout ended inside a message"
    messages = [json.loads(line) for line in lines[:-1]]
    assert messages and all(m.get("jsonrpc") == "2.0" for m in messages), "something else was written to stdout"
    assert any(m.get("result", {}).get("serverInfo") for m in messages)


@pytest.mark.parametrize("key", [None, "s3cret"])
def test_serve_mounts_mcp_over_streamable_http(real_rag, real_env, tmp_path, key):
    port = free_port()
    env = {**real_env, **({"RAG_API_KEY": key} if key else {})}
    process = start_server([sys.executable, "-m", "rag", "serve", "--port", str(port)], env,
                           f"http://127.0.0.1:{port}/health", tmp_path / "serve.log")
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        if key:
            refused = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            assert refused.status_code == 401 and "API key" in refused.json()["error"]["message"]

        async def scenario():
            import httpx2

            headers = {"Authorization": f"Bearer {key}"} if key else {}
            async with httpx2.AsyncClient(headers=headers, timeout=SLOW) as http, \
                    streamable_http_client(url, http_client=http) as (read, write), \
                    ClientSession(read, write) as session:
                await session.initialize()
                await _session(session)
                refused = await session.call_tool("index", {"paths": [str(ROOT / "seeds")]})
                # Over HTTP, indexing needs a key set, as POST /v1/index does.
                assert refused.is_error == (key is None)

        anyio.run(scenario)
    finally:
        stop_server(process)
