"""Per-answer outcomes of the recorded runs under the decision as the code now makes it, and their difference.

    .venv/bin/python experiments/2026-12-07-issue25b/outcomes.py save OUT.json [--run 1.5b|0.5b]
    .venv/bin/python experiments/2026-12-07-issue25b/outcomes.py diff BEFORE.json AFTER.json
    .venv/bin/python experiments/2026-12-07-issue25b/outcomes.py table [--run 1.5b|0.5b] T1 T2...

`save` replays every recorded row (no model is run) through completion, the constraint check and the
decision at the default threshold, as issue 25's replay25.py does for its "after" variant, then
refuses where the evidence does not name the question's one name (rag.answer.entities, when the
code has it), and writes per row whether it is answered, right, and the answer given. `table` gives
per set, at each threshold, the share right, answerable refused and unanswerable refused (rgb-rejection
also over the 35 questions its passages do not answer). Run it on two versions of the code
(e.g. with a change stashed and not) and `diff` lists, per set, the answers turned right and wrong.
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "2026-12-07-issue25"))

from recorded import SETS, rows  # noqa: E402
from replay25 import outcome  # noqa: E402

from rag.answer.complete import complete_answer  # noqa: E402
from rag.settings import Settings  # noqa: E402


def replayed(run: str, threshold: float) -> dict:
    found = {}
    for name in SETS:
        for row in rows(run, name):
            answered, right = outcome(row, complete=True, contradiction=True, feature=True, threshold=threshold)
            if answered and _absent(row):
                answered = right = False
            checked = row["checked"]
            text = complete_answer(checked.text, checked.citations)[0] if checked and checked.citations else row["raw"]
            found[f"{name}/{row['id']}"] = {"answered": answered, "right": right, "answer": text,
                                            "question": row["question"], "answerable": row["answerable"]}
    return found


def _absent(row: dict) -> bool:
    try:
        from rag.answer import entities
    except ImportError:  # the code before the rule
        return False
    cited = sorted({c.number for c in row["checked"].citations})
    chunks = [row["hits"][n - 1].chunk for n in cited]
    return entities.check(row["question"], [c.text for c in chunks], [c.title for c in chunks]).absent


def save(out: Path, run: str) -> None:
    out.write_text(json.dumps(replayed(run, Settings().answer_threshold), indent=1))


def table(run: str, thresholds: list[float]) -> None:
    from rejection_answerable import ANSWERABLE

    print(f"Reader {run}, replayed (right / answerable refused / unanswerable refused):\n")
    print("| threshold | seeds | heldout | rgb-gold | rgb-rejection refused (over the 35 unanswered) |\n|---|---|---|---|---|")
    for t in thresholds:
        found = replayed(run, t)
        cells = []
        for name in SETS:
            rows_ = [(k.split("/")[1], v) for k, v in found.items() if k.startswith(name + "/")]
            answerable = [v for _, v in rows_ if v["answerable"]]
            unanswerable = [(i, v) for i, v in rows_ if not v["answerable"]]
            if name == "rgb-rejection":
                truly = [v for i, v in unanswerable if i not in ANSWERABLE]
                cells.append(f"{sum(not v['answered'] for _, v in unanswerable) / len(unanswerable):.3f} "
                             f"({sum(not v['answered'] for v in truly) / len(truly):.3f})")
                continue
            cell = (f"{sum(v['right'] for v in answerable) / len(answerable):.3f} / "
                    f"{sum(not v['answered'] for v in answerable) / len(answerable):.3f}")
            if unanswerable:
                cell += f" / {sum(not v['answered'] for _, v in unanswerable) / len(unanswerable):.3f}"
            cells.append(cell)
        print(f"| {t} | " + " | ".join(cells) + " |")


def diff(before: Path, after: Path) -> None:
    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    print("| set | turned right | turned wrong (or refused) | answer changed, outcome the same |\n|---|---|---|---|")
    for name in SETS:
        keys = [k for k in old if k.startswith(name + "/")]
        right = [k for k in keys if new[k]["right"] and not old[k]["right"]]
        wrong = [k for k in keys if old[k]["right"] and not new[k]["right"]]
        same = [k for k in keys if new[k]["right"] == old[k]["right"] and
                (new[k]["answer"], new[k]["answered"]) != (old[k]["answer"], old[k]["answered"])]
        print(f"| {name} | {len(right)} | {len(wrong)} | {len(same)} |")
    print()
    for k in old:
        if (new[k]["answer"], new[k]["answered"], new[k]["right"]) != (old[k]["answer"], old[k]["answered"], old[k]["right"]):
            o, n = old[k], new[k]
            print(f"- {k} {o['question']!r}: {o['answer']!r} (answered {o['answered']}, right {o['right']}) -> "
                  f"{n['answer']!r} (answered {n['answered']}, right {n['right']})")


if __name__ == "__main__":
    if sys.argv[1] == "save":
        save(Path(sys.argv[2]), sys.argv[4] if len(sys.argv) > 4 else "1.5b")
    elif sys.argv[1] == "table":
        run = sys.argv[3] if sys.argv[2] == "--run" else "1.5b"
        table(run, [float(t) for t in sys.argv[4 if sys.argv[2] == "--run" else 2:]])
    else:
        diff(Path(sys.argv[2]), Path(sys.argv[3]))
