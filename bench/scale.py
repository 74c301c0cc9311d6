"""Index scale: build time, search latency (p50, p99), recall@10 against flat, bytes per vector.

Flat, IVF (the layout `rag.store.ann` picks, and an nprobe sweep) and HNSW at each size, on clustered
synthetic vectors (bench/synthetic.py). Queries are searched one at a time, as a user asks.
At one size (100k by default) it also times the whole retrieval step as `rag ask` runs it:
MiniLM embeds the question, then the index and BM25 over synthetic texts are searched and fused.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rag.store import ann

from .measure import ROOT, load, p50, p99, table
from .synthetic import ClusteredVectors, mean_pair_cosine, texts

K = 10
PROBES = (8, 16, 32, 64, 128)
EF_SEARCH = (16, 32, 64, 128)
HNSW_M = 32


def run(options: argparse.Namespace) -> str:
    source = ClusteredVectors()
    queries = source.sample(options.queries, seed=2)
    rows, sweep = [], []
    for count in options.scales:
        vectors = source.sample(count, seed=1)
        rows += _measure_size(vectors, queries, sweep, hnsw=count <= options.hnsw_max)
        del vectors
    notes = [f"Data: {source.dimension}-d unit vectors from {len(source.centres)} Gaussian topics in a "
             f"32-d latent space, plus noise and a shared offset (mean pair cosine "
             f"{mean_pair_cosine(source.sample(20_000, seed=3)):.2f}; MiniLM on seeds/ gives 0.37, a one-subject corpus). "
             f"{len(queries)} queries from the same topics, one at a time on one thread, k = {K}; {load()}."]
    sections = ["## Index scale", notes[0],
                table(["chunks", "index", "build s", "p50 ms", "p99 ms", "recall@10", "bytes/vector"], rows),
                "IVF probes and HNSW efSearch swept on the same index (build time as above):",
                table(["chunks", "index", "p50 ms", "p99 ms", "recall@10"], sweep)]
    if options.retrieval_at:
        sections.append(_retrieval_step(options.retrieval_at, source))
    return "\n\n".join(sections)


def _measure_size(vectors: np.ndarray, queries: np.ndarray, sweep: list, *, hnsw: bool) -> list[list]:
    import faiss

    count, dimension = vectors.shape
    rows = []
    flat, seconds = _timed(lambda: ann.build(vectors, dimension, ann.Layout()))
    truth = flat.search(queries, K)[1]
    rows.append(_row(count, "flat (exact)", seconds, flat, queries, truth))
    chosen = ann.layout_for(count)
    # √n and 2√n clusters (rounded to powers of two) bracket the usual IVF sizing.
    base = 2 ** round(np.log2(np.sqrt(count)))
    for lists in sorted({base, 2 * base, chosen.lists} - {0}):
        probes = chosen.probes if lists == chosen.lists else max(16, lists // 32)
        ivf, seconds = _timed(lambda: ann.build(vectors, dimension, ann.Layout(lists=lists, probes=probes)))
        label = f"IVF{lists} nprobe {probes}" + (" (chosen)" if lists == chosen.lists else "")
        rows.append(_row(count, label, seconds, ivf, queries, truth))
        for sweep_probes in PROBES:
            ivf.nprobe = sweep_probes
            sweep.append(_sweep_row(count, f"IVF{lists} nprobe {sweep_probes}", ivf, queries, truth))
        del ivf
    if hnsw:
        def build_hnsw():
            index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.add(vectors)
            return index
        graph, seconds = _timed(build_hnsw)
        graph.hnsw.efSearch = 64
        rows.append(_row(count, f"HNSW{HNSW_M} efSearch 64", seconds, graph, queries, truth))
        for ef in EF_SEARCH:
            graph.hnsw.efSearch = ef
            sweep.append(_sweep_row(count, f"HNSW{HNSW_M} efSearch {ef}", graph, queries, truth))
    return rows


def _row(count, label, seconds, index, queries, truth) -> list:
    import faiss

    latencies, found = _search_each(index, queries)
    size = len(faiss.serialize_index(index))
    return [f"{count:,}", label, f"{seconds:.2f}", f"{p50(latencies):.2f}", f"{p99(latencies):.2f}",
            f"{_recall(found, truth):.3f}", f"{size / count:,.0f}"]


def _sweep_row(count, label, index, queries, truth) -> list:
    latencies, found = _search_each(index, queries)
    return [f"{count:,}", label, f"{p50(latencies):.2f}", f"{p99(latencies):.2f}", f"{_recall(found, truth):.3f}"]


def _search_each(index, queries: np.ndarray) -> tuple[list[float], np.ndarray]:
    """Latencies in ms searching one query at a time, on one thread (builds use all cores)."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        index.search(queries[:1], K)
        latencies, found = [], []
        for row in range(len(queries)):
            started = time.perf_counter()
            _, ids = index.search(queries[row:row + 1], K)
            latencies.append((time.perf_counter() - started) * 1000)
            found.append(ids[0])
    finally:
        faiss.omp_set_num_threads(threads)
    return latencies, np.array(found)


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth)]))


def _timed(build):
    started = time.perf_counter()
    result = build()
    return result, time.perf_counter() - started


def _retrieval_step(count: int, source: ClusteredVectors) -> str:
    """Question embedding plus hybrid search over `count` synthetic chunks, as `RAG.retrieve` does it."""
    from rag import retrieval
    from rag.embeddings import SentenceTransformerEmbedder
    from rag.evaluate import load_gold
    from rag.store.folder import IndexSpec, VectorIndex
    from rag.types import Chunk

    embedder = SentenceTransformerEmbedder()
    questions = [q.question for q in load_gold(ROOT / "eval" / "seeds.jsonl", ROOT / "seeds")]
    words = texts(count, ROOT / "seeds")
    chunks = [Chunk(id=f"s:{i}", doc_id=f"s{i // 20}", source="synthetic.txt", title="", date=None,
                    start=0, end=len(t), text=t) for i, t in enumerate(words)]
    spec = IndexSpec(embedder=embedder.name, dimension=embedder.dimension, chunk_tokens=128, chunk_overlap=24)
    store, build_s = _timed(lambda: VectorIndex.build(spec, chunks, source.sample(count, seed=1)))
    keywords = retrieval.KeywordIndex.build(words)
    _, bm25_s = _timed(lambda: keywords.search("warm up", 1))
    embedder.embed(["warm up"])
    rows = []
    # Under load, two OpenMP/torch threads spin-waiting on two cores can be many times slower than
    # one for a single query; both settings are timed, the library defaults first.
    for threads, mode, keyword_index in ((None, "dense", None), (None, "hybrid", keywords), (1, "hybrid", keywords)):
        if threads:
            _single_thread()
        embed, total = [], []
        for question in questions:
            started = time.perf_counter()
            vector = embedder.embed([question])[0]
            embedded = time.perf_counter()
            retrieval.search(store, keyword_index, question, vector, 4)
            embed.append((embedded - started) * 1000)
            total.append((time.perf_counter() - started) * 1000)
        rows.append([f"{count:,}", mode, ann.layout_for(count).kind, threads or "default", f"{p50(embed):.1f}",
                     f"{p50(total):.1f}", f"{p99(total):.1f}"])
    return "\n\n".join([
        f"### Retrieval step at {count:,} chunks, query embedding included",
        f"MiniLM embeds each of the {len(questions)} gold questions; `rag.retrieval.search` runs with top_k 4 "
        f"as `rag ask` does. Vector index built in {build_s:.1f} s, BM25 in {bm25_s:.1f} s "
        "(synthetic 80-word texts with the word frequencies of seeds/).",
        table(["chunks", "retrieval", "vector index", "threads", "embed p50 ms", "total p50 ms", "total p99 ms"], rows)])


def _single_thread() -> None:
    import faiss
    import torch

    faiss.omp_set_num_threads(1)
    torch.set_num_threads(1)
