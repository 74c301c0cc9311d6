"""The peer: LlamaIndex set up as its docs recommend, on the same models, corpus, chunking and questions.

LlamaIndex's documented local setup: `Settings.embed_model = HuggingFaceEmbedding(...)`,
`Settings.llm = LlamaCPP(model_path=..., messages_to_prompt=..., completion_to_prompt=...)` with
prompts rendered by the model's own chat template, a `FaissVectorStore` over `faiss.IndexFlatL2`,
`VectorStoreIndex.from_documents` and `index.as_query_engine(similarity_top_k=..., streaming=True)`.
Same as ours: the bundled MiniLM folder, the GGUF `rag.models.resolve_model` gives, llama.cpp
threads/context/seed, batch and flash attention (`rag.generation.LLAMA_OPTIONS`), greedy decoding,
256 answer tokens, top-k 4, and chunks of 128 with 24 overlap counted in MiniLM word pieces
(LlamaIndex counts chunk sizes with its global tokenizer, tiktoken's by default; it is set to
MiniLM's, as ours counts). Offline: HF_HUB_OFFLINE
and TRANSFORMERS_OFFLINE are set, nltk's data comes from the copy llama-index-core ships in
`llama_index/core/_static/nltk_cache`, tiktoken is never asked for a file because the global
tokenizer is replaced, and the worker fails on any attempt to open a connection.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from .measure import ROOT, forbid_network, gold_questions, p50, p95, run_child, table, worker, write_json

TOP_K = 4
CHUNK_TOKENS, CHUNK_OVERLAP = 128, 24


def run(options: argparse.Namespace) -> str:
    ours = getattr(options, "ours", None)
    if ours is None:
        from .ask import run_ours

        with tempfile.TemporaryDirectory(prefix="rag-bench-peer-") as scratch:
            ours = run_ours(options, Path(scratch))
    peer = run_child(worker("peer", "--model", options.model, "--questions", options.questions,
                            "--threads", ours.data["threads"]))
    options.records.update(ours=ours.data, llamaindex=peer.data)
    rows = []
    for name, child in (("ours (rag)", ours), ("LlamaIndex", peer)):
        records = child.data["questions"]
        total = [r["total_s"] for r in records]
        first = [r["first_token_s"] for r in records if r["first_token_s"] is not None]
        correct = sum(r["correct"] for r in records)
        rows.append([name, f"{child.data['build_s']:.2f}", child.data["chunks"], f"{child.data['load_s']:.2f}",
                     f"{p50(first):.2f}", f"{p50(total):.2f}", f"{p95(total):.2f}",
                     f"{p50([r['evaluated_tokens'] for r in records]):.0f}",
                     f"{p50([r['generated_tokens'] for r in records]):.0f}", f"{child.peak_mb:,.0f}",
                     f"{correct}/{len(records)} ({correct / len(records):.0%})"])
    ratio = p50([r["total_s"] for r in ours.data["questions"]]) / p50([r["total_s"] for r in peer.data["questions"]])
    return "\n\n".join([
        "## Ours against LlamaIndex",
        f"Same MiniLM folder, GGUF, corpus (seeds/), chunking ({CHUNK_TOKENS}/{CHUNK_OVERLAP} MiniLM word pieces), "
        f"top-k {TOP_K}, threads, greedy decoding and {len(peer.data['questions'])} gold questions; each system in "
        "its own process (peak MB is that process's maximum resident set). Build: read, chunk and embed seeds/, "
        "models already loaded. Accuracy: the answer contains a gold answer and is not a refusal "
        "(`rag.scoring.contains_answer`, as `rag eval` scores). Times in seconds; tokens per question from "
        "llama.cpp's counters (prompt: evaluated, not reused from the KV cache).",
        table(["system", "build s", "chunks", "load s", "first token p50", "total p50", "total p95",
               "prompt tokens p50", "generated tokens p50", "peak MB", "accuracy"], rows),
        f"Time per question, ours / LlamaIndex: {ratio:.2f}x (median).",
    ])


def peer_worker(args: argparse.Namespace) -> None:
    import faiss
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex, set_global_tokenizer
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.llms.llama_cpp import LlamaCPP
    from llama_index.vector_stores.faiss import FaissVectorStore
    from tokenizers import Tokenizer

    from rag import Settings as RagSettings
    from rag.embeddings import bundled_embedder_dir
    from rag.generation import LLAMA_OPTIONS, read_counters
    from rag.models import resolve_model
    from rag.evaluate import load_gold
    from rag.scoring import contains_answer

    from .naive import REFUSED

    settings = RagSettings.load(model=args.model)
    gguf = resolve_model(settings.model, cache_dir=settings.cache_dir, models_dir=settings.models_dir)
    minilm = bundled_embedder_dir()
    word_pieces = Tokenizer.from_file(str(minilm / "tokenizer.json"))
    word_pieces.no_truncation()
    word_pieces.no_padding()
    set_global_tokenizer(lambda text: word_pieces.encode(text, add_special_tokens=False).ids)
    chat = _chat_template(Llama, Jinja2ChatFormatter, gguf)

    started = time.perf_counter()
    Settings.embed_model = HuggingFaceEmbedding(model_name=str(minilm), device="cpu")
    Settings.llm = LlamaCPP(
        model_path=str(gguf), temperature=0.0, max_new_tokens=settings.max_answer_tokens,
        context_window=settings.context_window,
        generate_kwargs={"seed": settings.seed, "repeat_penalty": 1.0},
        # llama.cpp built as ours is, so the comparison measures the pipelines, not llama.cpp's flags.
        model_kwargs={"n_threads": args.threads, "n_threads_batch": args.threads, "seed": settings.seed,
                      **LLAMA_OPTIONS},
        messages_to_prompt=lambda messages: chat([{"role": m.role.value, "content": m.content} for m in messages]),
        completion_to_prompt=lambda completion: chat([{"role": "user", "content": completion}]),
        verbose=False)
    # Chunk sizes count body text only, as ours do; by default LlamaIndex also counts the file path
    # it prepends to each chunk, which would leave less text per chunk than ours.
    Settings.node_parser = SentenceSplitter(chunk_size=CHUNK_TOKENS, chunk_overlap=CHUNK_OVERLAP,
                                            include_metadata=False)
    Settings.embed_model.get_text_embedding("warm up")
    load_s = time.perf_counter() - started

    started = time.perf_counter()
    corpus = Path(args.corpus) if args.corpus else ROOT / "seeds"
    documents = SimpleDirectoryReader(str(corpus), required_exts=[".txt", ".md"], recursive=True).load_data()
    storage = StorageContext.from_defaults(vector_store=FaissVectorStore(faiss_index=faiss.IndexFlatL2(384)))
    index = VectorStoreIndex.from_documents(documents, storage_context=storage)
    build_s = time.perf_counter() - started
    engine = index.as_query_engine(similarity_top_k=TOP_K, streaming=True)

    records = []
    asked = load_gold(Path(args.gold), corpus)[:args.questions] if args.gold else gold_questions(args.questions)
    for gold in asked:
        before = read_counters(Settings.llm._model)
        started = time.perf_counter()
        response = engine.query(gold.question)
        first, pieces = None, []
        for text in response.response_gen:
            if text:
                first = first or time.perf_counter()
                pieces.append(text)
        total = time.perf_counter() - started
        answer = "".join(pieces)
        used = read_counters(Settings.llm._model) - before
        records.append({"id": gold.id, "answer": answer, "answerable": gold.answerable,
                        "correct": gold.answerable and contains_answer(answer, gold.answers),
                        "refused": bool(REFUSED.search(answer)),
                        "total_s": total, "first_token_s": None if first is None else first - started,
                        "evaluated_tokens": used.prompt_tokens, "generated_tokens": used.generated_tokens})
    write_json(args.out, {"load_s": load_s, "build_s": build_s, "chunks": len(index.docstore.docs),
                          "questions": records})


def _chat_template(llama_class, formatter_class, gguf):
    """Messages to prompt text with the GGUF's own chat template, read without loading the weights."""
    vocab = llama_class(model_path=str(gguf), vocab_only=True, verbose=False)
    meta = vocab.metadata

    def token(kind: str) -> str:
        token_id = meta.get(f"tokenizer.ggml.{kind}_token_id")
        return "" if token_id is None else vocab.detokenize([int(token_id)], special=True).decode("utf-8", "replace")

    formatter = formatter_class(template=meta["tokenizer.chat_template"], eos_token=token("eos"),
                                bos_token=token("bos"), add_generation_prompt=True)
    return lambda messages: formatter(messages=messages).prompt


def main() -> None:
    forbid_network()
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--questions", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--gold", help="a gold set other than the seeds' answerable questions")
    parser.add_argument("--corpus", help="the folder the gold set's sources are in")
    peer_worker(parser.parse_args())


if __name__ == "__main__":
    main()
