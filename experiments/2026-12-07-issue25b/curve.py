"""The decision's trade-off per set with this branch's outright refusals, and the model refitted on every case.

    .venv/bin/python experiments/2026-12-07-issue25b/curve.py [--features judge,constraint]

As issue 25's signals.py --curve (the 1.5B's recorded answers, 5-fold cross-validated probability,
contradicted constraints refused outright), with what this branch adds: documents dated by
rag.dates (abbreviated months), and an answer whose evidence does not name the question's one
name refused outright (rag.answer.entities).
"""
import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "2026-12-07-issue25"))
sys.path.insert(0, str(HERE.parents[1] / "eval"))

from calibrate import auc, cross_validated, curve, fitted  # noqa: E402
from signals import cases  # noqa: E402

from rag.answer import entities  # noqa: E402


def absent(row: dict) -> bool:
    cited = sorted({c.number for c in row["checked"].citations})
    chunks = [row["hits"][n - 1].chunk for n in cited]
    return entities.check(row["question"], [c.text for c in chunks], [c.title for c in chunks]).absent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", default="judge,constraint")
    names = tuple(parser.parse_args().features.split(","))
    found = cases()
    pool = [r for r in found if r["candidate"]]
    print(f"{len(found)} rows, {len(pool)} answers past the outright checks, {sum(r['raw_correct'] for r in pool)} right")
    probability = cross_validated(found, names)
    print(f"cross-validated AUC of {', '.join(names)}: {auc(found, probability):.3f}\n")
    refused = {i for i in probability if found[i]["features"]["constraint"] == 0 or absent(found[i])}
    print(f"Trade-off with {', '.join(names)}; contradictions and absent names refused outright ({len(refused)} answers):\n")
    print(curve(found, {i: p for i, p in probability.items() if i not in refused}, [round(0.05 * k, 2) for k in range(0, 20)]))
    print(f"\nFitted on every case:\n\n{fitted(found, names)}")


if __name__ == "__main__":
    main()
