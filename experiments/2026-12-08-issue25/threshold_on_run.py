"""A real run's figures at other answer thresholds, from its rows: which graded answers would stand.

    python experiments/2026-12-08-issue25/threshold_on_run.py RUN_DIR 0.15 0.20 0.25

Rows refused outright (no confidence) stay refused; a graded answer stands when its confidence
reaches the threshold, and is then right as the reader's answer was (`raw_correct`; the
completion step can only widen it, and turned no right answer wrong on the recorded runs).
"""

import json
import sys
from pathlib import Path


def figures(rows: list[dict], threshold: float) -> tuple[float | None, float | None, float | None]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]

    def outcome(row):  # (refused, right)
        if row["confidence"] is None:
            return row["abstained"], row["correct"]
        stands = row["confidence"] >= threshold
        return not stands, stands and (row["correct"] if row["reason"] is None else row["raw_correct"])

    def share(items, pick):
        return round(sum(pick(outcome(r)) for r in items) / len(items), 3) if items else None

    return (share(answerable, lambda o: o[1]), share(answerable, lambda o: o[0]),
            share(unanswerable, lambda o: o[0]))


def main() -> None:
    run, thresholds = Path(sys.argv[1]), [float(t) for t in sys.argv[2:]]
    print("| set | " + " | ".join(f"{t:.2f}: right / answerable refused / unanswerable refused" for t in thresholds) + " |")
    print("|---|" + "---|" * len(thresholds))
    for folder in sorted(p.parent for p in run.glob("*/rows.jsonl")):
        rows = [json.loads(line) for line in (folder / "rows.jsonl").read_text().splitlines() if line.strip()]
        cells = [" / ".join("–" if v is None else f"{v:.3f}" for v in figures(rows, t)) for t in thresholds]
        print(f"| {folder.name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
