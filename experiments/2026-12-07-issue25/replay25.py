"""The recorded runs before and after issue 25, and each lever alone, per set (no model is run).

    .venv/bin/python experiments/2026-12-07-issue25/replay25.py [--threshold T] [--run 1.5b|0.5b]

Before: the decision as it was (judge model, threshold 0.40) on the answers as written. Each
lever then alone, and all together (after): completion (rag.answer.complete), a contradicted
constraint refused outright, the constraint as a feature of the refitted model (rag.answer.decision's
judge+constraint model), the new threshold. The judge's recorded P(yes) is reused: it was asked
about the uncompleted answer. "right" is an answer that stands and holds a gold answer;
rgb-rejection's refusals are also given over the 35 questions its passages do not answer
(rejection_answerable.ANSWERABLE lists the other 15).
"""
import argparse
from dataclasses import replace

from recorded import SETS, rows
from rejection_answerable import ANSWERABLE

from rag.answer.complete import complete_answer
from rag.answer.constraints import check
from rag.answer.decision import MODELS, Signals, decide
from rag.scoring import contains_answer

OLD_MODELS = {k: v for k, v in MODELS.items() if "constraint" not in k}
OLD_THRESHOLD = 0.40


def outcome(row: dict, *, complete: bool, contradiction: bool, feature: bool, threshold: float) -> tuple[bool, bool]:
    """(answered, right) for one row under the chosen levers."""
    if row["signals"] is None:
        return False, False
    checked = row["checked"]
    text = checked.text if checked else row["raw"]
    signals = Signals(**row["signals"])
    if checked is not None and checked.citations:
        if complete:
            text = complete_answer(checked.text, checked.citations)[0]
        cited = sorted({c.number for c in checked.citations})
        chunks = [row["hits"][n - 1].chunk for n in cited]
        score = check(row["question"], [c.text for c in chunks], [c.date for c in chunks]).score
        if contradiction and score == 0.0:
            signals = replace(signals, constraint=0.0)
        elif feature:
            signals = replace(signals, constraint=score)
    answered = decide(signals, threshold=threshold, models=MODELS if feature else OLD_MODELS).answer
    return answered, answered and row["answerable"] and contains_answer(text, row["gold"])


def summary(found: list[dict], **levers) -> str:
    cells = []
    for name in SETS:
        subset = [r for r in found if r["set"] == name]
        results = {r["id"]: outcome(r, **levers) for r in subset}
        answerable = [r for r in subset if r["answerable"]]
        unanswerable = [r for r in subset if not r["answerable"]]
        if answerable:
            cells.append(f"{sum(results[r['id']][1] for r in answerable) / len(answerable):.3f}")
            cells.append(f"{sum(not results[r['id']][0] for r in answerable) / len(answerable):.3f}")
        if unanswerable:
            refused = sum(not results[r["id"]][0] for r in unanswerable) / len(unanswerable)
            if name == "rgb-rejection":
                truly = [r for r in unanswerable if r["id"] not in ANSWERABLE]
                refused_truly = sum(not results[r["id"]][0] for r in truly) / len(truly)
                cells.append(f"{refused:.3f} ({refused_truly:.3f})")
            else:
                cells.append(f"{refused:.3f}")
    return " | ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, required=True)
    parser.add_argument("--run", default="1.5b")
    options = parser.parse_args()
    found = [r for name in SETS for r in rows(options.run, name)]
    t = options.threshold
    variants = [
        ("before (judge model, 0.40)", dict(complete=False, contradiction=False, feature=False, threshold=OLD_THRESHOLD)),
        ("completion alone", dict(complete=True, contradiction=False, feature=False, threshold=OLD_THRESHOLD)),
        ("contradiction refused, alone", dict(complete=False, contradiction=True, feature=False, threshold=OLD_THRESHOLD)),
        ("constraint in the model + contradiction refused", dict(complete=False, contradiction=True, feature=True,
                                                                threshold=OLD_THRESHOLD)),
        (f"threshold {t} alone", dict(complete=False, contradiction=False, feature=False, threshold=t)),
        (f"after (all, threshold {t})", dict(complete=True, contradiction=True, feature=True, threshold=t)),
    ]
    print(f"Reader {options.run}, replayed.\n")
    print("| variant | seeds right | seeds answerable refused | seeds unanswerable refused | heldout right | "
          "heldout answerable refused | heldout unanswerable refused | rgb right | rgb answerable refused | "
          "rgb-rejection refused (over the 35 unanswered) |")
    print("|---|" + "---|" * 9)
    for label, levers in variants:
        print(f"| {label} | {summary(found, **levers)} |")


if __name__ == "__main__":
    main()
