"""Sample answers from the 1.5B reader's own prompt for each recorded answer that passed the outright checks.

    nice -n 10 .venv/bin/python experiments/2026-12-07-issue25b/sample_answers.py [--samples 5] [--temperature 0.7]

For every candidate answer of the recorded 1.5B run (eval/runs/2026-12-07-quality/1.5b; the four
sets interleaved so a partial run covers each), the prompt is rebuilt from the passages the reader
was shown (experiments/2026-12-07-issue25/recorded.py) and N answers are sampled at the given
temperature. The prompt's tokens are evaluated once: each sample reuses them from llama.cpp's KV
cache, as a pipeline step would after the greedy answer. One JSON row per answer is appended to
eval/runs/2026-12-07-issue25b/sampled-1.5b.jsonl as it is done (so an interrupted run keeps what
it reached); answers already there are skipped.
"""
import argparse
import json
import sys
import time
from itertools import zip_longest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "2026-12-07-issue25"))
sys.path.insert(0, str(HERE.parents[1]))

from recorded import SETS, rows  # noqa: E402

from rag.answer.prompt import _messages, preamble  # noqa: E402
from rag.generation import open_reader  # noqa: E402
from rag.settings import Settings  # noqa: E402

OUT = HERE.parents[1] / "eval" / "runs" / "2026-12-07-issue25b" / "sampled-1.5b.jsonl"


def candidates() -> list[dict]:
    """The 1.5B's answers past the outright checks (as in issue 25's signals.py), the sets interleaved."""
    per_set = []
    for name in SETS:
        found = [r for r in rows("1.5b", name)
                 if r["signals"] and r["signals"]["cited"] and not r["signals"]["declined"] and not r["signals"]["restates"]]
        per_set.append(found)
    return [r for group in zip_longest(*per_set) for r in group if r is not None]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--temperature", type=float, default=0.7)
    options = parser.parse_args()
    settings = Settings()
    reader = open_reader("qwen2.5-coder-1.5b", settings, prefix=preamble())
    reader.load()
    done = set()
    if OUT.exists():
        done = {(r["set"], r["id"]) for r in map(json.loads, OUT.read_text().splitlines())}
    todo = [r for r in candidates() if (r["set"], r["id"]) not in done]
    print(f"{len(todo)} answers to sample ({len(done)} already done)", flush=True)
    reader.temperature = options.temperature
    for row in todo:
        messages = _messages(row["question"], row["hits"], [])
        samples, seconds = [], []
        for seed in range(1, options.samples + 1):
            reader.seed = seed
            started = time.perf_counter()
            samples.append("".join(reader.stream(messages, max_tokens=settings.max_answer_tokens)).strip())
            seconds.append(time.perf_counter() - started)
        record = {"set": row["set"], "id": row["id"], "raw": row["raw"], "samples": samples, "seconds": seconds,
                  "prompt_tokens": reader.count_tokens(messages)}
        with OUT.open("a") as out:
            out.write(json.dumps(record) + "\n")
        print(f"{row['set']} {row['id']}: {sum(seconds):.1f} s  {row['raw']!r} | {samples}", flush=True)


if __name__ == "__main__":
    main()
