"""The question's names against the cited evidence (rag.answer.entities), on the recorded runs: alone and in the decision.

    .venv/bin/python experiments/2026-12-07-issue25b/entities_effect.py [--run 1.5b|0.5b] [--list]

Alone: each answer the decision gave before this rule (issue 25's replay, default threshold) that
it refuses outright (`EntityFinding.absent`: the question's one name, no word of it in the cited
passages or their titles); counted per set as right answers lost and wrong answers stopped, and
for rgb-rejection also against the 15 questions its passages answer. As a feature: the share of
the question's names of which the evidence holds a word (1 when none), cross-validated AUC on the
1.5B's pooled answers past the outright checks, as issue 25's signals.py computes it.
"""
import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "2026-12-07-issue25"))
sys.path.insert(0, str(HERE.parents[1] / "eval"))

from calibrate import auc, cross_validated  # noqa: E402
from recorded import SETS, rows  # noqa: E402
from rejection_answerable import ANSWERABLE  # noqa: E402
from replay25 import outcome  # noqa: E402

from rag.answer import entities  # noqa: E402
from rag.settings import Settings  # noqa: E402


def finding(row: dict):
    cited = sorted({c.number for c in row["checked"].citations})
    chunks = [row["hits"][n - 1].chunk for n in cited]
    return entities.check(row["question"], [c.text for c in chunks], [c.title for c in chunks])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", default="1.5b")
    parser.add_argument("--list", action="store_true")
    options = parser.parse_args()
    threshold = Settings().answer_threshold
    print(f"Reader {options.run}, threshold {threshold}: answers given whose evidence does not name the question's one name\n")
    print("| set | answers given | refused by the rule | of them right (lost) | of them wrong (stopped) |")
    print("|---|---|---|---|---|")
    listing = []
    for name in SETS:
        given = missing = right = wrong = 0
        for row in rows(options.run, name):
            answered, correct = outcome(row, complete=True, contradiction=True, feature=True, threshold=threshold)
            if not answered:
                continue
            given += 1
            found = finding(row)
            if found.absent:
                missing += 1
                right += bool(correct)
                wrong += not correct
                # On rgb-rejection, the 15 questions its passages answer count as answerable (issue 25).
                note = " (one of the 15 rgb-rejection questions its passages answer)" if (
                    name == "rgb-rejection" and row["id"] in ANSWERABLE) else ""
                listing.append(f"- {name}/{row['id']} {row['question']!r} -> {row['raw']!r}: no word of {found.missing}"
                               f" ({'right' if correct else 'wrong'}){note}")
        print(f"| {name} | {given} | {missing} | {right} | {wrong} |")
    if options.list:
        print("\n" + "\n".join(listing))
    if options.run != "1.5b":
        return
    from signals import cases

    found = cases()
    for row in found:
        if row["candidate"]:
            asked = finding(row)
            row["features"]["entity"] = 1 - len(asked.missing) / len(asked.names) if asked.names else 1.0
    pool = [r for r in found if r["candidate"]]
    print(f"\n{len(pool)} answers past the outright checks, {sum(r['raw_correct'] for r in pool)} right; "
          f"{sum(r['features']['entity'] < 1 for r in pool)} miss a name "
          f"({sum(r['features']['entity'] < 1 and r['raw_correct'] for r in pool)} of them right)\n")
    print("| features | cross-validated AUC |\n|---|---|")
    for names in [("judge",), ("entity",), ("constraint",), ("judge", "constraint"), ("judge", "entity"),
                  ("judge", "constraint", "entity"), ("judge", "answer_probability", "entity"),
                  ("judge", "agreement"), ("judge", "agreement", "entity")]:
        print(f"| {', '.join(names)} | {auc(found, cross_validated(found, names)):.3f} |")


if __name__ == "__main__":
    main()
