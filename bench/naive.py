"""The naive peer: the 40-line RAG pipeline anyone writes first, on the same models and gold sets as ours.

MiniLM embeddings of LangChain's recursive chunks (128/24 MiniLM word pieces, as ours), a flat
FAISS index, the top 4 chunks pasted whole into a one-line prompt, greedy decoding with the
GGUF's own chat template, no checks. `naive_answers` is the whole pipeline; the rest runs it
over every gold set in its own process and scores it as `rag eval` scores ours.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from .measure import forbid_network, write_json

TOP_K = 4
PROMPT = ("Answer the question using only the context below. If the context does not contain the answer, "
          "say: I cannot find the answer in the provided documents.\n\nContext:\n{context}\n\nQuestion: {question}")
# The naive prompt asks for the refusal phrase; small models paraphrase it.
REFUSED = re.compile(r"cannot find the answer|(cannot|can't|unable to) (find|answer|determine)|does not (contain|mention|"
                     r"provide|say|specify|state)|(is|are) not (mentioned|provided|specified|stated|given)|no information",
                     re.I)


def naive_answers(corpus: Path, questions: list[str], model_path: str, *, threads: int) -> list[dict]:
    """Answer each question from the top 4 chunks of `corpus`; one record (answer, seconds) per question."""
    import faiss
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from llama_cpp import Llama
    from sentence_transformers import SentenceTransformer

    from rag.embeddings import bundled_embedder_dir
    from rag.generation import LLAMA_OPTIONS

    embedder = SentenceTransformer(str(bundled_embedder_dir()), device="cpu")
    pieces = embedder.tokenizer
    splitter = RecursiveCharacterTextSplitter(chunk_size=128, chunk_overlap=24,
                                              length_function=lambda t: len(pieces.tokenize(t)))
    chunks = [c for f in sorted(corpus.rglob("*")) if f.suffix in (".txt", ".md")
              for c in splitter.split_text(f.read_text(encoding="utf-8"))]
    vectors = embedder.encode(chunks, normalize_embeddings=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    llm = Llama(model_path=model_path, n_ctx=4096, n_threads=threads, n_threads_batch=threads, seed=0,
                verbose=False, **LLAMA_OPTIONS)
    records = []
    for question in questions:
        started = time.perf_counter()
        _, ids = index.search(embedder.encode([question], normalize_embeddings=True), TOP_K)
        context = "\n\n".join(chunks[i] for i in ids[0] if i >= 0)
        reply = llm.create_chat_completion(
            messages=[{"role": "user", "content": PROMPT.format(context=context, question=question)}],
            max_tokens=256, temperature=0.0, seed=0, repeat_penalty=1.0)
        records.append({"answer": reply["choices"][0]["message"]["content"].strip(),
                        "total_s": time.perf_counter() - started})
    return records


def naive_worker(args: argparse.Namespace) -> None:
    """One gold set through the naive pipeline, scored; JSON to `args.out`."""
    import os

    from rag import Settings
    from rag.evaluate import load_gold
    from rag.models import resolve_model
    from rag.scoring import contains_answer

    settings = Settings.load(model=args.model)
    gguf = resolve_model(settings.model, cache_dir=settings.cache_dir, models_dir=settings.models_dir)
    gold = load_gold(Path(args.gold), Path(args.corpus))
    records = naive_answers(Path(args.corpus), [q.question for q in gold], str(gguf),
                            threads=args.threads or os.cpu_count() or 1)
    for question, record in zip(gold, records):
        record.update(id=question.id, answerable=question.answerable, refused=bool(REFUSED.search(record["answer"])),
                      correct=question.answerable and contains_answer(record["answer"], question.answers))
    write_json(args.out, {"model": settings.model, "gold": args.gold, "questions": records})


def main() -> None:
    forbid_network()
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--gold", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--threads", type=int, default=0)
    naive_worker(parser.parse_args())


if __name__ == "__main__":
    main()
