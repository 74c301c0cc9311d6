"""The recorded runs of 2026-12-07-quality, rebuilt into what the pipeline had when it decided.

Each row records the passages the reader was shown (in prompt order), the chunk each came from,
the raw answer and the decision's signals. From those this rebuilds the prompt's sources as
`Hit`s (with each document's date, read from the source file by rag's own loader) and runs the
citation check again, so completion and constraints see what they would see inside `RAG.ask`.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from rag.answer.cite import normalize_markers  # noqa: E402
from rag.documents import load_documents  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.types import Chunk, Hit  # noqa: E402
from rag.answer.verify import verify  # noqa: E402

QUALITY = HERE.parents[1] / "eval" / "runs" / "2026-12-07-quality"
RUNS = {"1.5b": QUALITY / "1.5b", "0.5b": QUALITY / "0.5b-checked-by-1.5b"}
SETS = ("seeds", "heldout", "rgb-gold", "rgb-rejection")
SUPPORT = Settings().support_threshold


@cache
def document(source: str):
    docs, _ = load_documents([source])
    return docs[0] if docs else None


def rows(run: str, name: str) -> list[dict]:
    """The rows of one set of one run, each with `hits` (the prompt's sources) and `checked` (or None)."""
    found = [json.loads(line) for line in (RUNS[run] / name / "rows.jsonl").read_text().splitlines()]
    for row in found:
        row["set"] = name
        sources = {r["chunk_id"]: r["source"] for r in row["retrieved"]} | {c["chunk_id"]: c["source"] for c in row["citations"]}
        hits = []
        for rank, (chunk_id, text) in enumerate(zip(row["answer_chunks"], row["passages"]), 1):
            source = sources.get(chunk_id) or _source_of(chunk_id)
            doc = document(source) if source else None
            chunk = Chunk(id=chunk_id, doc_id=chunk_id.split(":")[0], source=source or "?", title=doc.title if doc else "",
                          date=doc.date if doc else None, start=0, end=len(text), text=text)
            hits.append(Hit(chunk=chunk, score=0.0, rank=rank))
        row["hits"] = hits
        row["checked"] = None
        if row["signals"] is not None and row["raw"]:
            row["checked"] = verify(normalize_markers(row["raw"], len(hits)), hits, threshold=SUPPORT,
                                    question=row["question"])
    return found


@cache
def _chunk_sources() -> dict[str, str]:
    """chunk id -> source over every recorded row, for a prompt chunk its own row did not retrieve deeply."""
    found = {}
    for run in RUNS.values():
        for rows_file in run.glob("*/rows.jsonl"):
            for line in rows_file.read_text().splitlines():
                row = json.loads(line)
                found.update({r["chunk_id"]: r["source"] for r in row["retrieved"]})
    return found


def _source_of(chunk_id: str) -> str | None:
    return _chunk_sources().get(chunk_id)


def all_rows(run: str) -> list[dict]:
    return [row for name in SETS for row in rows(run, name)]
