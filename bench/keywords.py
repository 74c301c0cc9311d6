"""Keyword search in PostgreSQL: built-in full-text search against bm25s, on the gold sets' retrieval.

    python -m bench.keywords [--rgb ../shared/external/rgb]

Each set's corpus is indexed with MiniLM into a FAISS folder and into a PostgreSQL collection.
Rows: keyword search alone (bm25s on the folder; in PostgreSQL, BM25 computed in SQL over the
same words, any word of the question matching; bench/results/*-keywords-ts_rank_cd.md has the
built-in `ts_rank_cd` ranking measured the same way) and the hybrid retrieval rag uses (dense + keywords fused
by rank) on each store; hit@k over the answerable questions' evidence (rag.scoring).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from .measure import ROOT, load, table

KS = (1, 3, 5, 10)


def measure(gold: Path, corpus: Path, url: str, collection: str, folder: Path) -> dict:
    from rag import RAG, evaluate
    from rag.scoring import Span, hit_at_k

    questions = [q for q in evaluate.load_gold(gold, corpus) if q.evidence]
    rows: dict[str, list[list[Span]]] = {}
    folder_rag = RAG(index_dir=folder)
    folder_rag.index([corpus])
    pg_rag = RAG(store=url, collection=collection, embedder=folder_rag.embedder)
    pg_rag.index([corpus])
    for name, rag in (("FAISS folder", folder_rag), ("PostgreSQL", pg_rag)):
        index = rag.store
        keyword, hybrid = [], []
        for question in questions:
            keys = index.keywords.search(question.question, max(KS))
            keyword.append([_span(index.chunks[key]) for key in keys])
            hybrid.append([_span(hit.chunk) for hit in rag.retrieve(question.question, k=max(KS))])
        label = "bm25s" if name == "FAISS folder" else "BM25 in SQL"
        rows[f"{name}: keywords alone ({label})"] = keyword
        rows[f"{name}: hybrid (dense + {label})"] = hybrid
    pg_rag.backend.close()
    return {row: {f"hit@{k}": sum(hit_at_k(r, q.evidence, k) for r, q in zip(spans, questions)) / len(questions)
                  for k in KS} for row, spans in rows.items()} | {"questions": len(questions)}


def _span(chunk):
    from rag.scoring import Span

    return Span(chunk.source, chunk.start, chunk.end)


def main() -> None:
    from .store import postgres_url

    parser = argparse.ArgumentParser(prog="python -m bench.keywords", description=__doc__.splitlines()[0])
    parser.add_argument("--rgb", default=str(ROOT.parent / "shared" / "external" / "rgb"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / f"{time.strftime('%Y-%m-%d')}-keywords"))
    options = parser.parse_args()
    sets = [("seeds", ROOT / "eval" / "seeds.jsonl", ROOT / "seeds"),
            ("heldout", ROOT / "eval" / "heldout.jsonl", ROOT / "seeds")]
    rgb = Path(options.rgb)
    if (rgb / "gold.jsonl").is_file():
        sets.append(("rgb", rgb / "gold.jsonl", rgb / "corpus"))
    results = {"load": load()}
    with tempfile.TemporaryDirectory(prefix="rag-bench-keywords-") as scratch:
        url = postgres_url(Path(scratch) / "pg")
        for name, gold, corpus in sets:
            results[name] = measure(gold, corpus, url, name, Path(scratch) / name)
    lines = [f"## keywords in PostgreSQL ({results['load']})"]
    for name, _, _ in sets:
        record = results[name]
        lines += [f"\n{name} ({record['questions']} questions with evidence)\n",
                  table(["retrieval", *(f"hit@{k}" for k in KS)],
                        [[row, *(f"{values[f'hit@{k}']:.3f}" for k in KS)] for row, values in record.items()
                         if row != "questions"])]
    text = "\n".join(lines)
    print(text)
    Path(options.out).with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    Path(options.out).with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
