"""Whether the two stores hand the reader the same passages, question by question, on every gold set.

    python -m bench.parity [--rgb ../shared/external/rgb]

The reader decodes greedily, so a question whose retrieved passages (top_k chunks, in order)
are the same on both stores gets the same answer on both: the eval figures can differ only on
the questions counted as differing here. Each corpus is indexed with MiniLM into a FAISS folder
and a PostgreSQL collection (pgserver's, or BENCH_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from .measure import ROOT, load, table


def compare(gold: Path, corpus: Path, url: str, collection: str, folder: Path) -> dict:
    from rag import RAG, evaluate

    questions = evaluate.load_gold(gold, corpus)
    on_folder = RAG(index_dir=folder)
    on_folder.index([corpus])
    on_postgres = RAG(store=url, collection=collection, embedder=on_folder.embedder)
    on_postgres.index([corpus])
    same = differ = 0
    scores = []
    for question in questions:
        a = on_folder.retrieve(question.question)
        b = on_postgres.retrieve(question.question)
        if [h.chunk.id for h in a] == [h.chunk.id for h in b]:
            same += 1
        else:
            differ += 1
        scores += [abs(x.score - y.score) for x, y in zip(a, b) if x.chunk.id == y.chunk.id]
    on_postgres.backend.close()
    return {"questions": len(questions), "same": same, "differ": differ,
            "max_score_gap": max(scores, default=0.0), "top_k": on_folder.settings.top_k}


def main() -> None:
    from .store import postgres_url

    parser = argparse.ArgumentParser(prog="python -m bench.parity", description=__doc__.splitlines()[0])
    parser.add_argument("--rgb", default=str(ROOT.parent / "shared" / "external" / "rgb"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / f"{time.strftime('%Y-%m-%d')}-parity"))
    options = parser.parse_args()
    rgb = Path(options.rgb)
    sets = [("seeds", ROOT / "eval" / "seeds.jsonl", ROOT / "seeds"),
            ("heldout", ROOT / "eval" / "heldout.jsonl", ROOT / "seeds")]
    if (rgb / "gold.jsonl").is_file():
        sets += [("rgb-gold", rgb / "gold.jsonl", rgb / "corpus"),
                 ("rgb-rejection", rgb / "rejection.jsonl", rgb / "rejection-corpus")]
    results = {"load": load()}
    with tempfile.TemporaryDirectory(prefix="rag-bench-parity-") as scratch:
        url = postgres_url(Path(scratch) / "pg")
        for name, gold, corpus in sets:
            results[name] = compare(gold, corpus, url, f"parity-{name}", Path(scratch) / name)
    text = "\n".join([f"## the reader's passages on both stores ({results['load']})\n",
                      table(["set", "questions", "same passages, same order", "different", "largest score gap"],
                            [[name, r["questions"], r["same"], r["differ"], f"{r['max_score_gap']:.1e}"]
                             for name, r in results.items() if name != "load"])])
    print(text)
    Path(options.out).with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    Path(options.out).with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
