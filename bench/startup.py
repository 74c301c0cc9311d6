"""Start-up: `rag --help` and `rag ask` on one question, each from a cold process.

"Cold" is a new Python process each run (the OS file cache stays warm, as it is for a user who
ran the command before). Wall time is the median of the runs; peak MB the largest resident set.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .measure import gold_questions, p50, run_child, table

HELP_RUNS, ASK_RUNS = 5, 3


def run(options: argparse.Namespace) -> str:
    rag = str(Path(sys.executable).with_name("rag"))
    question = gold_questions(1)[0].question
    with tempfile.TemporaryDirectory(prefix="rag-bench-startup-") as scratch:
        index = str(Path(scratch) / "index")
        run_child([rag, "index", "--index", index, "--model", options.model, "seeds/"])
        commands = [("rag --help", [rag, "--help"], HELP_RUNS),
                    ("rag ask (one question)", [rag, "ask", "--index", index, "--model", options.model, question],
                     ASK_RUNS)]
        rows = []
        for label, argv, runs in commands:
            children = [run_child(argv) for _ in range(runs)]
            rows.append([label, runs, f"{p50([c.wall for c in children]):.2f}",
                         f"{min(c.wall for c in children):.2f}", f"{max(c.peak_mb for c in children):,.0f}"])
    return "\n\n".join([
        "## Start-up from a cold process",
        f"`rag ask` loads the index, MiniLM and the model, retrieves, generates and checks one answer: {question!r}.",
        table(["command", "runs", "wall p50 s", "wall min s", "peak MB"], rows),
    ])
