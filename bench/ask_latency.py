"""Time to first token and total time per question, in one process, over the first N gold questions.

    python bench/ask_latency.py [--model M] [-n 10] [--index DIR]

Prints a Markdown table (median and p95). The model and embedder load before the clock starts,
so the figures are per question, as in a chat session; load time is reported on its own line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rag import RAG, Answer
from rag.scoring import median, percentile

GOLD = Path(__file__).resolve().parents[1] / "eval" / "seeds.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--index")
    parser.add_argument("-n", type=int, default=10)
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in GOLD.read_text().splitlines()][: args.n]
    rag = RAG(index_dir=args.index, model=args.model)
    started = time.perf_counter()
    rag.warm_up()
    load = time.perf_counter() - started
    first, total, tokens, generation = [], [], 0, 0.0
    for question in questions:
        *_, answer = rag.stream(question)
        assert isinstance(answer, Answer)
        if answer.timings.first_token is not None:
            first.append(answer.timings.first_token)
        total.append(answer.timings.total)
        tokens += answer.timings.generated_tokens
        generation += answer.timings.generation
    print(f"model {rag.settings.model}, {len(questions)} questions, load {load:.2f} s\n")
    print("| measure | median | p95 |\n|---|---|---|")
    print(f"| time to first token (s) | {median(first):.2f} | {percentile(first, 95):.2f} |")
    print(f"| total per question (s) | {median(total):.2f} | {percentile(total, 95):.2f} |")
    print(f"\ngenerated {tokens} tokens in {generation:.1f} s of generation ({tokens / generation:.1f} tokens/s)")


if __name__ == "__main__":
    main()
