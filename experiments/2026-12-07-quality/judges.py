"""Score candidate answers of a recorded `rag eval` run with several yes/no judge prompts; print AUC per set.

    .venv/bin/python experiments/2026-12-07-quality/judges.py RUN MODEL OUT.jsonl [VARIANT ...]

A candidate is an answer past the outright checks (reader answered, a source backs it, not a
restatement); it is right when the reader's raw answer holds a gold answer. Each variant asks
MODEL, in a context of its own whose fixed preamble stays in the KV cache, for P(yes).
"""
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rag.generation.llama import LlamaCppGenerator  # noqa: E402
from rag.models import resolve_model  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.answer.decision import Signals, outright  # noqa: E402
from rag.text import strip_markers  # noqa: E402

STRICT = ("You check answers against sources. Reply yes only if the source itself states that the answer "
          "answers this exact question: the same event, year, person, role, place and thing the question asks "
          "about. A name, date or number that only appears in the source near the question's words is not "
          "enough; neither is an answer about another year, another role or another event. Reply with yes or no.")
EXAMPLES = [
    ("The new bridge over the river Alba opened on 3 May 2021, the city council said.",
     "When did the Alba bridge open?", "3 May 2021", "yes"),
    ("The 2019 final was won by Ana Ruiz, who beat Maria Lopez in three sets.",
     "Who won the 2021 final?", "Ana Ruiz", "no"),
    ("Sales rose to 12 million units in the third quarter, the company said on Friday.",
     "How many units did the company sell in the third quarter?", "12 million units", "yes"),
    ("Maria Lopez played her first-round match at the 2019 championships on Tuesday.",
     "Who won the 2019 championships?", "Maria Lopez", "no"),
    ("Paul Grant, the museum's chief curator, opened the exhibition on Monday.",
     "Who is the director of the museum?", "Paul Grant", "no"),
    ("Officials said the talks in Geneva lasted four hours and ended without agreement.",
     "How long did the Geneva talks last?", "four hours", "yes"),
]


def bare(passage, question, answer):
    return (f"Source:\n{passage}\n\nQuestion: {question}\nAnswer: {answer}\n\n"
            "Does the source state that this is the answer to the question? Reply with yes or no.")


def strict_user(passage, question, answer):
    return f"Source:\n{passage}\n\nQuestion: {question}\nProposed answer: {answer}\n\nDoes the source state this answer to this question?"


def strict_preamble():
    messages = [{"role": "system", "content": STRICT}]
    for passage, question, answer, verdict in EXAMPLES:
        messages += [{"role": "user", "content": strict_user(passage, question, answer)},
                     {"role": "assistant", "content": verdict}]
    return messages


def answerable_user(passage, question, answer):
    return f"Source:\n{passage}\n\nQuestion: {question}\n\nDoes the source answer this question? Reply with yes or no."


VARIANTS = {
    # name: (preamble, user builder, passages: "cited" or "all")
    "bare": ((), bare, "cited"),
    "strict": (tuple(strict_preamble()), strict_user, "cited"),
    "strict_all": (tuple(strict_preamble()), strict_user, "all"),
    "answers_q": ((), answerable_user, "cited"),
}


def candidates(run: Path):
    for rows_file in sorted(run.glob("*/rows.jsonl")):
        for line in rows_file.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            r["set"] = rows_file.parent.name
            s = r.get("signals")
            if not s or outright(Signals(**s)) is not None:
                continue
            cited = sorted({c["number"] for c in r["citations"]})
            if not cited:
                continue
            yield r, cited


def auc(pairs):
    pos = [p for p, y in pairs if y]
    neg = [p for p, y in pairs if not y]
    if not pos or not neg:
        return float("nan")
    return sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))


def main():
    run, model, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    names = sys.argv[4:] or list(VARIANTS)
    s = Settings.load()
    path = resolve_model(model, cache_dir=s.cache_dir, models_dir=s.models_dir)
    results = {}
    if out.exists():
        for line in out.read_text().splitlines():
            rec = json.loads(line)
            results[(rec["set"], rec["id"])] = rec
    for name in names:
        preamble, user, which = VARIANTS[name]
        judge = LlamaCppGenerator(path, name=model, context_window=4096, threads=0, prefix=preamble)
        times = []
        for r, cited in candidates(run):
            key = (r["set"], r["id"])
            rec = results.setdefault(key, {"set": r["set"], "id": r["id"], "right": bool(r["raw_correct"]),
                                           "answerable": r["answerable"], "overlap": r["signals"]["overlap"]})
            if name in rec:
                continue
            numbers = cited if which == "cited" else range(1, len(r["passages"]) + 1)
            passage = "\n\n".join(r["passages"][n - 1] for n in numbers)
            answer = strip_markers(r["raw"])
            t = time.perf_counter()
            rec[name] = judge.yes_probability([*preamble, {"role": "user", "content": user(passage, r["question"], answer)}])
            times.append(time.perf_counter() - t)
        times.sort()
        print(f"{name}: {len(times)} calls, median {times[len(times) // 2] if times else 0:.2f} s", flush=True)
        out.write_text("".join(json.dumps(rec) + "\n" for rec in results.values()))
    recs = list(results.values())
    sets = sorted({r["set"] for r in recs})
    print("variant | " + " | ".join(sets) + " | pooled")
    for name in [n for n in VARIANTS if any(n in r for r in recs)] + ["overlap"]:
        cells = []
        for st in sets:
            pairs = [(r[name], r["right"]) for r in recs if r["set"] == st and name in r]
            cells.append(f"{auc(pairs):.3f} ({sum(y for _, y in pairs)}/{len(pairs)})")
        pooled = [(r[name], r["right"]) for r in recs if name in r]
        print(f"{name} | " + " | ".join(cells) + f" | {auc(pooled):.3f}")


if __name__ == "__main__":
    main()
