"""`search` and `ask` through the MCP SDK's client against a warm `rag mcp`, next to `rag ask`'s warm time.

    python -m bench --only mcp --model smollm2-135m
    python -m bench.mcp --model qwen2.5-coder-0.5b --questions 10
    python -m bench.mcp --questions 0    # searches only
    python -m bench.mcp --transcript     # print one client session's JSON-RPC messages

`rag mcp` runs as a subprocess over stdio (its own index of seeds/ and model cache in a temporary
folder), driven by the SDK's `ClientSession`. After one search and one ask to warm it, each
answerable question of eval/seeds.jsonl is searched (k 4), and the first `--questions` asked;
times are the client's wall clock per call, protocol and queue included. `RAG.retrieve` on the
same questions in a warm process shows what the protocol adds to a search. `rag ask --json` with the
same questions, over the same index and reader, runs in one process after its warm-up, and its
`timings.total` per answer is the warm time compared with. Not measured: HTTP (`/mcp` on
`rag serve` runs the same tools on the same worker), concurrent clients (`bench serve`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .measure import MODEL, ROOT, gold_questions, load, p50, p95, run_child, table

QUESTION = "In which Ukrainian region are the villages Rivnopillia and Mala Tokmachka that Russia said it captured?"


def run(options: argparse.Namespace) -> str:
    import anyio

    questions = [q.question for q in gold_questions(1000)]
    with tempfile.TemporaryDirectory(prefix="rag-bench-mcp-") as scratch:
        env = {"RAG_INDEX_DIR": f"{scratch}/index", "RAG_CACHE_DIR": f"{scratch}/cache", "RAG_MODEL": options.model}
        run_child([sys.executable, "-m", "rag", "index", "seeds/"], env=env)
        through_mcp = anyio.run(_drive, env, questions, options.questions)
        retrieve = run_child([sys.executable, "-m", "bench.mcp", "--retrieve", "{out}"], env=env).data
        direct = _rag_ask(env, questions[:options.questions]) if options.questions else {"ask_s": [], "texts": []}
    options.records["mcp"] = {"model": options.model, **through_mcp, "retrieve_s": retrieve["retrieve_s"],
                              "rag_ask": direct}
    return section(through_mcp, retrieve["retrieve_s"], direct, options.model)


async def _drive(env: dict, questions: list[str], asked: int) -> dict:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "rag", "mcp"], cwd=str(ROOT),
                                   env={**env, "PATH": os.environ["PATH"]})
    with open(os.devnull, "w") as quiet:
        async with stdio_client(params, errlog=quiet) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await session.call_tool("search", {"query": QUESTION}, read_timeout_seconds=600)
            if asked:
                await session.call_tool("ask", {"question": QUESTION}, read_timeout_seconds=600)
            search = []
            for question in questions:
                started = time.perf_counter()
                result = await session.call_tool("search", {"query": question, "k": 4})
                search.append(time.perf_counter() - started)
                assert not result.is_error, result
            ask, texts = [], []
            for question in questions[:asked]:
                started = time.perf_counter()
                result = await session.call_tool("ask", {"question": question}, read_timeout_seconds=600)
                ask.append(time.perf_counter() - started)
                texts.append(result.structured_content["text"])
    return {"search_s": search, "ask_s": ask, "texts": texts}


def _retrieve(out: str) -> None:
    """Worker: `RAG.retrieve` in process, warm, on the same questions as the MCP searches (k 4)."""
    from rag import RAG

    from .measure import write_json

    rag = RAG()
    rag.retrieve(QUESTION, 4)
    times = []
    for question in (q.question for q in gold_questions(1000)):
        started = time.perf_counter()
        rag.retrieve(question, 4)
        times.append(time.perf_counter() - started)
    write_json(out, {"retrieve_s": times})


def _rag_ask(env: dict, questions: list[str]) -> dict:
    """`rag ask --json` with every question in one warm process: each answer's total time and text."""
    done = subprocess.run([sys.executable, "-m", "rag", "ask", "--json", *questions], cwd=ROOT, check=True,
                          capture_output=True, text=True, env={**os.environ, **env})
    records = [json.loads(line) for line in done.stdout.splitlines()]
    return {"ask_s": [r["timings"]["total"] for r in records], "texts": [r["text"] for r in records]}


def section(through_mcp: dict, retrieve: list[float], direct: dict, model: str) -> str:
    search, ask, warm = through_mcp["search_s"], through_mcp["ask_s"], direct["ask_s"]
    rows = [
        ("search (MCP)", len(search), f"{p50(search) * 1000:.1f} ms", f"{p95(search) * 1000:.1f} ms", "p50 ≤ 50 ms"),
        ("`RAG.retrieve` in process, warm", len(retrieve), f"{p50(retrieve) * 1000:.1f} ms",
         f"{p95(retrieve) * 1000:.1f} ms", ""),
    ]
    same = ""
    if ask:
        ratio = p50(ask) / p50(warm) - 1
        rows += [("ask (MCP)", len(ask), f"{p50(ask):.2f} s", f"{p95(ask):.2f} s", f"p50 {ratio:+.1%} of `rag ask`'s"),
                 ("`rag ask --json`, warm", len(warm), f"{p50(warm):.2f} s", f"{p95(warm):.2f} s", "")]
        same = f" {sum(a == b for a, b in zip(through_mcp['texts'], direct['texts']))} of {len(ask)} answers " \
               "word for word the same."
    return "\n\n".join([
        "## mcp: search and ask through the MCP client on a warm `rag mcp` (stdio)",
        f"Model {model}; index of seeds/; {load()}. Client wall clock per call; `RAG.retrieve` and `rag ask`'s "
        f"own `timings.total` per answer, each in one warm process.{same}",
        table(["call", "n", "p50", "p95", "target"], rows),
    ])


def transcript(model: str, question: str = QUESTION) -> None:
    """One client session over stdio, every JSON-RPC message printed: initialize, tools/list, search, ask, read."""
    with tempfile.TemporaryDirectory(prefix="rag-mcp-session-") as scratch:
        env = {**os.environ, "RAG_INDEX_DIR": f"{scratch}/index", "RAG_CACHE_DIR": f"{scratch}/cache",
               "RAG_MODEL": model}
        subprocess.run([sys.executable, "-m", "rag", "index", "seeds/"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        server = subprocess.Popen([sys.executable, "-m", "rag", "mcp"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

        def send(message: dict) -> dict | None:
            print(">>> " + json.dumps(message, ensure_ascii=False))
            server.stdin.write(json.dumps(message) + "\n")
            server.stdin.flush()
            if "id" not in message:
                return None
            reply = json.loads(server.stdout.readline())
            print("<<< " + json.dumps(reply, ensure_ascii=False))
            return reply

        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "transcript", "version": "1"}}})
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        send({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
              "params": {"name": "search", "arguments": {"query": question, "k": 2}}})
        answer = send({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
                       "params": {"name": "ask", "arguments": {"question": question}}})
        citation = answer["result"]["structuredContent"]["citations"][0]
        read = send({"jsonrpc": "2.0", "id": 5, "method": "resources/read", "params": {"uri": citation["uri"]}})
        server.stdin.close()
        server.wait(30)
    source = Path(citation["source"]).read_text(encoding="utf-8")
    span = json.loads(read["result"]["contents"][0]["text"])
    print(f"checked: {Path(citation['source']).name}[{citation['start']}:{citation['end']}] == citation text: "
          f"{source[citation['start']:citation['end']] == citation['text'] == span['text']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.mcp", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=MODEL, help="bundled model name or GGUF path")
    parser.add_argument("--questions", type=int, default=20, help="questions asked (all are searched)")
    parser.add_argument("--transcript", action="store_true", help="print one client session's messages instead")
    parser.add_argument("--question", default=QUESTION, help="the question the transcript searches and asks")
    parser.add_argument("--retrieve", metavar="OUT", help=argparse.SUPPRESS)  # the in-process worker
    options = parser.parse_args()
    if options.retrieve:
        _retrieve(options.retrieve)
    elif options.transcript:
        transcript(options.model, options.question)
    else:
        options.records = {}
        print(run(options))
