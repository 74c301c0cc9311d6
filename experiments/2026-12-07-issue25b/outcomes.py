"""Per-answer outcomes of the recorded runs under the decision as the code now makes it, and their difference.

    .venv/bin/python experiments/2026-12-07-issue25b/outcomes.py save OUT.json [--run 1.5b|0.5b]
    .venv/bin/python experiments/2026-12-07-issue25b/outcomes.py diff BEFORE.json AFTER.json

`save` replays every recorded row (no model is run) through completion, the constraint check and the
decision at the default threshold, as issue 25's replay25.py does for its "after" variant, and writes
per row whether it is answered, right, and the answer given. Run it on two versions of the code
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


def save(out: Path, run: str) -> None:
    threshold = Settings().answer_threshold
    found = {}
    for name in SETS:
        for row in rows(run, name):
            answered, right = outcome(row, complete=True, contradiction=True, feature=True, threshold=threshold)
            checked = row["checked"]
            text = complete_answer(checked.text, checked.citations)[0] if checked and checked.citations else row["raw"]
            found[f"{name}/{row['id']}"] = {"answered": answered, "right": right, "answer": text,
                                            "question": row["question"]}
    out.write_text(json.dumps(found, indent=1))


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
    else:
        diff(Path(sys.argv[2]), Path(sys.argv[3]))
