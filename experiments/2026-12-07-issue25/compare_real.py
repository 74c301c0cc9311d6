"""A real run after issue 25 against the recorded 1.5B run on the same questions, per set.

    .venv/bin/python experiments/2026-12-07-issue25/compare_real.py RUN

RUN is a folder with a `rag eval` subfolder per set (here `1.5b-real`: the first 15 questions of
seeds and held-out and the first 10 of each RGB set, `rag eval --limit`, run on a machine at load
~20 on 2 cores, so its times are the machine's, not rag's). Before is
the recorded run of 2026-12-07-quality on the same question ids, through the decision as it was
(judge model, threshold .40; replay25.py); after is what the new run answered.
"""
import json
import statistics
import sys
from pathlib import Path

from recorded import rows
from replay25 import OLD_THRESHOLD, outcome


def shares(results: list[tuple[bool, bool, bool]]) -> str:
    """(answerable, answered, right) triples as right / answerable refused / unanswerable refused."""
    answerable = [r for r in results if r[0]]
    unanswerable = [r for r in results if not r[0]]
    cells = []
    if answerable:
        cells.append(f"{sum(r[2] for r in answerable) / len(answerable):.2f} / "
                     f"{sum(not r[1] for r in answerable) / len(answerable):.2f}")
    cells.append(f"{sum(not r[1] for r in unanswerable) / len(unanswerable):.2f}" if unanswerable else "–")
    return " / ".join(cells)


def main() -> None:
    run = Path(sys.argv[1])
    print("| set (questions) | before: right / answerable refused / unanswerable refused | after | "
          "citation precision after | median total s (first token) after |")
    print("|---|---|---|---|---|")
    for folder in sorted(p for p in run.iterdir() if (p / "rows.jsonl").is_file()):
        new = [json.loads(line) for line in (folder / "rows.jsonl").read_text().splitlines()]
        old = {r["id"]: r for r in rows("1.5b", folder.name)}
        before = []
        for row in new:
            answered, right = outcome(old[row["id"]], complete=False, contradiction=False, feature=False,
                                      threshold=OLD_THRESHOLD)
            before.append((row["answerable"], answered, right))
        after = [(r["answerable"], not r["abstained"], bool(r["correct"])) for r in new]
        metrics = json.loads((folder / "summary.json").read_text())["metrics"]
        totals = [r["timings"]["total"] for r in new]
        firsts = [r["timings"]["first_token"] for r in new if r["timings"]["first_token"] is not None]
        precision = metrics.get("citation_precision")
        print(f"| {folder.name} ({len(new)}) | {shares(before)} | {shares(after)} | "
              f"{'–' if precision is None else f'{precision:.2f}'} | "
              f"{statistics.median(totals):.1f} ({statistics.median(firsts):.1f}) |")


if __name__ == "__main__":
    main()
