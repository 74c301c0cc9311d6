"""Answer quality on every gold set, one reader: ours (`rag eval`), the naive 40-line pipeline and LlamaIndex.

Each system runs in its own process per set with the same GGUF, MiniLM, corpus and questions.
Right: the answer holds a gold answer (`rag.scoring.contains_answer`) and is not a refusal.
Refused: ours abstained; the peers, which have no refusal rule, said they cannot answer
(`bench.naive.REFUSED`). RGB's sets are used where `--rgb` finds them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from .measure import ROOT, p50, run_child, table, worker

PEERS = ("naive", "peer")


def gold_sets(rgb: Path) -> list[tuple[str, Path, Path]]:
    """(name, gold file, corpus) of the project's sets, and of RGB's where they are, named as `rag eval` names them."""
    from rag.evaluate import parse_set

    pairs = [(ROOT / "eval" / "seeds.jsonl", ROOT / "seeds"), (ROOT / "eval" / "heldout.jsonl", ROOT / "seeds")]
    if (rgb / "gold.jsonl").is_file():
        pairs += [(rgb / "gold.jsonl", rgb / "corpus"), (rgb / "rejection.jsonl", rgb / "rejection-corpus")]
    return [(parse_set(f"{gold}:{corpus}", corpus).name, gold, corpus) for gold, corpus in pairs]


def run(options: argparse.Namespace) -> str:
    sets = gold_sets(Path(options.rgb))
    with tempfile.TemporaryDirectory(prefix="rag-bench-quality-") as scratch:
        ours = _ours(options.model, sets, Path(scratch))
    results = {"ours (rag)": ours}
    for peer in PEERS:
        results[_NAMES[peer]] = {name: run_child(worker(peer, "--model", options.model, "--gold", gold, "--corpus", corpus,
                                                        "--threads", 0, *(("--questions", 10_000) if peer == "peer" else ())
                                                        )).data["questions"]
                                 for name, gold, corpus in sets}
    options.records.update(quality=results)
    rows = []
    for name, _, _ in sets:
        for system, per_set in results.items():
            rows.append([name, system, *_figures(per_set[name])])
    return "\n\n".join([
        f"## Answer quality on every gold set: ours, the naive pipeline and LlamaIndex ({options.model})",
        "Right: the answer holds a gold answer and is not a refusal; refused: ours abstained, or a peer said it "
        "cannot answer. Times are seconds per question (median), each system in its own process.",
        table(["set", "system", "answerable right", "answerable refused", "unanswerable refused", "total p50 s"], rows),
    ])


_NAMES = {"naive": "naive (40 lines)", "peer": "LlamaIndex"}


def _ours(model: str, sets, scratch: Path) -> dict[str, list[dict]]:
    """`rag eval` over every set in one process; its rows, as the peers' records."""
    golds = [arg for _, gold, corpus in sets for arg in ("--gold", f"{gold}:{corpus}")]
    subprocess.run([sys.executable, "-m", "rag", "eval", "--model", model, *golds, "--out", str(scratch)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    out = {}
    for name, _, _ in sets:
        folder = scratch / name if len(sets) > 1 else scratch
        rows = [json.loads(line) for line in (folder / "rows.jsonl").read_text().splitlines()]
        out[name] = [{"answerable": r["answerable"], "correct": r["correct"], "refused": r["abstained"],
                      "total_s": r["timings"]["total"]} for r in rows]
    return out


def _figures(records: list[dict]) -> list[str]:
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]

    def share(rows, key):
        return f"{sum(r[key] for r in rows) / len(rows):.2f}" if rows else "–"

    return [share(answerable, "correct"), share(answerable, "refused"), share(unanswerable, "refused"),
            f"{p50([r['total_s'] for r in records]):.2f}"]
