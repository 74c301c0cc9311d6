"""Fit the answer-or-refuse model of `rag.answer.decision` on recorded eval runs, and show what each threshold gives.

    .venv/bin/python eval/calibrate.py RUN [RUN ...]

Each RUN is a folder written by `rag eval` with several `--gold` sets (one subfolder per set).
Every row that passed the outright checks (the reader answered, a source backs a sentence, the
answer is not a restatement) is a case: right when the reader's answer holds a gold answer,
wrong otherwise (every answer to an unanswerable question is wrong). For each feature set the
script fits a logistic regression with 5-fold cross-validation over the sets' pooled cases
(each fold stratified by set and outcome), prints the cross-validated AUC and, for the chosen features, the trade-off curve:
per set, the answerable questions answered right and refused, and the unanswerable ones refused,
at each threshold. Then it fits on every set and prints the model to paste into rag/answer/decision.py.
Needs scikit-learn (`pip install scikit-learn`); the pipeline itself does not.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.answer.decision import Signals, features, outright  # noqa: E402

FEATURES = ("judge", "overlap", "answer_probability", "retrieval", "constraint")


def feature_sets() -> list[tuple[str, ...]]:
    """Every non-empty combination of the features, smallest first."""
    return [c for k in range(1, len(FEATURES) + 1) for c in combinations(FEATURES, k)]


def load(runs: list[Path]) -> list[dict]:
    """Every row of every set of the runs, with its set's name and whether it passed the outright checks."""
    rows = []
    for run in runs:
        for rows_file in sorted(run.glob("*/rows.jsonl")):
            for line in rows_file.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                row["set"] = rows_file.parent.name
                signals = Signals(**row["signals"]) if row.get("signals") else None
                row["candidate"] = signals is not None and outright(signals) is None
                if row["candidate"]:
                    row["features"] = features(signals)
                rows.append(row)
    return rows


def cross_validated(rows: list[dict], names: tuple[str, ...], folds: int = 5) -> dict[int, float]:
    """Out-of-fold probability for each candidate row (by its index in `rows`).

    The folds are drawn from every set together, stratified by set and outcome, so each fold has
    every set's mix. Leaving a whole set out instead scores each set with an intercept fitted
    where right answers are more or less common (rgb-rejection has none), and the pooled AUC
    then measures that shift rather than the features.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cases = [i for i, r in enumerate(rows) if r["candidate"] and all(n in r["features"] for n in names)]
    x = np.array([[rows[i]["features"][n] for n in names] for i in cases])
    y = np.array([rows[i]["raw_correct"] for i in cases])
    strata = [f"{rows[i]['set']}:{rows[i]['raw_correct']}" for i in cases]
    probability = {}
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, strata):
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(x[train], y[train])
        for j, p in zip(test, model.predict_proba(x[test])[:, 1]):
            probability[cases[j]] = float(p)
    return probability


def auc(rows: list[dict], probability: dict[int, float]) -> float:
    from sklearn.metrics import roc_auc_score

    labels = [rows[i]["raw_correct"] for i in probability]
    return roc_auc_score(labels, list(probability.values())) if len(set(labels)) == 2 else float("nan")


def curve(rows: list[dict], probability: dict[int, float], thresholds: list[float]) -> str:
    """Per set and threshold: answerable right, answerable refused, unanswerable refused; and the
    mean over sets of the share handled right (answerable answered right, unanswerable refused)."""
    by_set = defaultdict(list)
    for i, row in enumerate(rows):
        by_set[row["set"]].append(i)
    lines = ["| threshold | " + " | ".join((f"{s}: right / refused" + (" / refused unanswerable" if not all(rows[i]["answerable"] for i in by_set[s]) else ""))
                                           if any(rows[i]["answerable"] for i in by_set[s])
                                           else f"{s}: refused" for s in by_set) + " | mean right |",
             "|---|" + "---|" * (len(by_set) + 1)]
    for t in thresholds:
        cells = []
        handled = []
        for indices in by_set.values():
            answered = {i for i in indices if i in probability and probability[i] >= t}
            answerable = [i for i in indices if rows[i]["answerable"]]
            if answerable:
                right = sum(1 for i in answerable if i in answered and rows[i]["raw_correct"]) / len(answerable)
                refused = sum(1 for i in answerable if i not in answered) / len(answerable)
                unanswerable = [i for i in indices if not rows[i]["answerable"]]
                cell = f"{right:.2f} / {refused:.2f}"
                if unanswerable:
                    cell += f" / {sum(1 for i in unanswerable if i not in answered) / len(unanswerable):.2f}"
                cells.append(cell)
            else:
                cells.append(f"{sum(1 for i in indices if i not in answered) / len(indices):.2f}")
            handled.append(sum(1 for i in indices if (rows[i]["raw_correct"] and i in answered)
                               or (not rows[i]["answerable"] and i not in answered)) / len(indices))
        lines.append(f"| {t:.2f} | " + " | ".join(cells) + f" | {sum(handled) / len(handled):.3f} |")
    return "\n".join(lines)


def fitted(rows: list[dict], names: tuple[str, ...]) -> str:
    """The model fitted on every set, as `rag.answer.decision.Model(...)` source."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    cases = [r for r in rows if r["candidate"] and all(n in r["features"] for n in names)]
    x = np.array([[r["features"][n] for n in names] for r in cases])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression().fit(scaler.transform(x), [r["raw_correct"] for r in cases])

    def table(values) -> str:
        return "{" + ", ".join(f'"{n}": {v:.4f}' for n, v in zip(names, values)) + "}"

    return (f"Model(intercept={model.intercept_[0]:.4f}, weights={table(model.coef_[0])},\n"
            f"      means={table(scaler.mean_)}, scales={table(scaler.scale_)})  # {len(cases)} cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--features", help="comma-separated features for the curve (default: the best by AUC)")
    options = parser.parse_args()
    rows = load(options.runs)
    print(f"{len(rows)} rows, {sum(r['candidate'] for r in rows)} past the outright checks, "
          f"{sum(r['candidate'] and r['raw_correct'] for r in rows)} of them right\n")
    scored = {}
    for names in feature_sets():
        if sum(r["candidate"] and all(n in r["features"] for n in names) for r in rows) < 20:
            continue  # a feature the runs did not record (constraint, before issue 25)
        probability = cross_validated(rows, names)
        scored[names] = (auc(rows, probability), probability)
        print(f"features {', '.join(names)}: cross-validated AUC {scored[names][0]:.3f} over {len(probability)} cases")
    names = tuple(options.features.split(",")) if options.features else max(scored, key=lambda n: scored[n][0])
    probability = scored[names][1] if names in scored else cross_validated(rows, names)
    print(f"\nTrade-off with {', '.join(names)} (5-fold cross-validated):\n")
    print(curve(rows, probability, [round(0.05 * k, 2) for k in range(0, 20)]))
    print(f"\nFitted on every set:\n\nfrozenset({set(names)}): " + fitted(rows, names))

if __name__ == "__main__":
    main()
