"""Clocks, percentiles, subprocess workers with their peak memory, servers on loopback, and Markdown tables."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.scoring import median, percentile

ROOT = Path(__file__).resolve().parents[1]
# The reader every benchmark uses unless --model names another.
MODEL = "qwen2.5-coder-0.5b"


@dataclass(frozen=True)
class Child:
    """What a subprocess printed as JSON, how long it ran and its peak resident memory."""

    data: dict
    wall: float
    peak_mb: float


def run_child(argv: Sequence[str], *, env: dict | None = None) -> Child:
    """Run `argv` in a fresh process; `{out}` in it is replaced by a file the child writes JSON to."""
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as scratch:
        out = Path(scratch) / "out.json"
        argv = [str(a).replace("{out}", str(out)) for a in argv]
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
        # wait4 gives this child's own rusage, not the sum over every child so far.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed with exit code {process.returncode}")
        data = json.loads(out.read_text()) if out.is_file() else {}
    return Child(data=data, wall=wall, peak_mb=usage.ru_maxrss / 1024)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(argv: Sequence[str], env: dict, health: str, log: Path) -> subprocess.Popen:
    """Start a server process (its output to `log`) and wait until `health` answers 200; fail with its log."""
    import httpx  # here: the bench workers import this module and need no HTTP client

    with log.open("w") as out:
        process = subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{argv[:3]} exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(health, timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise AssertionError(f"{health} never answered 200: {log.read_text()[-2000:]}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def worker(module: str, *args: object) -> list[str]:
    """The command line that runs `bench.<module>` as a worker writing JSON to `{out}`."""
    return [sys.executable, "-m", f"bench.{module}", "--out", "{out}", *map(str, args)]


def write_json(path: str, data: dict) -> None:
    Path(path).write_text(json.dumps(data, indent=1))


def p50(values: Sequence[float]) -> float:
    return median(values)


def p95(values: Sequence[float]) -> float:
    return percentile(values, 95)


def p99(values: Sequence[float]) -> float:
    return percentile(values, 99)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; floats as given by the caller's formatting."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def load() -> str:
    """The load average, so a reader can tell a quiet run from a contended one."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def forbid_network() -> None:
    """Make any network connection or name lookup in this process fail: workers prove they run offline."""
    import socket

    real_connect = socket.socket.connect

    def connect(self, address, *args, **kwargs):
        if self.family == socket.AF_UNIX:
            return real_connect(self, address, *args, **kwargs)
        raise ConnectionRefusedError(f"benchmark worker tried to reach the network: {address}")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError(f"benchmark worker tried to reach the network: {args[:1]}")

    socket.socket.connect = connect
    socket.socket.connect_ex = connect
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")


def gold_questions(count: int) -> list:
    """The first `count` answerable questions of eval/seeds.jsonl, as `rag.evaluate.GoldQuestion`s."""
    from rag.evaluate import load_gold

    gold = load_gold(ROOT / "eval" / "seeds.jsonl", ROOT / "seeds")
    return [q for q in gold if q.answerable][:count]
