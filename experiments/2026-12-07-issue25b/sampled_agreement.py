"""Sampled-answer agreement as a correctness signal: AUC alone and with the judge, and its time cost.

    .venv/bin/python experiments/2026-12-07-issue25b/sampled_agreement.py

Reads the samples of sample_answers.py (eval/runs/2026-12-07-issue25b/sampled-1.5b.jsonl) and
joins them to issue 25's cases (experiments/2026-12-07-issue25/signals.py: the 1.5B's answers past
the outright checks, right when the completed answer holds a gold answer). Features:
- sampled: the share of samples that agree with the greedy answer (either holds the other once
  normalised, markers stripped; a refusal or an empty sample disagrees);
- sampled_f1: the mean token F1 of the samples against the greedy answer.
AUC is cross-validated as in eval/calibrate.py (5 folds, stratified by set and outcome) over the
answers sampled so far only, every feature set on the same answers. Time: per answer, the seconds
of all samples (the first one evaluates the question's prompt) and of the later ones alone (what
sampling costs when the prompt is still in the KV cache, right after the greedy answer).
"""
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "2026-12-07-issue25"))
sys.path.insert(0, str(HERE.parents[1] / "eval"))

from calibrate import auc, cross_validated  # noqa: E402
from signals import cases  # noqa: E402

from rag.answer.decision import is_refusal  # noqa: E402
from rag.scoring import contains_answer, normalize_answer, token_f1  # noqa: E402
from rag.text import strip_markers  # noqa: E402

SAMPLED = HERE.parents[1] / "eval" / "runs" / "2026-12-07-issue25b" / "sampled-1.5b.jsonl"
FEATURE_SETS = [("judge",), ("sampled",), ("sampled_f1",), ("agreement",), ("judge", "sampled"),
                ("judge", "sampled_f1"), ("judge", "agreement"), ("judge", "constraint"),
                ("judge", "sampled", "agreement"), ("judge", "sampled", "constraint"),
                ("judge", "sampled", "answer_probability"), ("judge", "sampled_f1", "sampled")]


def agrees(greedy: str, sample: str) -> bool:
    a, b = normalize_answer(strip_markers(greedy)), normalize_answer(strip_markers(sample))
    if not a or not b or is_refusal(sample):
        return False
    return contains_answer(a, [b]) or contains_answer(b, [a])


def main() -> None:
    sampled = {(r["set"], r["id"]): r for r in map(json.loads, SAMPLED.read_text().splitlines())}
    found = cases()
    covered = []
    for row in found:
        got = sampled.get((row["set"], row["id"]))
        if row["candidate"] and got is None:
            row["candidate"] = False  # not sampled yet: every feature set is scored on the same answers
        if row["candidate"]:
            samples = got["samples"]
            row["features"]["sampled"] = sum(agrees(row["raw"], s) for s in samples) / len(samples)
            row["features"]["sampled_f1"] = statistics.mean(
                0.0 if is_refusal(s) else token_f1(strip_markers(s), [strip_markers(row["raw"])]) for s in samples)
            covered.append((row, got))
    per_set = {name: sum(r["set"] == name for r, _ in covered) for name in ("seeds", "heldout", "rgb-gold", "rgb-rejection")}
    right = sum(r["raw_correct"] for r, _ in covered)
    print(f"{len(covered)} of {sum(1 for r in found if r.get('features'))} answers sampled "
          f"({', '.join(f'{k} {v}' for k, v in per_set.items())}); {right} right\n")
    from sklearn.metrics import roc_auc_score

    labels = [r["raw_correct"] for r, _ in covered]
    print("| features | cross-validated AUC | AUC of the raw feature |\n|---|---|---|")
    for names in FEATURE_SETS:
        try:
            validated = f"{auc(found, cross_validated(found, names)):.3f}"
        except ValueError:  # too few answers yet for 5 stratified folds
            validated = "n/a"
        raw = f"{roc_auc_score(labels, [r['features'][names[0]] for r, _ in covered]):.3f}" if len(names) == 1 else ""
        print(f"| {', '.join(names)} | {validated} | {raw} |")
    total = [sum(g["seconds"]) for _, g in covered]
    later = [statistics.mean(g["seconds"][1:]) for _, g in covered]
    first = [g["seconds"][0] for _, g in covered]
    n = len(covered[0][1]["samples"])
    print(f"\nTime per answer ({n} samples, 1.5B, nice 10 on the shared 2-core machine): all samples median "
          f"{statistics.median(total):.1f} s (p90 {sorted(total)[int(0.9 * len(total))]:.1f}); first sample (evaluates "
          f"the prompt) median {statistics.median(first):.1f} s; a later sample median {statistics.median(later):.2f} s, "
          f"so {n} samples from a cached prompt ~{n * statistics.median(later):.1f} s")
    for low, high in ((0.2, 0.9), (0.1, 0.95)):
        share = sum(low <= r["signals"]["judge"] <= high for r, _ in covered) / len(covered)
        print(f"Answers whose judge P(yes) is in [{low}, {high}] (sampled only then): {share:.2f}")


if __name__ == "__main__":
    main()
