"""Completion on the recorded answers: how many it turns right and how many wrong, per set and run.

    .venv/bin/python experiments/2026-12-07-issue25/completion_effect.py [--list]

Every answer that passed the citation check is completed from its citations (rag.answer.complete) and
scored before and after against the gold answers (rag.scoring.contains_answer, as `rag eval`
scores). --list prints every answer that changed.
"""
import sys

from recorded import SETS, rows

from rag.answer.complete import complete_answer
from rag.scoring import contains_answer


def effect(run: str, name: str, listing: bool) -> str:
    changed = turned_right = turned_wrong = noted = 0
    for row in rows(run, name):
        checked = row["checked"]
        if checked is None or not checked.citations:
            continue
        text, _, notes = complete_answer(checked.text, checked.citations)
        if text == checked.text:
            continue
        changed += 1
        noted += bool(notes)
        before, after = (contains_answer(t, row["gold"]) for t in (checked.text, text))
        turned_right += after and not before
        turned_wrong += before and not after
        if listing:
            print(f"  {run} {row['id']} {row['question']!r}: {checked.text!r} -> {text!r} {notes} gold {row['gold'][:2]}"
                  f"{' RIGHT' if after and not before else ''}")
    return f"| {run} | {name} | {changed} | {noted} | {turned_right} | {turned_wrong} |"


if __name__ == "__main__":
    listing = "--list" in sys.argv
    lines = ["| reader | set | answers completed | with a date from the document | wrong -> right | right -> wrong |",
             "|---|---|---|---|---|---|"]
    for run in ("1.5b", "0.5b"):
        for name in SETS:
            lines.append(effect(run, name, listing))
    print("\n".join(lines))
