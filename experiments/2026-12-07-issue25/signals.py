"""Correctness signals on the 1.5B's pooled answers of the four sets: cross-validated AUC, and the refit's curve.

    .venv/bin/python experiments/2026-12-07-issue25/signals.py [--curve FEATURES]

The cases are those of issue 15 (eval/calibrate.py): every answer of the 1.5B that passed the
outright checks, right when it holds a gold answer once completed (rag.answer.complete). Features, besides
the recorded judge, overlap and answer probability:
- agreement: 1 when the 0.5B's recorded answer to the same question holds the 1.5B's or the
  reverse (after completion and normalisation), else 0 (the 0.5B declined or said something else);
- constraint: 1 when the cited passages meet the question's constraints (or it has none), 0.5
  when they are silent on one, 0 when they contradict one (rag.answer.constraints).
AUC is cross-validated as in eval/calibrate.py (5 folds over the pooled sets, stratified by set
and outcome). --curve prints the per-set trade-off for the given features, with a contradiction
refused outright, and the model fitted on every case.
"""
import argparse
import sys
from itertools import combinations
from pathlib import Path

from recorded import SETS, rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from calibrate import auc, cross_validated, curve, fitted  # noqa: E402

from rag.answer.complete import complete_answer  # noqa: E402
from rag.answer.constraints import check  # noqa: E402
from rag.answer.decision import Signals, features  # noqa: E402
from rag.scoring import contains_answer, normalize_answer  # noqa: E402
from rag.text import strip_markers  # noqa: E402

FEATURES = ("judge", "agreement", "constraint", "overlap", "answer_probability")


def completed(row: dict) -> str:
    """The answer as the pipeline would now give it (completed), or the raw one when no source backs it."""
    checked = row["checked"]
    if checked is None or not checked.citations:
        return row["raw"]
    return complete_answer(checked.text, checked.citations)[0]


def agree(mine: str, theirs: str) -> float:
    a, b = normalize_answer(strip_markers(mine)), normalize_answer(strip_markers(theirs))
    if not a or not b:
        return 0.0
    return float(contains_answer(a, [b]) or contains_answer(b, [a]))


def constraint(row: dict) -> float:
    cited = sorted({c.number for c in row["checked"].citations})
    hits = [row["hits"][n - 1].chunk for n in cited]
    finding = check(row["question"], [h.text for h in hits], [h.date for h in hits])
    return finding.score


def cases() -> list[dict]:
    small = {(r["set"], r["id"]): r for name in SETS for r in rows("0.5b", name)}
    found = []
    for name in SETS:
        for row in rows("1.5b", name):
            signals = row["signals"]
            row["answer_now"] = completed(row)
            row["raw_correct"] = bool(row["answerable"] and contains_answer(row["answer_now"], row["gold"]))
            row["candidate"] = bool(signals) and signals["cited"] and not signals["declined"] and not signals["restates"]
            if row["candidate"]:
                other = small[(name, row["id"])]
                row["features"] = features(Signals(**signals)) | {
                    "agreement": agree(row["answer_now"], completed(other) if other["raw"] else ""),
                    "constraint": constraint(row)}
            found.append(row)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--curve", help="comma-separated features for the curve")
    options = parser.parse_args()
    found = cases()
    pool = [r for r in found if r["candidate"]]
    print(f"{len(found)} rows, {len(pool)} answers past the outright checks, {sum(r['raw_correct'] for r in pool)} right\n")
    if not options.curve:
        print("| features | cross-validated AUC |\n|---|---|")
        for k in range(1, 4):
            for names in combinations(FEATURES, k):
                print(f"| {', '.join(names)} | {auc(found, cross_validated(found, names)):.3f} |")
        return
    names = tuple(options.curve.split(","))
    probability = cross_validated(found, names)
    # A contradicted constraint is refused outright: no probability, so never answered.
    probability = {i: p for i, p in probability.items() if found[i]["features"]["constraint"] > 0}
    print(f"Trade-off with {', '.join(names)}, contradictions refused outright (5-fold cross-validated):\n")
    print(curve(found, probability, [round(0.05 * k, 2) for k in range(0, 20)]))
    print(f"\nFitted on every case:\n\nfrozenset({set(names)}): " + fitted(found, names))


if __name__ == "__main__":
    main()
