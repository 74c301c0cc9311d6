"""The constraint check on the recorded answers, alone and inside the decision, per set.

    .venv/bin/python experiments/2026-12-07-issue25/constraints_effect.py [--list]

For every answer past the outright checks (the reader answered, a source backs it, it is not a
restatement) the question's constraints are checked against the evidence, in three variants:
the cited sentences, the cited passages (what the reader was shown of each cited source), each
with the documents' dates; and refusing on a contradiction only, or also when the evidence is
silent. "Alone" counts what the rule refuses among those answers; "inside the decision" counts
what it refuses among the answers today's decision lets stand (rag.answer.decision, default threshold).
"""
import sys

from recorded import SETS, rows

from rag.answer.constraints import check
from rag.answer.decision import MODELS, Signals, decide
from rag.settings import Settings

THRESHOLD = Settings().answer_threshold


def evidence(row: dict, scope: str) -> tuple[list[str], list]:
    citations = row["checked"].citations
    if scope == "sentences":
        return [c.text for c in citations], [c.date for c in citations]
    cited = sorted({c.number for c in citations})
    return [row["hits"][n - 1].chunk.text for n in cited], [row["hits"][n - 1].chunk.date for n in cited]


def candidates(run: str, name: str) -> list[dict]:
    found = []
    for row in rows(run, name):
        signals = row["signals"]
        if signals and signals["cited"] and not signals["declined"] and not signals["restates"] and row["checked"].citations:
            row["stands"] = decide(Signals(**signals), threshold=THRESHOLD, models=MODELS).answer
            found.append(row)
    return found


def table(run: str, listing: bool) -> str:
    lines = [f"Reader {run}: answers refused by the rule, as right answers lost / wrong answers to answerable "
             "questions caught / answers to unanswerable questions caught.\n",
             "| set | answers past the outright checks (right/wrong/unanswerable) | sentences, contradicted | "
             "sentences, contradicted or silent | passages, contradicted | passages, contradicted or silent | "
             "inside the decision: passages, contradicted or silent |",
             "|---|---|---|---|---|---|---|"]
    for name in SETS:
        cases = candidates(run, name)

        def kind(r):
            return "right" if r["raw_correct"] else "wrong" if r["answerable"] else "unanswerable"

        counts = {k: sum(kind(r) == k for r in cases) for k in ("right", "wrong", "unanswerable")}
        cells = [f"{counts['right']}/{counts['wrong']}/{counts['unanswerable']}"]
        for scope in ("sentences", "passages"):
            findings = {r["id"]: check(r["question"], *evidence(r, scope)) for r in cases}
            for strict in (False, True):
                refused = [r for r in cases if findings[r["id"]].reason == "contradicted"
                           or (strict and findings[r["id"]].reason == "unmet")]
                cells.append("/".join(str(sum(kind(r) == k for r in refused)) for k in ("right", "wrong", "unanswerable")))
                if listing and scope == "passages" and strict:
                    for r in refused:
                        print(f"  {run} {r['id']} {kind(r)} {r['question']!r} -> {r['raw']!r}: {findings[r['id']].message}")
        stands = [r for r in cases if r["stands"]]
        findings = {r["id"]: check(r["question"], *evidence(r, "passages")) for r in stands}
        refused = [r for r in stands if not findings[r["id"]].met]
        cells.append("/".join(str(sum(kind(r) == k for r in refused)) for k in ("right", "wrong", "unanswerable")))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    for run in ("1.5b", "0.5b"):
        print(table(run, "--list" in sys.argv) + "\n")
