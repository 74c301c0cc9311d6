"""Load on `rag serve`: 8 clients asking 10 questions each at once, with the server's memory watched.

    python -m bench --only serve
    python -m bench.serve --model smollm2-135m

A real `rag serve` process (its own index of seeds/ and model cache in a temporary folder)
answers POST /v1/ask, not streamed, from client threads that each hold one connection and ask
their questions one after another: the answerable questions of eval/seeds.jsonl, cycled. A 503
with Retry-After is retried after that many seconds, so every question should end in an answer;
anything else (another status, no response) counts against the server. The server's RSS is read
from /proc every 0.5 s (psutil is not a dependency; on Linux it reads the same file).

With the default queue (8) eight clients never fill it, since one question runs while at most
seven wait; 503s show up with more clients than that or a smaller queue (the e2e test sets 1).

`drive` is the load itself: tests/e2e/test_serve_load.py runs it against its own server, so the
test and this benchmark cannot drift apart. Not measured here: streaming, follow-up questions,
answer quality (`bench quality`, `rag eval`).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from .measure import MODEL, free_port, gold_questions, load, p50, p95, run_child, start_server, stop_server, table

CLIENTS, EACH = 8, 10
SAMPLE_EVERY = 0.5
# How long a client waits for one response, and keeps retrying one question through 503s. A request
# waits behind at most seven others, and on 2 cores at load 4 SmolLM2 took 40 s an answer (two
# requests passed 10 minutes there): a server that has not answered in 30 minutes has lost it.
PATIENCE = 1800.0


@dataclass(frozen=True)
class Attempt:
    """One POST /v1/ask: its status (None: no response came), latency, Retry-After, and the answer of a 200
    or else what went wrong (the exception, or the start of the response's body)."""

    client: int
    question: str
    status: int | None
    seconds: float
    retry_after: str | None = None
    body: dict | None = None
    error: str | None = None

    @property
    def kind(self) -> str | None:
        """What a 200 holds: a refusal, a cited answer, or an answer without citations."""
        if self.body is None:
            return None
        if self.body.get("abstained"):
            return "refusal"
        return "cited" if self.body.get("citations") else "uncited"


@dataclass(frozen=True)
class LoadResult:
    """Every attempt of a load, its wall time, and the server's RSS in kB: sampled from start to end, and
    when the first answer came (None if none did)."""

    clients: int
    each: int
    attempts: list[Attempt]
    seconds: float
    rss: list[int]
    rss_first_answer: int | None

    @property
    def questions(self) -> int:
        return self.clients * self.each

    @property
    def answers(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == 200]

    @property
    def busy(self) -> list[Attempt]:
        """The clean refusals: 503 with Retry-After."""
        return [a for a in self.attempts if a.status == 503 and a.retry_after is not None]

    @property
    def other(self) -> list[Attempt]:
        """Responses that are neither an answer nor a clean 503."""
        return [a for a in self.attempts if a.status not in (None, 200) and a not in self.busy]

    @property
    def lost(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status is None]

    def record(self) -> dict:
        """The figures behind the table, without the answers' bodies."""
        return {"seconds": self.seconds, "rss_kb": self.rss, "rss_first_answer_kb": self.rss_first_answer,
                "attempts": [{"client": a.client, "question": a.question, "status": a.status, "seconds": a.seconds,
                              "retry_after": a.retry_after, "kind": a.kind, "error": a.error} for a in self.attempts]}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def drive(url: str, pid: int, *, clients: int = CLIENTS, each: int = EACH) -> LoadResult:
    """`clients` threads asking `each` questions apiece at `url` while the RSS of process `pid` is sampled."""
    pool = [q.question for q in gold_questions(clients * each)]
    first_answer: list[int] = []
    lock = threading.Lock()

    def answered() -> None:
        with lock:
            if not first_answer:
                first_answer.append(rss_kb(pid))

    done = threading.Event()
    rss = [rss_kb(pid)]

    def sample() -> None:
        while not done.wait(SAMPLE_EVERY):
            try:
                rss.append(rss_kb(pid))
            except FileNotFoundError:  # the server died; the lost requests say so
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as threads:
        runs = threads.map(lambda c: _client(url, c, [pool[(c * each + i) % len(pool)] for i in range(each)],
                                             answered), range(clients))
        attempts = [a for run in runs for a in run]
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    rss.append(rss_kb(pid))
    return LoadResult(clients=clients, each=each, attempts=attempts, seconds=seconds, rss=rss,
                      rss_first_answer=first_answer[0] if first_answer else None)


def _client(url: str, client: int, questions: list[str], answered: Callable[[], None]) -> list[Attempt]:
    with httpx.Client(base_url=url, timeout=PATIENCE) as http:
        return [a for question in questions for a in _ask(http, client, question, answered)]


def _ask(http: httpx.Client, client: int, question: str, answered: Callable[[], None]) -> list[Attempt]:
    """Ask until the server answers, waiting out each clean 503; every attempt, the outcome last."""
    attempts = []
    deadline = time.monotonic() + PATIENCE
    while True:
        started = time.perf_counter()
        try:
            response = http.post("/v1/ask", json={"question": question})
        except httpx.TransportError as exc:  # refused, reset, closed without a response, timed out
            return [*attempts, Attempt(client, question, None, time.perf_counter() - started,
                                       error=f"{type(exc).__name__}: {exc}")]
        seconds = time.perf_counter() - started
        retry_after = response.headers.get("retry-after")
        ok = response.status_code == 200
        attempts.append(Attempt(client, question, response.status_code, seconds, retry_after,
                                body=response.json() if ok else None, error=None if ok else response.text[:300]))
        if ok:
            answered()
        if response.status_code != 503 or retry_after is None or time.monotonic() + float(retry_after) > deadline:
            return attempts
        time.sleep(float(retry_after))


def run(options: argparse.Namespace) -> str:
    from rag.settings import Settings

    with tempfile.TemporaryDirectory(prefix="rag-bench-serve-") as scratch:
        env = {"RAG_INDEX_DIR": f"{scratch}/index", "RAG_CACHE_DIR": f"{scratch}/cache", "RAG_MODEL": options.model}
        run_child([sys.executable, "-m", "rag", "index", "seeds/"], env=env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server([sys.executable, "-m", "rag", "serve", "--port", str(port)], env, f"{url}/health",
                              Path(scratch) / "serve.log")
        try:
            result = drive(url, server.pid)
        finally:
            stop_server(server)
    options.records["serve"] = result.record()
    # Resolved as the server resolved it: the default unless RAG_QUEUE_SIZE or the config file set one.
    return section(result, options.model, Settings.load().queue_size)


def section(result: LoadResult, model: str, queue_size: int) -> str:
    """The Markdown table of one load."""
    kinds = [a.kind for a in result.answers]
    latencies = [a.seconds for a in result.answers]
    statuses = sorted({str(a.status) for a in result.other})
    mb = [kb / 1024 for kb in result.rss]
    first_mb = (result.rss_first_answer or math.nan) / 1024
    rows = [
        ("requests sent", f"{len(result.attempts)} for {result.questions} questions "
                          f"({len(result.attempts) - result.questions} retries)"),
        ("answered (200)", f"{len(result.answers)}: {kinds.count('cited')} cited, {kinds.count('refusal')} refusals, "
                           f"{kinds.count('uncited')} without citations"),
        ("503 with Retry-After", str(len(result.busy))),
        ("any other status (must be none)", f"{len(result.other)} ({', '.join(statuses)})" if statuses else "none"),
        ("lost: no response (must be none)", str(len(result.lost)) if result.lost else "none"),
        ("latency of the 200s, p50 / p95", f"{p50(latencies):.2f} s / {p95(latencies):.2f} s"),
        ("throughput", f"{len(result.answers) / result.seconds:.2f} answers/s ({result.seconds:.0f} s in all)"),
        ("server RSS: start / first answer / peak / end",
         f"{mb[0]:.0f} / {first_mb:.0f} / {max(mb):.0f} / {mb[-1]:.0f} MB"),
        ("RSS growth, first answer to end", f"{mb[-1] - first_mb:+.0f} MB ({(mb[-1] / first_mb - 1) * 100:+.1f}%)"),
    ]
    return "\n\n".join([
        f"## serve: {result.clients} clients × {result.each} questions on `rag serve` at once",
        f"POST /v1/ask, not streamed, model {model}, queue_size {queue_size}; {load()}. Latency counts the wait "
        f"in the queue; RSS sampled every {SAMPLE_EVERY} s.",
        table(["measure", "figure"], rows),
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=MODEL, help="bundled model name or GGUF path")
    options = parser.parse_args()
    options.records = {}
    print(run(options))
