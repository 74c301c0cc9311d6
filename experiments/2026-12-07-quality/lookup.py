"""Prompt-lookup decoding against plain decoding, on the same questions in one process.

    .venv/bin/python experiments/2026-12-07-quality/lookup.py MODEL N

Asks the first N questions of eval/seeds.jsonl and eval/heldout.jsonl over seeds/, alternating a
pipeline whose llama.cpp drafts tokens by prompt lookup (`LlamaPromptLookupDecoding`) with a
plain one, and prints the median generation and total seconds of each and whether the answers
are the same (greedy decoding: they must be).
"""
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from llama_cpp.llama_speculative import LlamaPromptLookupDecoding  # noqa: E402

import rag.generation.llama as llama_module  # noqa: E402
from rag import RAG  # noqa: E402

model, n = sys.argv[1], int(sys.argv[2])
root = Path(__file__).resolve().parents[2]
questions = [json.loads(line)["question"] for name in ("seeds", "heldout")
             for line in (root / "eval" / f"{name}.jsonl").read_text().splitlines()[:n]]

plain_open = llama_module.open_llama


def lookup_open(**options):
    # The binding needs logits for every position to verify drafted tokens, and sizes its buffer by logits_all.
    return plain_open(logits_all=True, draft_model=LlamaPromptLookupDecoding(num_pred_tokens=int(sys.argv[3]) if len(sys.argv) > 3 else 10),
                      **options)


index_dir = Path(tempfile.mkdtemp(prefix="rag-lookup-"))
RAG(model=model, index_dir=index_dir).index([root / "seeds"])
pipelines = {}
for name, opener in (("plain", plain_open), ("lookup", lookup_open)):
    llama_module.open_llama = opener
    pipelines[name] = RAG(model=model, index_dir=index_dir)
    pipelines[name].warm_up()
llama_module.open_llama = plain_open

seen = {name: [] for name in pipelines}
for question in questions:
    for name, rag in pipelines.items():
        answer = rag.ask(question)
        seen[name].append((answer.text, answer.timings))
same = sum(a[0] == b[0] for a, b in zip(seen["plain"], seen["lookup"]))
print(f"{model}, {len(questions)} questions; same answers: {same}/{len(questions)}")
for name, rows in seen.items():
    generation = statistics.median(t.generation for _, t in rows)
    total = statistics.median(t.total for _, t in rows)
    tokens = statistics.median(t.generated_tokens for _, t in rows)
    print(f"{name:7s} generation p50 {generation:.3f} s  total p50 {total:.3f} s  generated tokens p50 {tokens}")
