"""Replay recorded runs through candidate decisions: one reader, or a cascade of two; per set right/refused and time.

    .venv/bin/python experiments/2026-12-07-quality/simulate.py SMALL_RUN LARGE_RUN [FEATURES]

Each run is a `rag eval` folder with one subfolder per gold set, whose rows carry the decision's
signals (the judge among them). The decision's probability is cross-validated: 5 folds over the
pooled sets (eval/calibrate.py), over FEATURES (default overlap,judge). A cascade answers
with the small reader when its answer reaches t1, else asks the large reader and answers when
that reaches t2; its time is the small reader's plus, when asked, the large one's.
"""
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "eval"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import calibrate  # noqa: E402

FEATURES = tuple((sys.argv[3] if len(sys.argv) > 3 else "overlap,judge").split(","))


def load(run):
    rows = calibrate.load([Path(run)])
    probability = calibrate.cross_validated(rows, FEATURES)
    return {(r["set"], r["id"]): dict(r, p=probability.get(i)) for i, r in enumerate(rows)}


def replay(small, large, t1, t2=None):
    """Per set: (right, refused answerable, refused unanswerable, median seconds, share asked of the large reader)."""
    result = {}
    for name in sorted({s for s, _ in small}):
        right = refused_a = refused_u = answerable = unanswerable = asked = 0
        times = []
        for key in [k for k in small if k[0] == name]:
            row = small[key]
            ok = row["p"] is not None and row["p"] >= t1
            seconds = row["timings"]["total"]
            if t2 is not None and not ok:
                asked += 1
                row = large[key]
                ok = row["p"] is not None and row["p"] >= t2
                seconds += row["timings"]["total"]
            times.append(seconds)
            if row["answerable"]:
                answerable += 1
                right += ok and row["raw_correct"]
                refused_a += not ok
            else:
                unanswerable += 1
                refused_u += not ok
        share = lambda n, d: n / d if d else None  # noqa: E731
        result[name] = (share(right, answerable), share(refused_a, answerable), share(refused_u, unanswerable),
                        statistics.median(times), asked / len(times))
    return result


def show(label, result):
    cells = []
    for values in result.values():
        figures = "/".join("-" if v is None else f"{v:.2f}" for v in values[:3])
        cells.append(f"{figures} ({values[3]:.1f}s, {values[4]:.0%})")
    print(f"| {label} | " + " | ".join(cells) + " |")


def main():
    small, large = load(sys.argv[1]), load(sys.argv[2])
    print("| decision | " + " | ".join(f"{s}: right/refused ans./refused unans. (p50, large asked)"
                                         for s in sorted({s for s, _ in small})) + " |")
    print("|---|" + "---|" * len({s for s, _ in small}))
    for t in (0, 0.2, 0.3, 0.4, 0.5, 0.6):
        show(f"small t={t}", replay(small, large, t))
    for t in (0, 0.2, 0.3, 0.4, 0.5, 0.6):
        show(f"large t={t}", replay(large, small, t))
    for t1 in (0.4, 0.5, 0.6, 0.7):
        for t2 in (0.2, 0.3, 0.4, 0.5):
            show(f"cascade t1={t1} t2={t2}", replay(small, large, t1, t2))


if __name__ == "__main__":
    main()
