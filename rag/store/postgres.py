"""The index in PostgreSQL with pgvector: shared by any number of `rag serve` processes and indexers.

Tables (created and migrated by rag, `rag_schema` holds the version): `rag_collections` (one
per `--collection`, with the embedder and chunk settings its vectors were made with),
`rag_documents` (path, content hash, title, date, pages, sections, chunk count) and `rag_chunks`
(text, exact span, page and section marks, a generated `tsvector` for keyword search and the
vector). Each collection has its own partial HNSW index (cosine) over its vectors cast to its
dimension, so collections of different embedders live in one table.

Writers take a per-collection advisory lock, held by the connection, so the server releases it
when a writer dies, and replace each changed document in one transaction: a reader sees a
document's old chunks or its new ones, never half of either. Readers take connections from a
pool that checks each one before use, so a database restart costs the requests made while it
is down and nothing after. Does not keep the FAISS folder's checksums: PostgreSQL has its own.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import IndexStateError, StoreError
from ..settings import redact_url
from ..types import Chunk, Document
from .folder import IndexSpec
from .indexing import SyncResult

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# Each migration takes the schema from version n to n + 1; a new one is appended, never edited.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE rag_collections (id serial PRIMARY KEY, name text UNIQUE NOT NULL, embedder text NOT NULL,"
        " dimension int NOT NULL, chunk_tokens int NOT NULL, chunk_overlap int NOT NULL,"
        " created timestamptz NOT NULL DEFAULT now())",
        "CREATE TABLE rag_documents (id bigserial PRIMARY KEY,"
        " collection int NOT NULL REFERENCES rag_collections ON DELETE CASCADE, source text NOT NULL,"
        " doc_id text NOT NULL, title text NOT NULL, date date, pages jsonb NOT NULL, sections jsonb NOT NULL,"
        " chunks int NOT NULL, UNIQUE (collection, source))",
        "CREATE INDEX rag_documents_doc_id ON rag_documents (collection, doc_id)",
        "CREATE TABLE rag_chunks (id bigserial PRIMARY KEY, collection int NOT NULL,"
        " document bigint NOT NULL REFERENCES rag_documents ON DELETE CASCADE, chunk_id text NOT NULL,"
        " start int NOT NULL, \"end\" int NOT NULL, text text NOT NULL, pages jsonb NOT NULL,"
        " sections jsonb NOT NULL, tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,"
        " embedding vector NOT NULL)",
        "CREATE INDEX rag_chunks_document ON rag_chunks (document)",
        "CREATE INDEX rag_chunks_tsv ON rag_chunks USING gin (tsv)",
    ),
    # 2: BM25 over the tsvectors: each term's document frequency and each collection's sizes,
    # kept up in the transaction that writes the chunks (ts_rank_cd has no IDF; bench/keywords.py).
    (
        "ALTER TABLE rag_collections ADD COLUMN chunks bigint NOT NULL DEFAULT 0,"
        " ADD COLUMN lexemes bigint NOT NULL DEFAULT 0",
        "CREATE TABLE rag_terms (collection int NOT NULL REFERENCES rag_collections ON DELETE CASCADE,"
        " term text NOT NULL, df bigint NOT NULL, PRIMARY KEY (collection, term))",
        "INSERT INTO rag_terms SELECT c.collection, u.lexeme, count(*) FROM rag_chunks c, unnest(c.tsv) u"
        " GROUP BY c.collection, u.lexeme",
        "UPDATE rag_collections s SET chunks = t.chunks, lexemes = t.lexemes FROM (SELECT collection,"
        " count(*) AS chunks, sum(length(tsv)) AS lexemes FROM rag_chunks GROUP BY collection) t"
        " WHERE t.collection = s.id",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
# BM25's parameters as bm25s uses them (Lucene's variant): term saturation and length normalisation.
BM25_K1 = 1.5
BM25_B = 0.75
# HNSW's candidate list per query: recall@10 >= .95 at 1M clustered vectors (bench/store.py).
EF_SEARCH = 100
# Chunks embedded before their documents are written: a batch big enough to keep the embedder busy.
_EMBED_GROUP = 256
_MIGRATION_LOCK = 0x7261_6700  # "rag" in the advisory-lock key space
_COLUMNS = "c.id, c.chunk_id, d.doc_id, d.source, d.title, d.date, c.start, c.\"end\", c.text, c.pages, c.sections"
_COPY_TYPES = ["int4", "int8", "text", "int4", "int4", "text", "jsonb", "jsonb", "vector"]


def is_url(setting: str) -> bool:
    return setting.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    return redact_url(str.__str__(url))


def connect_error(url: str, exc: Exception) -> StoreError:
    """One line saying why PostgreSQL at `url` cannot be used, and what to do."""
    where = redact(url)
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    lowered = str(exc).lower()
    if "password authentication failed" in lowered or ("role" in lowered and "does not exist" in lowered) \
            or "no password supplied" in lowered or "no pg_hba.conf entry" in lowered:
        return StoreError(f"PostgreSQL at {where} refused the credentials ({text}): fix the user or password in --store")
    if "database" in lowered and "does not exist" in lowered:
        return StoreError(f"PostgreSQL at {where}: {text}; create it (createdb) or name another in --store")
    return StoreError(f"cannot reach PostgreSQL at {where} ({text}): check the host and port in --store "
                      "and that the server is running")


class PostgresStore:
    """A collection in PostgreSQL; `open` it to search, `sync` documents into it."""

    def __init__(self, url: str, collection: str = "default", *, pool_size: int = 4) -> None:
        if not re.fullmatch(r"[\w.-]{1,64}", collection):
            raise StoreError(f"bad collection name {collection!r}: use letters, digits, '.', '-' or '_'")
        self.url = url
        self.collection = collection
        self.location = f"{redact(url)} (collection {collection})"
        self._pool_size = pool_size
        self._pool = None

    # Connections.

    @property
    def pool(self):
        """The connection pool, opened on first use after the schema is made current."""
        if self._pool is None:
            try:
                import psycopg
                from psycopg_pool import ConnectionPool
            except ImportError:
                raise StoreError("the PostgreSQL store needs psycopg, psycopg-pool and pgvector: "
                                 "pip install 'rag[postgres]'") from None

            try:
                # A direct connection first: a pool would only time out, without the server's reason.
                with psycopg.connect(self.url, connect_timeout=5, autocommit=True) as conn:
                    migrate(conn, self.url)
            except psycopg.OperationalError as exc:
                raise connect_error(self.url, exc) from None
            # Each connection is checked as it is handed out, so one broken by a restart is replaced.
            self._pool = ConnectionPool(self.url, min_size=1, max_size=self._pool_size, open=True, timeout=10,
                                        check=ConnectionPool.check_connection, configure=_configure,
                                        kwargs={"connect_timeout": 5, "autocommit": True}, name="rag")
        return self._pool

    @contextmanager
    def connection(self) -> Iterator:
        """A pooled connection with pgvector's types; a dead server is a one-line error."""
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self.pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise connect_error(self.url, exc) from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # The protocol.

    def exists(self) -> bool:
        with self.connection() as conn:
            return conn.execute("SELECT 1 FROM rag_collections WHERE name = %s", (self.collection,)).fetchone() is not None

    def open(self, expect: IndexSpec, *, full: bool = False) -> "PostgresIndex":
        """The collection, checked to be built with `expect`; `full` also checks every document's chunk count."""
        with self.connection() as conn:
            row = conn.execute("SELECT id, embedder, dimension, chunk_tokens, chunk_overlap FROM rag_collections "
                               "WHERE name = %s", (self.collection,)).fetchone()
            if row is None:
                raise IndexStateError(f"no index in {self.location}: run `rag index --store {redact(self.url)} "
                                      f"--collection {self.collection} PATH`")
            spec = IndexSpec(*row[1:])
            if spec != expect:
                raise IndexStateError(f"{self.location} was built with {_describe(spec)}, but this run uses "
                                      f"{_describe(expect)}; rebuild it: rag index --rebuild --store "
                                      f"{redact(self.url)} --collection {self.collection} PATH")
            if full:
                self._check(conn, row[0])
        return PostgresIndex(self, row[0], spec)

    def _check(self, conn, collection: int) -> None:
        bad = conn.execute(
            "SELECT d.source, d.chunks, count(c.id) FROM rag_documents d LEFT JOIN rag_chunks c ON c.document = d.id "
            "WHERE d.collection = %s GROUP BY d.id HAVING d.chunks <> count(c.id) "
            "OR bool_or(vector_dims(c.embedding) <> %s) LIMIT 1",
            (collection, self._dimension(conn, collection))).fetchone()
        if bad is None:
            counted, actual = conn.execute("SELECT chunks, (SELECT count(*) FROM rag_chunks WHERE collection = %s) "
                                           "FROM rag_collections WHERE id = %s", (collection, collection)).fetchone()
            if counted != actual:
                bad = ("its keyword statistics", counted, actual)
        if bad:
            raise IndexStateError(f"{self.location} is damaged ({bad[0]} has {bad[2]} chunks, {bad[1]} expected); "
                                  f"rebuild it: rag index --rebuild --store {redact(self.url)} "
                                  f"--collection {self.collection} PATH")

    @staticmethod
    def _dimension(conn, collection: int) -> int:
        return conn.execute("SELECT dimension FROM rag_collections WHERE id = %s", (collection,)).fetchone()[0]

    def sync(self, documents: Sequence[Document], spec: IndexSpec, *, chunk: Callable[[list[Document]], list[Chunk]],
             embed: Callable[[list[Chunk]], "np.ndarray"], rebuild: bool = False) -> SyncResult:
        """Make the collection hold exactly `documents`: each new or changed one in its own transaction.

        Holds the collection's writer lock throughout; a second writer waits for it, then finds
        the first one's documents in place and embeds nothing twice.
        """
        with self.connection() as conn, self._writer_lock(conn):
            collection = self._collection(conn, spec, rebuild)
            stored = {source: (doc_id, row) for source, doc_id, row in conn.execute(
                "SELECT source, doc_id, id FROM rag_documents WHERE collection = %s", (collection,))}
            wanted = {d.source for d in documents}
            stored_ids = {doc_id: row for doc_id, row in stored.values()}
            fresh = [d for d in documents if stored.get(d.source, (None,))[0] != d.id]
            # Same content under another path: its chunks and vectors are copied, not embedded again.
            copied = [d for d in fresh if d.id in stored_ids]
            embedded_docs = [d for d in fresh if d.id not in stored_ids]
            dropped = len({doc_id for doc_id, _ in stored.values()} - {d.id for d in documents})
            log.info("%d documents unchanged, %d new or changed, %d dropped",
                     len(documents) - len(fresh), len(fresh), dropped)
            for document in copied:
                with conn.transaction():
                    self._copy(conn, collection, document, stored_ids[document.id])
            chunks = chunk(embedded_docs)
            self._write_embedded(conn, collection, embedded_docs, chunks, embed)
            gone = [row for source, (_, row) in stored.items() if source not in wanted]
            for row in gone:
                with conn.transaction():
                    _delete(conn, collection, row=row)
            total = conn.execute("SELECT count(*) FROM rag_chunks WHERE collection = %s", (collection,)).fetchone()[0]
        return SyncResult(index=PostgresIndex(self, collection, spec), chunks=total, changed=len(fresh),
                          embedded=len(chunks), dropped=dropped)

    def _write_embedded(self, conn, collection: int, documents: Sequence[Document], chunks: Sequence[Chunk],
                        embed: Callable[[list[Chunk]], "np.ndarray"]) -> None:
        """Embed `chunks` a group of documents at a time, committing each document once its vectors are in hand.

        A killed indexer so loses at most one group's embedding, and the next run starts after
        the documents already committed.
        """
        by_doc: dict[str, list[Chunk]] = {}
        for c in chunks:
            by_doc.setdefault(c.doc_id, []).append(c)
        group: list[Document] = []
        for number, document in enumerate(documents, 1):
            group.append(document)
            if sum(len(by_doc.get(d.id, ())) for d in group) >= _EMBED_GROUP or number == len(documents):
                mine = [c for d in group for c in by_doc.get(d.id, ())]
                vectors = embed(mine) if mine else []
                row = 0
                for done in group:
                    count = len(by_doc.get(done.id, ()))
                    with conn.transaction():
                        self._replace(conn, collection, done, by_doc.get(done.id, []), vectors[row:row + count])
                    row += count
                group = []

    @staticmethod
    def _replace(conn, collection: int, document: Document, chunks: Sequence[Chunk], vectors) -> None:
        from psycopg.types.json import Jsonb

        _delete(conn, collection, source=document.source)
        doc_row = conn.execute(
            "INSERT INTO rag_documents (collection, source, doc_id, title, date, pages, sections, chunks) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (collection, document.source, document.id, document.title, document.date, Jsonb(list(document.pages)),
             Jsonb([list(s) for s in document.sections]), len(chunks))).fetchone()[0]
        with conn.cursor().copy("COPY rag_chunks (collection, document, chunk_id, start, \"end\", text, pages, "
                                "sections, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(_COPY_TYPES)
            for c, vector in zip(chunks, vectors):
                copy.write_row((collection, doc_row, c.id, c.start, c.end, c.text, Jsonb([list(p) for p in c.pages]),
                                Jsonb([list(s) for s in c.sections]), vector))
        _count_terms(conn, collection, doc_row, +1)

    @staticmethod
    def _copy(conn, collection: int, document: Document, source_row: int) -> None:
        """`document` has the content of stored document `source_row`: copy its chunks under the new path."""
        from psycopg.types.json import Jsonb

        _delete(conn, collection, source=document.source)
        row = conn.execute(
            "INSERT INTO rag_documents (collection, source, doc_id, title, date, pages, sections, chunks) "
            "SELECT collection, %s, doc_id, %s, %s, %s, %s, chunks FROM rag_documents WHERE id = %s RETURNING id",
            (document.source, document.title, document.date, Jsonb(list(document.pages)),
             Jsonb([list(s) for s in document.sections]), source_row)).fetchone()[0]
        conn.execute("INSERT INTO rag_chunks (collection, document, chunk_id, start, \"end\", text, pages, sections, "
                      "embedding) SELECT collection, %s, chunk_id, start, \"end\", text, pages, sections, embedding "
                      "FROM rag_chunks WHERE document = %s ORDER BY id", (row, source_row))
        _count_terms(conn, collection, row, +1)

    @contextmanager
    def _writer_lock(self, conn) -> Iterator[None]:
        key = _lock_key(self.collection)
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            log.warning("another `rag index` is writing to %s; waiting for it", self.location)
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            if not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def _collection(self, conn, spec: IndexSpec, rebuild: bool) -> int:
        """The collection's id, created (with its HNSW index) when new and emptied for a rebuild."""
        with conn.transaction():
            row = conn.execute("SELECT id, embedder, dimension, chunk_tokens, chunk_overlap FROM rag_collections "
                               "WHERE name = %s", (self.collection,)).fetchone()
            if row is not None and IndexSpec(*row[1:]) != spec and not rebuild:
                raise IndexStateError(f"{self.location} was built with {_describe(IndexSpec(*row[1:]))}, but this "
                                      f"run uses {_describe(spec)}; rebuild it: rag index --rebuild --store "
                                      f"{redact(self.url)} --collection {self.collection} PATH")
            if row is not None and rebuild:
                conn.execute("DELETE FROM rag_collections WHERE id = %s", (row[0],))
                conn.execute(f"DROP INDEX IF EXISTS rag_chunks_hnsw_{row[0]}")
                row = None
            if row is not None:
                return row[0]
            collection = conn.execute(
                "INSERT INTO rag_collections (name, embedder, dimension, chunk_tokens, chunk_overlap) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (self.collection, spec.embedder, spec.dimension, spec.chunk_tokens, spec.chunk_overlap)).fetchone()[0]
            create_hnsw(conn, collection, spec.dimension)
            return collection


def _delete(conn, collection: int, *, source: str | None = None, row: int | None = None) -> None:
    """Remove one document (by path or row) with its chunks and their part of the BM25 counts."""
    found = conn.execute("SELECT id FROM rag_documents WHERE collection = %s AND (source = %s OR id = %s)",
                         (collection, source, row)).fetchone()
    if found is None:
        return
    _count_terms(conn, collection, found[0], -1)
    conn.execute("DELETE FROM rag_documents WHERE id = %s", (found[0],))


def _count_terms(conn, collection: int, document: int | None, sign: int) -> None:
    """Add (`sign` 1) or take away (-1) a document's chunks in the BM25 counts; all chunks when `document` is None."""
    where = "c.collection = %(col)s" + ("" if document is None else " AND c.document = %(doc)s")
    args = {"col": collection, "doc": document, "sign": sign}
    conn.execute(f"INSERT INTO rag_terms (collection, term, df) SELECT %(col)s, u.lexeme, %(sign)s * count(*) "
                 f"FROM rag_chunks c, unnest(c.tsv) u WHERE {where} GROUP BY u.lexeme "
                 "ON CONFLICT (collection, term) DO UPDATE SET df = rag_terms.df + excluded.df", args)
    conn.execute(f"UPDATE rag_collections SET chunks = chunks + %(sign)s * t.n, lexemes = lexemes + %(sign)s * t.l "
                 f"FROM (SELECT count(*) AS n, coalesce(sum(length(c.tsv)), 0) AS l FROM rag_chunks c WHERE {where}) t "
                 "WHERE id = %(col)s", args)


def count_all_terms(conn, collection: int) -> None:
    """The BM25 counts of a collection loaded in bulk (bench/store.py), in one pass."""
    _count_terms(conn, collection, None, +1)


def create_hnsw(conn, collection: int, dimension: int) -> None:
    """The collection's HNSW index: its rows only, its vectors cast to its dimension (pgvector needs one)."""
    conn.execute(f"CREATE INDEX IF NOT EXISTS rag_chunks_hnsw_{int(collection)} ON rag_chunks USING hnsw "
                 f"((embedding::vector({int(dimension)})) vector_cosine_ops) WHERE collection = {int(collection)}")


def migrate(conn, url: str) -> None:
    """Bring the schema to `SCHEMA_VERSION`, one writer at a time; pgvector first."""
    import psycopg

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone() is None:
            try:
                with conn.transaction():
                    conn.execute("CREATE EXTENSION vector")
            except psycopg.Error as exc:
                raise StoreError(f"PostgreSQL at {redact(url)} has no pgvector extension and rag cannot create it "
                                 f"({str(exc).strip().splitlines()[0]}): install pgvector on the server and run "
                                 "`CREATE EXTENSION vector;` in the database as its owner") from None
        conn.execute("CREATE TABLE IF NOT EXISTS rag_schema (version int NOT NULL)")
        row = conn.execute("SELECT version FROM rag_schema").fetchone()
        version = row[0] if row else 0
        if row is None:
            conn.execute("INSERT INTO rag_schema VALUES (0)")
        if version > SCHEMA_VERSION:
            raise StoreError(f"the rag schema in {redact(url)} is version {version}, newer than this rag "
                             f"({SCHEMA_VERSION}): upgrade rag")
        for number in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[number]:
                conn.execute(statement)
            log.info("rag schema migrated to version %d", number + 1)
        conn.execute("UPDATE rag_schema SET version = %s", (SCHEMA_VERSION,))
    from pgvector.psycopg import register_vector

    register_vector(conn)


class PostgresIndex:
    """A collection open for search: the same surface as the FAISS `VectorIndex`, keyed by chunk row id."""

    def __init__(self, store: PostgresStore, collection: int, spec: IndexSpec) -> None:
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
    """BM25 in PostgreSQL: candidates from the GIN index over the `tsvector`s, scored with `rag_terms`' IDF."""

    def __init__(self, index: PostgresIndex) -> None:
        self._index = index

    def search(self, query: str, k: int) -> list[int]:
        """Row ids of the best `k` chunks that share a word with `query`, best first."""
        if not re.search(r"\w", query):
            return []
        # A question's words rarely all appear in one chunk: any of them matches, as in BM25.
        with self._index.store.connection() as conn:
            rows = conn.execute(_BM25, {"text": query, "col": self._index._collection, "k": k, "k1": BM25_K1,
                                        "b": BM25_B, "common": COMMON_TERM, "common_min": COMMON_MIN}).fetchall()
        return [int(r[0]) for r in rows]


# Lucene's BM25: idf = ln(1 + (n - df + 0.5) / (df + 0.5)); tf saturates with k1, length (distinct
# terms, as `length(tsvector)` counts) is normalised by b against the collection's mean. Every
# chunk holding a query term is scored, so terms in more than `COMMON_TERM` of a big collection
# (at least `COMMON_MIN` chunks) pick no candidates: they weigh least, and at 200k synthetic
# chunks "minister" alone made a query score most of the table for 18 s (bench/store.py).
_BM25 = """
WITH query AS (SELECT tsvector_to_array(to_tsvector('english', %(text)s)) AS terms),
     stats AS (SELECT greatest(chunks, 1)::float8 AS n, greatest(lexemes::float8 / greatest(chunks, 1), 1) AS avgdl
               FROM rag_collections WHERE id = %(col)s),
     idf AS (SELECT t.term, t.df, ln(1 + (stats.n - t.df + 0.5) / (t.df + 0.5)) AS w
             FROM rag_terms t, stats, query WHERE t.collection = %(col)s AND t.term = ANY(query.terms) AND t.df > 0),
     picked AS (SELECT to_tsquery('simple', string_agg(quote_literal(idf.term), ' | ')) AS q FROM idf, stats
                WHERE idf.df <= greatest(%(common_min)s, %(common)s * stats.n))
SELECT c.id FROM rag_chunks c, picked, stats,
     LATERAL (SELECT sum(idf.w * cardinality(u.positions) * (%(k1)s + 1)
                         / (cardinality(u.positions) + %(k1)s * (1 - %(b)s + %(b)s * length(c.tsv) / stats.avgdl))) AS score
              FROM unnest(c.tsv) u JOIN idf ON idf.term = u.lexeme) s
WHERE c.collection = %(col)s AND picked.q IS NOT NULL AND c.tsv @@ picked.q AND s.score > 0
ORDER BY s.score DESC, c.id LIMIT %(k)s
"""
COMMON_TERM = 0.05
COMMON_MIN = 10_000


def _configure(conn) -> None:
    from pgvector.psycopg import register_vector

    register_vector(conn)


def _vector(query: "np.ndarray"):
    import numpy as np
    from pgvector import Vector

    return Vector(np.asarray(query, dtype=np.float32).ravel())


def _chunk(row) -> Chunk:
    key, chunk_id, doc_id, source, title, date, start, end, text, pages, sections = row
    return Chunk(id=chunk_id, doc_id=doc_id, source=source, title=title, date=date, start=start, end=end, text=text,
                 pages=tuple(tuple(p) for p in pages), sections=tuple(tuple(s) for s in sections))


def _lock_key(collection: str) -> int:
    return zlib.crc32(f"rag:{collection}".encode())


def _describe(spec: IndexSpec) -> str:
    return (f"embedder {spec.embedder} ({spec.dimension} dimensions), "
            f"chunks of {spec.chunk_tokens} tokens with {spec.chunk_overlap} overlap")

