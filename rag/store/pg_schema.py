"""rag's tables in PostgreSQL: the migrations that make them, and each collection's HNSW index.

`rag_schema` holds the version; `migrate` brings a database to `SCHEMA_VERSION` under an
advisory lock, so processes starting at once migrate it once. A migration is appended, never
edited. Nobody writes SQL by hand: rag runs these on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..errors import StoreError
from ..settings import redact_url

log = logging.getLogger(__name__)


def _fill_words(conn) -> None:
    """Each stored chunk's words, split as the FAISS folder's bm25s splits them (rag.store.keywords)."""
    from .keywords import words

    last = 0
    while rows := conn.execute("SELECT id, text FROM rag_chunks WHERE id > %s ORDER BY id LIMIT 5000",
                               (last,)).fetchall():
        with conn.cursor() as cursor:
            cursor.executemany("UPDATE rag_chunks SET words = %s WHERE id = %s",
                               list(zip(words([text for _, text in rows]), [key for key, _ in rows])))
        last = rows[-1][0]


# Each migration takes the schema from version n to n + 1; a new one is appended, never edited. A
# step is SQL, or a function of the connection for what SQL cannot do.
MIGRATIONS: tuple[tuple[str | Callable, ...], ...] = (
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
    # 3: BM25 over bm25s's words instead of PostgreSQL's English stems, so both stores rank chunks
    # alike (bench/parity.py); each collection's length is now its words, as bm25s counts them.
    (
        "ALTER TABLE rag_chunks ADD COLUMN words text[]",
        _fill_words,
        "ALTER TABLE rag_chunks ALTER COLUMN words SET NOT NULL",
        "ALTER TABLE rag_chunks DROP COLUMN tsv",
        "CREATE INDEX rag_chunks_words ON rag_chunks USING gin (words)",
        "ALTER TABLE rag_collections RENAME COLUMN lexemes TO words",
        "DELETE FROM rag_terms",
        "INSERT INTO rag_terms SELECT c.collection, w.word, count(*) FROM rag_chunks c,"
        " LATERAL (SELECT DISTINCT unnest(c.words) AS word) w GROUP BY c.collection, w.word",
        "UPDATE rag_collections s SET chunks = coalesce(t.chunks, 0), words = coalesce(t.words, 0) FROM"
        " rag_collections r LEFT JOIN (SELECT collection, count(*) AS chunks, sum(cardinality(words)) AS words"
        " FROM rag_chunks GROUP BY collection) t ON t.collection = r.id WHERE r.id = s.id",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
_MIGRATION_LOCK = 0x7261_6700  # "rag" in the advisory-lock key space


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
                raise StoreError(f"PostgreSQL at {redact_url(url)} has no pgvector extension and rag cannot create it "
                                 f"({str(exc).strip().splitlines()[0]}): install pgvector on the server and run "
                                 "`CREATE EXTENSION vector;` in the database as its owner") from None
        conn.execute("CREATE TABLE IF NOT EXISTS rag_schema (version int NOT NULL)")
        row = conn.execute("SELECT version FROM rag_schema").fetchone()
        version = row[0] if row else 0
        if row is None:
            conn.execute("INSERT INTO rag_schema VALUES (0)")
        if version > SCHEMA_VERSION:
            raise StoreError(f"the rag schema in {redact_url(url)} is version {version}, newer than this rag "
                             f"({SCHEMA_VERSION}): upgrade rag")
        for number in range(version, SCHEMA_VERSION):
            for step in MIGRATIONS[number]:
                if callable(step):
                    step(conn)
                else:
                    conn.execute(step)
            log.info("rag schema migrated to version %d", number + 1)
        conn.execute("UPDATE rag_schema SET version = %s", (SCHEMA_VERSION,))
    from pgvector.psycopg import register_vector

    register_vector(conn)
