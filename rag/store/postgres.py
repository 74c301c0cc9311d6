"""The index in PostgreSQL with pgvector: shared by any number of `rag serve` processes and indexers.

Tables (created and migrated by rag, `rag_schema` holds the version): `rag_collections` (one
per `--collection`, with the embedder and chunk settings its vectors were made with),
`rag_documents` (path, content hash, title, date, pages, sections, chunk count) and `rag_chunks`
(text, exact span, page and section marks, its words for keyword search as bm25s splits them,
and the vector). Each collection has its own partial HNSW index (cosine) over its vectors cast to its
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
from .keywords import words
from .protocol import SyncResult
from .pg_schema import create_hnsw, migrate
from .pg_search import PostgresIndex

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# Chunks embedded before their documents are written: a batch big enough to keep the embedder busy.
_EMBED_GROUP = 256
COPY_CHUNKS = ("COPY rag_chunks (collection, document, chunk_id, start, \"end\", text, pages, sections, words, "
               "embedding) FROM STDIN WITH (FORMAT BINARY)")
COPY_TYPES = ["int4", "int8", "text", "int4", "int4", "text", "jsonb", "jsonb", "text[]", "vector"]


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
        with conn.cursor().copy(COPY_CHUNKS) as copy:
            copy.set_types(COPY_TYPES)
            for c, vector, chunk_words in zip(chunks, vectors, words([c.text for c in chunks])):
                copy.write_row((collection, doc_row, c.id, c.start, c.end, c.text, Jsonb([list(p) for p in c.pages]),
                                Jsonb([list(s) for s in c.sections]), chunk_words, vector))
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
                      "words, embedding) SELECT collection, %s, chunk_id, start, \"end\", text, pages, sections, "
                      "words, embedding FROM rag_chunks WHERE document = %s ORDER BY id", (row, source_row))
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
    conn.execute(f"INSERT INTO rag_terms (collection, term, df) SELECT %(col)s, w.word, %(sign)s * count(*) "
                 f"FROM rag_chunks c, LATERAL (SELECT DISTINCT unnest(c.words) AS word) w WHERE {where} "
                 "GROUP BY w.word ON CONFLICT (collection, term) DO UPDATE SET df = rag_terms.df + excluded.df", args)
    conn.execute(f"UPDATE rag_collections SET chunks = chunks + %(sign)s * t.n, words = words + %(sign)s * t.w "
                 f"FROM (SELECT count(*) AS n, coalesce(sum(cardinality(c.words)), 0) AS w FROM rag_chunks c "
                 f"WHERE {where}) t WHERE id = %(col)s", args)


def count_all_terms(conn, collection: int) -> None:
    """The BM25 counts of a collection loaded in bulk (bench/store.py), in one pass."""
    _count_terms(conn, collection, None, +1)


def _configure(conn) -> None:
    from pgvector.psycopg import register_vector

    register_vector(conn)


def _lock_key(collection: str) -> int:
    return zlib.crc32(f"rag:{collection}".encode())


def _describe(spec: IndexSpec) -> str:
    return (f"embedder {spec.embedder} ({spec.dimension} dimensions), "
            f"chunks of {spec.chunk_tokens} tokens with {spec.chunk_overlap} overlap")

