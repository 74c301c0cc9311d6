"""Start-up: `rag --help` and `rag ask` on one question, each from a cold process, with the time per phase.

"Cold" is a new Python process each run (the OS file cache stays warm, as it is for a user who
ran the command before; one untimed run first writes what later runs reuse: the prefix state,
the verification stamps). Each `rag ask` runs under bench/trace.py, which times the phases:
imports (Python and the CLI), embedder, reader (weights and prefix state), index open, and
llama.cpp's prefill and generation counters. Embedder, reader and index load concurrently, so
their sum can exceed the wall time. Rows: each reader on seeds/, and the 0.5B reader on a
synthetic index of `--big` chunks (bench/synthetic.py; its questions are refused, since no
synthetic chunk is near a real question, so prefill and generation are empty there).
`--before DIR` also runs the code checked out in DIR (PYTHONPATH), alternating with this one.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .measure import ROOT, gold_questions, p50, run_child, table

HELP_RUNS, ASK_RUNS = 5, 5
READERS = ("qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b")
PHASES = ("imports", "embedder", "reader", "index open", "prefill", "generation")


def run(options: argparse.Namespace) -> str:
    rag = str(Path(sys.executable).with_name("rag"))
    question = gold_questions(1)[0].question
    versions = [("after", {})]
    if getattr(options, "before", None):
        versions.insert(0, ("before", {"PYTHONPATH": str(Path(options.before).resolve())}))
    runs = getattr(options, "runs", None) or ASK_RUNS
    rows = []
    with tempfile.TemporaryDirectory(prefix="rag-bench-startup-") as scratch:
        index = Path(scratch) / "index"
        run_child([rag, "index", "--index", str(index), "seeds/"])
        cases = [(f"{reader}, seeds/", reader, index) for reader in _installed(getattr(options, "readers", None))]
        big = getattr(options, "big", 0)
        if big:
            big_index = Path(getattr(options, "big_index", None) or Path(scratch) / "big")
            if not (big_index / "CURRENT").is_file():
                # In a child: a child's peak memory counts what this process held when it forked
                # (Linux carries the parent's high-water mark over exec), and the build peaks at gigabytes.
                run_child([sys.executable, "-m", "bench.startup", "--build-only", "--big", big, "--big-index", big_index])
            cases.append((f"{READERS[0]}, {big:,} synthetic chunks", READERS[0], big_index))
        help_rows = {label: [run_child([rag, "--help"], env=env).wall for _ in range(HELP_RUNS)]
                     for label, env in versions}
        for label, reader, folder in cases:
            argv = [sys.executable, str(ROOT / "bench" / "trace.py"), "{out}", "ask", "--index", str(folder),
                    "--model", reader, question]
            for _, env in versions:
                run_child(argv, env=env)  # untimed: leaves the state and stamps later runs use
            children = {version: [] for version, _ in versions}
            for _ in range(runs):  # alternating, so load changes hit both versions alike
                for version, env in versions:
                    children[version].append(run_child(argv, env=env))
            for version, _ in versions:
                rows.append(_row(label, version, children[version]))
    help_line = ", ".join(f"{v} {p50(w):.2f} s" for v, w in help_rows.items())
    return "\n\n".join([
        "## Start-up from a cold process",
        f"`rag ask` on one question ({question!r}), median of {runs} runs; `rag --help` p50 over {HELP_RUNS}: {help_line}. "
        f"Phases in seconds (median); load: {os.getloadavg()[0]:.2f}.",
        table(["case", "code", "wall s", "peak MB", *PHASES, "prompt tokens", "prefix"], rows),
    ])


def _row(label: str, version: str, children) -> list:
    def phase(child, name):
        if name in ("prefill", "generation"):
            return sum(r[name] for r in child.data.get("readers", []))
        return child.data.get("phases", {}).get(name, 0.0)

    readers = [r for c in children for r in c.data.get("readers", [])]
    prefix = sorted({str(r.get("prefix")) for r in readers})
    tokens = p50([sum(r["prompt_tokens"] for r in c.data.get("readers", [])) for c in children])
    return [label, version, f"{p50([c.wall for c in children]):.2f}", f"{max(c.peak_mb for c in children):,.0f}",
            *(f"{p50([phase(c, name) for c in children]):.2f}" for name in PHASES), f"{tokens:.0f}", "/".join(prefix)]


def _installed(names) -> list[str]:
    from rag.models import BUNDLED, _installed

    return [name for name in (names or READERS) if _installed(BUNDLED[name])]


def build_synthetic(directory: Path, count: int) -> None:
    """A saved index of `count` synthetic chunks with MiniLM's spec, as `rag index` would write it."""
    from rag.embeddings import load_embedder
    from rag.store.folder import IndexSpec, VectorIndex
    from rag.types import Chunk

    from .synthetic import ClusteredVectors, texts

    embedder = load_embedder()
    words = texts(count, ROOT / "seeds")
    chunks = [Chunk(id=f"s:{i}", doc_id=f"s{i // 20}", source="synthetic.txt", title="", date=None,
                    start=0, end=len(t), text=t) for i, t in enumerate(words)]
    del words
    spec = IndexSpec(embedder=embedder.name, dimension=embedder.dimension, chunk_tokens=128, chunk_overlap=24)
    VectorIndex.build(spec, chunks, ClusteredVectors().sample(count, seed=1)).save(directory)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="another checkout to time too, alternating (its code via PYTHONPATH)")
    parser.add_argument("--readers", type=lambda s: s.split(","), help="comma-separated readers (default both)")
    parser.add_argument("--big", type=int, default=0, help="also a synthetic index of this many chunks")
    parser.add_argument("--big-index", help="where the synthetic index is (built there if missing)")
    parser.add_argument("--build-only", action="store_true", help="only build the synthetic index")
    parser.add_argument("--runs", type=int, help=f"timed `rag ask` runs per case (default {ASK_RUNS})")
    options = parser.parse_args()
    if options.build_only:
        build_synthetic(Path(options.big_index), options.big)
    else:
        print(run(options))
