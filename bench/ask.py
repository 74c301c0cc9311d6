"""Ask latency: ours (`RAG.ask`) against raw llama.cpp fed the very messages ours sent.

Ours runs first, in its own process: it indexes seeds/, loads both models, then asks the gold
questions in order and records the messages each question sent to the model. Raw llama.cpp
then runs in a fresh process with the same GGUF, threads, context, batch, seed, max tokens and
greedy decoding, through `Llama.create_chat_completion`, which renders the GGUF's own chat
template as ours does. Both see the questions in the same order with the same KV cache
behaviour (llama.cpp's prefix matching), so the difference is what ours adds: retrieval,
prompt packing and citation checks. Token counts come from llama.cpp's own counters in both.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rag.generation import Generator

from .measure import ROOT, Child, forbid_network, gold_questions, p50, p95, run_child, table, worker, write_json


def run(options: argparse.Namespace) -> str:
    with tempfile.TemporaryDirectory(prefix="rag-bench-ask-") as scratch:
        ours = run_ours(options, Path(scratch))
        raw = run_child(worker("ask", "raw", "--prompts", Path(scratch) / "prompts.json"))
    options.ours = ours
    options.records.update(ours=ours.data, raw_llama_cpp=raw.data)
    return section(ours, raw)


def run_ours(options: argparse.Namespace, scratch: Path) -> Child:
    """Ours in its own process; the messages it sent go to `scratch/prompts.json`."""
    return run_child(worker("ask", "ours", "--model", options.model, "--questions", options.questions,
                            "--index", scratch / "index", "--prompts", scratch / "prompts.json"))


def section(ours: Child, raw: Child) -> str:
    """The Markdown table comparing ours with raw llama.cpp on the questions both sent to the model."""
    asked = [q for q in ours.data["questions"] if q["messages"]]
    by_id = {q["id"]: q for q in raw.data["questions"]}
    pairs = [(q, by_id[q["id"]]) for q in asked]
    rows = []
    for name, child, records in (("ours (RAG.ask)", ours, [o for o, _ in pairs]),
                                 ("raw llama.cpp", raw, [r for _, r in pairs])):
        rows.append([name, *_figures(records), f"{child.data['load_s']:.2f}", f"{child.peak_mb:,.0f}"])
    overhead = [o["total_s"] / r["total_s"] - 1 for o, r in pairs]
    first = [o["first_token_s"] - r["first_token_s"] for o, r in pairs]
    same = sum(o["generated_tokens"] == r["generated_tokens"] for o, r in pairs)
    reused = [o["prompt_tokens"] - o["evaluated_tokens"] for o, _ in pairs]
    refused = len(ours.data["questions"]) - len(asked)
    return "\n\n".join([
        "## Ask latency: ours against raw llama.cpp on the same prompts",
        f"Model {ours.data['model']}, {ours.data['threads']} threads, context {ours.data['context_window']}, "
        f"at most {ours.data['max_tokens']} answer tokens, greedy; {len(pairs)} gold questions in one process each"
        + (f" ({refused} more refused by ours before the model, not compared)" if refused else "") + ". "
        "Times in seconds; tokens/s from llama.cpp's counters (prompt: tokens evaluated, not reused).",
        table(["system", "first token p50", "first token p95", "total p50", "total p95", "prompt tok/s",
               "generated tok/s", "prompt tokens evaluated", "generated tokens", "load s", "peak MB"], rows),
        f"Overhead of ours over raw per question: median {p50(overhead):+.1%}, p95 {p95(overhead):+.1%} "
        f"of the total; first token later by a median {p50(first):.3f} s (retrieval {p50([o['retrieval_s'] for o, _ in pairs]):.3f} s). "
        f"Same number of generated tokens on {same} of {len(pairs)} questions.",
        f"KV cache: the fixed preamble (system prompt and worked examples) is {ours.data['preamble_tokens']} tokens. "
        f"Question 1 evaluated {pairs[0][0]['evaluated_tokens']} of {pairs[0][0]['prompt_tokens']} prompt tokens; "
        f"later questions reused a median of {p50(reused[1:]) if len(reused) > 1 else float('nan'):.0f} tokens "
        f"(min {min(reused[1:], default=0)}) from the cache.",
    ])


def _figures(records: list[dict]) -> list[str]:
    first = [r["first_token_s"] for r in records if r["first_token_s"] is not None]
    total = [r["total_s"] for r in records]
    evaluated = sum(r["evaluated_tokens"] for r in records)
    generated = sum(r["generated_tokens"] for r in records)
    prompt_rate = evaluated / sum(r["prompt_eval_s"] for r in records)
    generation_rate = generated / sum(r["generation_eval_s"] for r in records)
    return [f"{p50(first):.2f}", f"{p95(first):.2f}", f"{p50(total):.2f}", f"{p95(total):.2f}",
            f"{prompt_rate:.0f}", f"{generation_rate:.1f}", f"{evaluated:,}", f"{generated:,}"]


def ours_worker(args: argparse.Namespace) -> None:
    """Index seeds/, load the models, ask the questions; record timings, answers and the messages sent."""
    from rag import RAG
    from rag.scoring import contains_answer

    rag = RAG(index_dir=args.index, model=args.model)
    rag.embedder.embed(["warm up"])
    started = time.perf_counter()
    report = rag.index([ROOT / "seeds"])
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    rag.warm_up()
    load_s = time.perf_counter() - started
    model = rag.generator
    recorder = RecordingGenerator(model)
    rag = RAG(settings=rag.settings, embedder=rag.embedder, generator=recorder)
    rag.warm_up()
    records = []
    for gold in gold_questions(args.questions):
        recorder.sent = None
        before = model.counters()
        started = time.perf_counter()
        answer = rag.ask(gold.question)
        total = time.perf_counter() - started
        used = model.counters() - before
        records.append({
            "id": gold.id, "question": gold.question, "messages": recorder.sent, "answer": answer.text,
            "abstained": answer.abstained,
            "correct": not answer.abstained and contains_answer(answer.text, gold.answers),
            "first_token_s": answer.timings.first_token, "total_s": total, "retrieval_s": answer.timings.retrieval,
            "prompt_tokens": answer.timings.prompt_tokens, **_counted(used)})
    preamble = next((r["messages"][:-1] for r in records if r["messages"]), [])
    write_json(args.out, {
        "model": rag.settings.model, "model_path": str(model.path), "threads": model.threads,
        "context_window": model.context_window, "max_tokens": rag.settings.max_answer_tokens, "seed": model.seed,
        "build_s": build_s, "chunks": report.chunks, "load_s": load_s,
        "preamble_tokens": model.count_tokens(preamble) if preamble else 0, "questions": records})
    Path(args.prompts).write_text(json.dumps({
        "model_path": str(model.path), "threads": model.threads, "context_window": model.context_window,
        "max_tokens": rag.settings.max_answer_tokens, "seed": model.seed,
        "questions": [{"id": r["id"], "messages": r["messages"]} for r in records if r["messages"]]}))


def raw_worker(args: argparse.Namespace) -> None:
    """The recorded messages, straight into llama_cpp.Llama, in the same order."""
    from llama_cpp import Llama

    from rag.generation import LLAMA_OPTIONS, read_counters

    spec = json.loads(Path(args.prompts).read_text())
    started = time.perf_counter()
    # The same construction as rag.generation.LlamaCppGenerator.
    llama = Llama(model_path=spec["model_path"], n_ctx=spec["context_window"], n_threads=spec["threads"],
                  n_threads_batch=spec["threads"], seed=spec["seed"], verbose=False, **LLAMA_OPTIONS)
    load_s = time.perf_counter() - started
    records = []
    for question in spec["questions"]:
        before = read_counters(llama)
        started = time.perf_counter()
        first, pieces = None, []
        for chunk in llama.create_chat_completion(messages=question["messages"], max_tokens=spec["max_tokens"],
                                                  temperature=0.0, seed=spec["seed"], repeat_penalty=1.0, stream=True):
            text = chunk["choices"][0]["delta"].get("content")
            if text:
                first = first or time.perf_counter()
                pieces.append(text)
        total = time.perf_counter() - started
        records.append({"id": question["id"], "answer": "".join(pieces), "total_s": total,
                        "first_token_s": None if first is None else first - started,
                        **_counted(read_counters(llama) - before)})
    write_json(args.out, {"load_s": load_s, "questions": records})


def _counted(used) -> dict:
    return {"evaluated_tokens": used.prompt_tokens, "prompt_eval_s": used.prompt_seconds,
            "generated_tokens": used.generated_tokens, "generation_eval_s": used.generation_seconds}


class RecordingGenerator(Generator):
    """Passes everything to a real generator and keeps the last messages it was asked to answer."""

    def __init__(self, generator) -> None:
        self.generator = generator
        self.name = generator.name
        self.context_window = generator.context_window
        self.sent: list[dict] | None = None
        self.path = generator.path

    def count_tokens(self, messages):
        return self.generator.count_tokens(messages)

    def stream(self, messages, *, max_tokens):
        self.sent = [dict(m) for m in messages]
        yield from self.generator.stream(messages, max_tokens=max_tokens)


def main() -> None:
    forbid_network()
    parser = argparse.ArgumentParser()
    parser.add_argument("system", choices=("ours", "raw"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--prompts", required=True)
    parser.add_argument("--model")
    parser.add_argument("--questions", type=int)
    parser.add_argument("--index")
    args = parser.parse_args()
    (ours_worker if args.system == "ours" else raw_worker)(args)


if __name__ == "__main__":
    main()
