"""Recorded `rag eval` runs through the decision as it is now (rag.answer.decision, answer_threshold's default).

    .venv/bin/python experiments/2026-12-07-quality/replay.py RUN [RUN ...]

The decision is a function of the signals each row records, so this gives what a run with the
current decision would have answered, without running the readers again. Prints per set: right
and refused among answerable questions, refused among unanswerable ones, and refusals by reason.
"""
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rag.answer.decision import MODELS, Signals, decide  # noqa: E402
from rag.settings import Settings  # noqa: E402

THRESHOLD = Settings().answer_threshold


def decision(row):
    if row["signals"] is None:  # refused before the reader was asked
        return False, row["reason"]
    made = decide(Signals(**row["signals"]), threshold=THRESHOLD, models=MODELS)
    return made.answer, made.reason


def replay(folder: Path) -> str:
    rows = [json.loads(line) for line in (folder / "rows.jsonl").read_text().splitlines()]
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    outcome = {r["id"]: decision(r) for r in rows}
    right = sum(outcome[r["id"]][0] and r["raw_correct"] for r in answerable)
    refused = sum(not outcome[r["id"]][0] for r in answerable)
    rejected = sum(not outcome[r["id"]][0] for r in unanswerable)
    reasons = Counter((r["answerable"], outcome[r["id"]][1]) for r in rows if not outcome[r["id"]][0])
    share = lambda n, d: f"{n / d:.3f}" if d else "-"  # noqa: E731
    by_reason = ", ".join(f"{reason} {reasons[(False, reason)]}/{reasons[(True, reason)]}"
                          for reason in sorted({k[1] for k in reasons}))
    return (f"| {folder.parent.name}/{folder.name} | {share(right, len(answerable))} | {share(refused, len(answerable))} | "
            f"{share(rejected, len(unanswerable))} | {by_reason} |")


if __name__ == "__main__":
    print(f"threshold {THRESHOLD}\n")
    print("| run/set | answerable right | answerable refused | unanswerable refused | refusals by reason (right/wrong) |")
    print("|---|---|---|---|---|")
    for run in sys.argv[1:]:
        for folder in sorted(p.parent for p in Path(run).glob("**/rows.jsonl")):
            print(replay(folder))
