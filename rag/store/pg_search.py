"""Searching a PostgreSQL collection: HNSW for the vectors, BM25 in SQL over bm25s's words, chunks by row id."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from ..types import Chunk
from .folder import IndexSpec
from .keywords import words

if TYPE_CHECKING:
    import numpy as np

# BM25's parameters as bm25s uses them (Lucene's variant): term saturation and length normalisation.
BM25_K1 = 1.5
BM25_B = 0.75
# HNSW's candidate list per query: recall@10 at 1M clustered vectors is .940 with 40, .981 with 100
# (3.4 ms p50) and .997 with 200 (bench/results/2026-12-07-store-1m.md).
EF_SEARCH = 100
_COLUMNS = "c.id, c.chunk_id, d.doc_id, d.source, d.title, d.date, c.start, c.\"end\", c.text, c.pages, c.sections"


class Connections(Protocol):
    """What a search needs of its store (rag.store.postgres.PostgresStore): a pooled connection."""

    def connection(self) -> AbstractContextManager[Any]: ...


class PostgresIndex:
    """A collection open for search: the same surface as the FAISS `VectorIndex`, keyed by chunk row id."""

    def __init__(self, store: Connections, collection: int, spec: IndexSpec) -> None:
        self.store = store
        self.spec = spec
        self._collection = collection
        self.chunks = _Chunks(self)
        self.keywords = _Keywords(self)

    @property
    def documents(self) -> int:
        with self.store.connection() as conn:
            return conn.execute("SELECT count(*) FROM rag_documents WHERE collection = %s",
                                (self._collection,)).fetchone()[0]

    def search(self, query: "np.ndarray", k: int) -> list[tuple[int, float]]:
        """Row ids of the `k` nearest chunks with their cosine, best first (HNSW, approximate)."""
        from psycopg import sql

        dim, col = sql.Literal(self.spec.dimension), sql.Literal(self._collection)
        # Literals, not parameters: the planner must see the collection to pick its partial index.
        statement = sql.SQL("SELECT id, 1 - (embedding::vector({dim}) <=> %(q)s::vector({dim})) FROM rag_chunks "
                            "WHERE collection = {col} ORDER BY embedding::vector({dim}) <=> %(q)s::vector({dim}) "
                            "LIMIT %(k)s").format(dim=dim, col=col)
        with self.store.connection() as conn, conn.transaction():
            conn.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(max(EF_SEARCH, k))))
            return [(int(i), float(s)) for i, s in conn.execute(statement, {"q": _vector(query), "k": k})]

    def similarity(self, query: "np.ndarray", key: int) -> float:
        with self.store.connection() as conn:
            row = conn.execute("SELECT 1 - (embedding <=> %s) FROM rag_chunks WHERE id = %s",
                               (_vector(query), key)).fetchone()
        return float(row[0]) if row else 0.0

    def list_documents(self) -> list[dict]:
        with self.store.connection() as conn:
            rows = conn.execute("SELECT doc_id, source, title, date, chunks FROM rag_documents WHERE collection = %s "
                                "ORDER BY source", (self._collection,)).fetchall()
        return [{"doc_id": d, "source": s, "title": t, "date": date.isoformat() if date else None, "chunks": n}
                for d, s, t, date, n in rows]


class _Chunks(Sequence):
    """The collection's chunks: `[row id]` reads one; iteration streams all of them in document order."""

    def __init__(self, index: PostgresIndex) -> None:
        self._index = index

    def __len__(self) -> int:
        with self._index.store.connection() as conn:
            return conn.execute("SELECT count(*) FROM rag_chunks WHERE collection = %s",
                                (self._index._collection,)).fetchone()[0]

    def __getitem__(self, key: int) -> Chunk:
        with self._index.store.connection() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM rag_chunks c JOIN rag_documents d ON d.id = c.document "
                               "WHERE c.id = %s AND c.collection = %s", (key, self._index._collection)).fetchone()
        if row is None:
            raise KeyError(key)
        return _chunk(row)

    def __iter__(self) -> Iterator[Chunk]:
        with self._index.store.connection() as conn:
            for row in conn.cursor().stream(f"SELECT {_COLUMNS} FROM rag_chunks c JOIN rag_documents d "
                                            "ON d.id = c.document WHERE c.collection = %s ORDER BY d.source, c.id",
                                            (self._index._collection,)):
                yield _chunk(row)


class _Keywords:
    """BM25 in PostgreSQL over each chunk's words: candidates from their GIN index, scored as bm25s scores them."""

    def __init__(self, index: PostgresIndex) -> None:
        self._index = index

    def search(self, query: str, k: int) -> list[int]:
        """Row ids of the best `k` chunks that share a word with `query`, best first."""
        terms = words([query])[0]
        if not terms or k < 1:
            return []
        # A question's words rarely all appear in one chunk: any of them matches, as in BM25.
        with self._index.store.connection() as conn:
            rows = conn.execute(_BM25, {"terms": terms, "col": self._index._collection, "k": k, "k1": BM25_K1,
                                        "b": BM25_B, "common": COMMON_TERM, "common_min": COMMON_MIN}).fetchall()
        return [int(r[0]) for r in rows]


# bm25s's scoring ("lucene"): idf = ln(1 + (n - df + 0.5) / (df + 0.5)); tf saturates with k1, a
# chunk's length (its words) is normalised by b against the collection's mean; a word the question
# repeats counts each time. Every chunk holding a query word is scored, so words in more than
# `COMMON_TERM` of a big collection (at least `COMMON_MIN` chunks) pick no candidates: they weigh
# least, and at 200k synthetic chunks "minister" alone made a query score most of the table for
# 18 s (bench/store.py). Equal scores rank by row id, the order the chunks were written in.
_BM25 = """
WITH query AS (SELECT term, count(*) AS times FROM unnest(%(terms)s::text[]) term GROUP BY term),
     stats AS (SELECT greatest(chunks, 1)::float8 AS n, words::float8 / nullif(chunks, 0) AS avgdl
               FROM rag_collections WHERE id = %(col)s),
     idf AS (SELECT t.term, t.df, q.times, ln(1 + (stats.n - t.df + 0.5) / (t.df + 0.5)) AS w
             FROM rag_terms t JOIN query q ON q.term = t.term, stats WHERE t.collection = %(col)s AND t.df > 0),
     picked AS (SELECT array_agg(idf.term) AS terms FROM idf, stats
                WHERE idf.df <= greatest(%(common_min)s, %(common)s * stats.n))
SELECT c.id FROM rag_chunks c, picked, stats,
     LATERAL (SELECT sum(idf.w * idf.times * d.tf * (%(k1)s + 1)
                         / (d.tf + %(k1)s * (1 - %(b)s + %(b)s * cardinality(c.words) / stats.avgdl))) AS score
              FROM (SELECT u.word, count(*) AS tf FROM unnest(c.words) u(word) GROUP BY u.word) d
              JOIN idf ON idf.term = d.word) s
WHERE c.collection = %(col)s AND c.words && picked.terms AND s.score > 0
ORDER BY s.score DESC, c.id LIMIT %(k)s
"""
COMMON_TERM = 0.05
COMMON_MIN = 10_000


def _vector(query: "np.ndarray"):
    import numpy as np
    from pgvector import Vector

    return Vector(np.asarray(query, dtype=np.float32).ravel())


def _chunk(row) -> Chunk:
    key, chunk_id, doc_id, source, title, date, start, end, text, pages, sections = row
    return Chunk(id=chunk_id, doc_id=doc_id, source=source, title=title, date=date, start=start, end=end, text=text,
                 pages=tuple(tuple(p) for p in pages), sections=tuple(tuple(s) for s in sections))
