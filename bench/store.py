"""The two stores side by side at scale: FAISS folder and PostgreSQL with pgvector, in one run.

    python -m bench.store --chunks 1000000            # load, build, query, `rag serve` memory
    python -m bench.store --replicas                  # answers/s with 1 and 2 `rag serve` over one PostgreSQL
    python -m bench --only store                      # both, at --scales' largest size

Synthetic chunks (bench.synthetic: clustered 384-d unit vectors, texts with seeds/' word
frequencies). FAISS: the layout rag.store.ann picks, built in memory. PostgreSQL: COPY BINARY
into rag's own tables (each chunk's words split as `rag index` splits them, the GIN keyword index
kept up during the load, and the BM25 term counts taken after it),
then the HNSW index (m 16, ef_construction 64) built over the loaded rows, timed apart; queries
one at a time over a pooled connection at several ef_search, recall@10 against exact search.
PostgreSQL is pgserver's (BENCH_POSTGRES_URL names another server). Memory: the resident
size of a `rag serve` over each store after its first answer. On two shared cores the replica
figures show that two servers share one store correctly, more than any speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from .measure import ROOT, free_port, load, p50, p95, start_server, stop_server, table
from .synthetic import ClusteredVectors, texts

K = 10
QUERIES = 200
EF_SEARCH = (40, 64, 100, 200)
CHUNKS_PER_DOCUMENT = 1000
READER = "smollm2-135m"


def postgres_url(folder: Path) -> str:
    """BENCH_POSTGRES_URL, else a pgserver over `folder` (left running for the serve step)."""
    if os.environ.get("BENCH_POSTGRES_URL"):
        return os.environ["BENCH_POSTGRES_URL"]
    import pgserver

    return pgserver.get_server(folder, cleanup_mode="stop").get_uri().replace("postgres:@", "postgres@")


def spec():
    from rag.embeddings import embedder_folder
    from rag.settings import Settings
    from rag.store import IndexSpec

    settings = Settings()
    return IndexSpec(embedder=embedder_folder(settings.embedder)[1], dimension=384, chunk_tokens=settings.chunk_tokens,
                     chunk_overlap=settings.chunk_overlap)


def synthetic_chunks(count: int, *, words: int = 30, batch: int = 100_000):
    """Chunk records for `count` synthetic texts, `CHUNKS_PER_DOCUMENT` to a document, in batches."""
    from rag.types import Chunk

    for begin in range(0, count, batch):
        drawn = texts(min(batch, count - begin), ROOT / "seeds", words=words, seed=begin)
        for offset, text in enumerate(drawn):
            row = begin + offset
            doc = row // CHUNKS_PER_DOCUMENT
            start = (row % CHUNKS_PER_DOCUMENT) * 1000
            yield Chunk(id=f"doc{doc:07d}:{start}", doc_id=f"doc{doc:07d}", source=f"/synthetic/doc-{doc:07d}.txt",
                        title=f"Synthetic document {doc}", date=None, start=start, end=start + len(text), text=text)


def measure_faiss(vectors, queries, truth, chunks, folder: Path) -> dict:
    import faiss

    from rag.store import ann
    from rag.store.folder import VectorIndex

    started = time.perf_counter()
    index = ann.build(vectors, vectors.shape[1])
    build = time.perf_counter() - started
    faiss.omp_set_num_threads(1)
    latencies, found = [], []
    for query in queries:
        began = time.perf_counter()
        _, ids = index.search(query.reshape(1, -1), K)
        latencies.append((time.perf_counter() - began) * 1000)
        found.append(ids[0])
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    started = time.perf_counter()
    VectorIndex(spec(), chunks, index, vectors).save(folder)
    saved = time.perf_counter() - started
    return {"kind": ann.layout_for(len(vectors)).kind, "build_s": build, "save_s": saved,
            "p50_ms": p50(latencies), "p95_ms": p95(latencies), "recall": _recall(found, truth)}


def measure_postgres(url: str, collection: str, vectors, queries, truth, chunks) -> dict:
    from psycopg.types.json import Jsonb

    from rag.store import pg_search, postgres
    from rag.store.keywords import words
    from rag.store.pg_schema import create_hnsw
    from rag.store.pg_search import PostgresIndex
    from rag.store.postgres import PostgresStore, count_all_terms

    store = PostgresStore(url, collection)
    with store.connection() as conn:
        collection_id = store._collection(conn, spec(), rebuild=True)
        conn.execute(f"DROP INDEX rag_chunks_hnsw_{collection_id}")
        started = time.perf_counter()
        with conn.transaction():
            documents = {}
            for doc in sorted({c.doc_id for c in chunks}):
                documents[doc] = conn.execute(
                    "INSERT INTO rag_documents (collection, source, doc_id, title, pages, sections, chunks) "
                    "VALUES (%s, %s, %s, %s, '[]', '[]', 0) RETURNING id",
                    (collection_id, f"/synthetic/{doc}.txt", doc, doc)).fetchone()[0]
            with conn.cursor().copy(postgres.COPY_CHUNKS) as copy:
                copy.set_types(postgres.COPY_TYPES)
                for begin in range(0, len(chunks), 10_000):
                    batch = chunks[begin:begin + 10_000]
                    for chunk, vector, chunk_words in zip(batch, vectors[begin:], words([c.text for c in batch])):
                        copy.write_row((collection_id, documents[chunk.doc_id], chunk.id, chunk.start, chunk.end,
                                        chunk.text, Jsonb([]), Jsonb([]), chunk_words, vector))
            conn.execute("UPDATE rag_documents d SET chunks = (SELECT count(*) FROM rag_chunks c "
                         "WHERE c.document = d.id) WHERE collection = %s", (collection_id,))
            count_all_terms(conn, collection_id)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '4GB'")
        conn.execute("SET max_parallel_maintenance_workers = 1")
        create_hnsw(conn, collection_id, vectors.shape[1])
        built = time.perf_counter() - started
        size = conn.execute("SELECT pg_relation_size(%s)", (f"rag_chunks_hnsw_{collection_id}",)).fetchone()[0]
    index = PostgresIndex(store, collection_id, spec())
    rows_to_position = _positions(store, collection_id)
    sweep = []
    for ef in EF_SEARCH:
        pg_search.EF_SEARCH = ef
        index.search(queries[0], K)
        latencies, found = [], []
        for query in queries:
            began = time.perf_counter()
            hits = index.search(query, K)
            latencies.append((time.perf_counter() - began) * 1000)
            found.append([rows_to_position[key] for key, _ in hits])
        sweep.append({"ef_search": ef, "p50_ms": p50(latencies), "p95_ms": p95(latencies),
                      "recall": _recall(found, truth)})
    store.close()
    return {"load_s": loaded, "hnsw_s": built, "hnsw_mb": size / 1e6, "sweep": sweep}


def _positions(store, collection_id: int) -> dict[int, int]:
    """Row id -> position in the generated order (chunk ids carry it)."""
    with store.connection() as conn:
        rows = conn.execute("SELECT id, chunk_id FROM rag_chunks WHERE collection = %s", (collection_id,)).fetchall()
    out = {}
    for key, chunk_id in rows:
        doc, start = chunk_id[3:].split(":")
        out[key] = int(doc) * CHUNKS_PER_DOCUMENT + int(start) // 1000
    return out


def _recall(found, truth) -> float:
    return float(np.mean([len(set(map(int, f)) & set(map(int, t))) / K for f, t in zip(found, truth)]))


def serve_memory(argv: list[str], scratch: Path) -> dict:
    """Resident memory of a `rag serve` after its first answer (the index, the embedder and the reader loaded)."""
    import httpx

    from .serve import rss_kb

    port = free_port()
    env = {"RAG_MODEL": READER, "RAG_CACHE_DIR": str(scratch / "cache"), "RAG_MAX_ANSWER_TOKENS": "32"}
    process = start_server([sys.executable, "-m", "rag", "serve", "--port", str(port), *argv], env,
                           f"http://127.0.0.1:{port}/health", scratch / f"serve-{port}.log")
    try:
        started = time.perf_counter()
        reply = httpx.post(f"http://127.0.0.1:{port}/v1/ask", json={"question": "What did the minister say?"},
                           timeout=600)
        reply.raise_for_status()
        return {"rss_mb": rss_kb(process.pid) / 1024, "first_answer_s": time.perf_counter() - started}
    finally:
        stop_server(process)


def scale(count: int, url: str, scratch: Path) -> dict:
    import faiss

    source = ClusteredVectors(384, seed=0)
    vectors = source.sample(count, seed=1)
    queries = source.sample(QUERIES, seed=2)
    exact = faiss.IndexFlatIP(384)
    exact.add(vectors)
    _, truth = exact.search(queries, K)
    del exact
    chunks = list(synthetic_chunks(count))
    record = {"chunks": count, "load": load()}
    print(f"{count} chunks generated; FAISS...", file=sys.stderr, flush=True)
    record["faiss"] = measure_faiss(vectors, queries, truth, chunks, scratch / "folder")
    print(f"FAISS {record['faiss']}; PostgreSQL...", file=sys.stderr, flush=True)
    collection = f"bench-{count}"
    record["postgres"] = measure_postgres(url, collection, vectors, queries, truth, chunks)
    print(f"PostgreSQL {record['postgres']}; serve memory...", file=sys.stderr, flush=True)
    del vectors, chunks
    record["serve_faiss"] = serve_memory(["--index", str(scratch / "folder")], scratch)
    record["serve_postgres"] = serve_memory(["--store", url, "--collection", collection], scratch)
    return record


def replicas(url: str, scratch: Path, questions: int = 12) -> dict:
    """Answers/s from 1 and 2 `rag serve` (SmolLM2) over one PostgreSQL, two clients per server."""
    import httpx

    from .measure import gold_questions
    from rag import RAG

    rag = RAG(store=url, collection="bench-replicas")
    rag.index([ROOT / "seeds"])
    rag.backend.close()
    asked = [q.question for q in gold_questions(questions)]
    env = {"RAG_MODEL": READER, "RAG_CACHE_DIR": str(scratch / "cache"), "RAG_MAX_ANSWER_TOKENS": "64",
           "RAG_STORE": url, "RAG_COLLECTION": "bench-replicas", "RAG_THREADS": "1"}
    out = {}
    for count in (1, 2):
        ports = [free_port() for _ in range(count)]
        servers = [start_server([sys.executable, "-m", "rag", "serve", "--port", str(port)], env,
                                f"http://127.0.0.1:{port}/health", scratch / f"replica-{port}.log") for port in ports]
        try:
            answered = []
            lock = threading.Lock()

            def client(number: int) -> None:
                port = ports[number % count]
                with httpx.Client(timeout=600) as http:
                    for question in asked[number::count * 2]:
                        reply = http.post(f"http://127.0.0.1:{port}/v1/ask", json={"question": question})
                        with lock:
                            answered.append(reply.status_code)

            started = time.perf_counter()
            threads = [threading.Thread(target=client, args=(n,)) for n in range(count * 2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            out[str(count)] = {"questions": len(answered), "ok": answered.count(200), "seconds": wall,
                               "answers_per_s": answered.count(200) / wall}
        finally:
            for server in servers:
                stop_server(server)
    return out


def section(record: dict) -> str:
    lines = [f"## store ({record.get('load', load())})"]
    if "faiss" in record:
        f, p = record["faiss"], record["postgres"]
        lines += [f"\n{record['chunks']:,} synthetic chunks, {QUERIES} queries one at a time, recall@{K} "
                  "against exact search.\n",
                  table(["store", "load / build", "index build", "query p50 ms", "query p95 ms", "recall@10"],
                        [[f"FAISS ({f['kind']})", f"folder written in {f['save_s']:.0f} s", f"{f['build_s']:.0f} s",
                          f"{f['p50_ms']:.2f}", f"{f['p95_ms']:.2f}", f"{f['recall']:.3f}"]]
                        + [[f"PostgreSQL HNSW, ef_search {s['ef_search']}", f"COPY {p['load_s']:.0f} s",
                            f"{p['hnsw_s']:.0f} s ({p['hnsw_mb']:.0f} MB)", f"{s['p50_ms']:.2f}",
                            f"{s['p95_ms']:.2f}", f"{s['recall']:.3f}"] for s in p["sweep"]]),
                  "\n" + table(["`rag serve` over", "resident memory after the first answer", "first answer"],
                               [["FAISS folder", f"{record['serve_faiss']['rss_mb']:,.0f} MB",
                                 f"{record['serve_faiss']['first_answer_s']:.1f} s"],
                                ["PostgreSQL", f"{record['serve_postgres']['rss_mb']:,.0f} MB",
                                 f"{record['serve_postgres']['first_answer_s']:.1f} s"]])]
    if "replicas" in record:
        lines += ["\n" + table(["`rag serve` replicas over one PostgreSQL (SmolLM2)", "answered", "seconds",
                                "answers/s"],
                               [[n, f"{r['ok']}/{r['questions']}", f"{r['seconds']:.0f}", f"{r['answers_per_s']:.3f}"]
                                for n, r in record["replicas"].items()]),
                  "\nTwo cores serve both replicas: the figure shows two servers answering from one store, "
                  "not a speed-up."]
    return "\n".join(lines)


def run(options: argparse.Namespace) -> str:
    """`python -m bench --only store`: the largest of --scales, then the replicas."""
    with tempfile.TemporaryDirectory(prefix="rag-bench-store-") as scratch:
        url = postgres_url(Path(scratch) / "pg")
        record = scale(max(options.scales), url, Path(scratch))
        record["replicas"] = replicas(url, Path(scratch))
    options.records["store"] = record
    return section(record)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, help="synthetic chunks to load into both stores")
    parser.add_argument("--replicas", action="store_true", help="answers/s with 1 and 2 `rag serve` over PostgreSQL")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / f"{time.strftime('%Y-%m-%d')}-store"),
                        help="results file stem (.md and .json)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rag-bench-store-") as scratch:
        url = postgres_url(Path(scratch) / "pg")
        record = scale(options.chunks, url, Path(scratch)) if options.chunks else {"load": load()}
        if options.replicas:
            record["replicas"] = replicas(url, Path(scratch))
    text = section(record)
    print(text)
    Path(options.out).with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    Path(options.out).with_suffix(".json").write_text(json.dumps(record, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
