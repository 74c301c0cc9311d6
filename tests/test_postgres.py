"""The PostgreSQL store on a real server: schema, collections, kills, concurrent writers, restarts, bad settings."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from fakes import FakeEmbedder
from postgres import pg_url, pgserver_running, postgres_server, url_of, with_database  # noqa: F401 - fixtures
from rag.documents import load_documents
from rag.errors import IndexStateError, StoreError
from rag.store import IndexSpec
from rag.store.indexing import update_index
from rag.store.pg_schema import SCHEMA_VERSION
from rag.store.postgres import PostgresStore

SPEC = IndexSpec(embedder=FakeEmbedder.name, dimension=FakeEmbedder.dimension, chunk_tokens=128, chunk_overlap=24)
ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

# An indexer in a process of its own, so it can be killed; prints its report as JSON. Its embedder
# takes 30 ms a chunk, as a real one takes its time: a run then lasts seconds on any machine, so
# the kills below land while it works, not after it is done (the fake alone finished first on a
# quiet machine).
INDEXER = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {tests!r})
    from fakes import FakeEmbedder
    from rag.store import IndexSpec
    from rag.store.indexing import update_index
    from rag.store.postgres import PostgresStore

    class PacedEmbedder(FakeEmbedder):
        def embed(self, texts):
            time.sleep(0.03 * len(texts))
            return super().embed(texts)

    spec = IndexSpec(embedder=FakeEmbedder.name, dimension=FakeEmbedder.dimension, chunk_tokens=128, chunk_overlap=24)
    store = PostgresStore(sys.argv[1])
    _, report = update_index(store, [sys.argv[2]], PacedEmbedder(), spec)
    print(json.dumps({{"documents": report.documents, "chunks": report.chunks, "embedded": report.embedded,
                      "changed": report.changed}}))
""").format(tests=str(TESTS))


class SmallEmbedder(FakeEmbedder):
    name = "small-fake"
    dimension = 64


def _corpus(folder: Path, seeds: Path, copies: int) -> Path:
    """`copies` variants of each seed document, each with content of its own."""
    folder.mkdir()
    for copy in range(copies):
        for seed in sorted(seeds.iterdir()):
            (folder / f"{copy:03d}-{seed.name}").write_text(f"Variant {copy}.\n\n{seed.read_text()}")
    return folder


def _rows(url: str, query: str, *args) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, args).fetchall()


def _assert_consistent(url: str) -> None:
    """Every document has exactly its chunks, all of one version of it, and each path once."""
    store = PostgresStore(url)
    try:
        if not store.exists():
            return  # killed before its first commit: nothing to check
        store.open(SPEC, full=True)
    finally:
        store.close()
    mixed = _rows(url, "SELECT d.source FROM rag_documents d JOIN rag_chunks c ON c.document = d.id "
                       "WHERE split_part(c.chunk_id, ':', 1) <> d.doc_id LIMIT 1")
    assert mixed == [], f"chunks of another version in {mixed}"
    assert _rows(url, "SELECT source FROM rag_documents GROUP BY collection, source HAVING count(*) > 1") == []
    assert _rows(url, "SELECT d.source FROM rag_documents d JOIN rag_chunks c ON c.document = d.id "
                      "GROUP BY d.id, c.chunk_id HAVING count(*) > 1 LIMIT 1") == []


def _assert_mirrors(url: str, corpus: Path) -> None:
    documents, _ = load_documents([corpus])
    stored = dict(_rows(url, "SELECT source, doc_id FROM rag_documents"))
    assert stored == {d.source: d.id for d in documents}


def test_the_schema_is_created_once_with_its_version_and_a_newer_one_is_refused(pg_url, seeds):
    update_index(PostgresStore(pg_url), [seeds], FakeEmbedder(), SPEC)
    update_index(PostgresStore(pg_url), [seeds], FakeEmbedder(), SPEC)
    assert _rows(pg_url, "SELECT version FROM rag_schema") == [(SCHEMA_VERSION,)]
    assert _rows(pg_url, "SELECT extname FROM pg_extension WHERE extname = 'vector'") == [("vector",)]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE rag_schema SET version = 99")
    with pytest.raises(StoreError, match="schema .* is version 99, newer than this rag"):
        PostgresStore(pg_url).exists()


def test_collections_keep_corpora_and_embedders_apart(pg_url, seeds, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("The lighthouse keeper of Skerryvore logged every storm in a green book.")
    first, _ = update_index(PostgresStore(pg_url, "news"), [seeds], FakeEmbedder(), SPEC)
    small = IndexSpec(embedder=SmallEmbedder.name, dimension=64, chunk_tokens=128, chunk_overlap=24)
    second, _ = update_index(PostgresStore(pg_url, "notes"), [other], SmallEmbedder(), small)
    assert first.documents == 5 and second.documents == 1
    assert all("Skerryvore" in second.chunks[k].text for k, _ in second.search(SmallEmbedder().embed(["lighthouse"])[0], 5))
    assert not any("Skerryvore" in first.chunks[k].text for k, _ in first.search(FakeEmbedder().embed(["lighthouse"])[0], 50))
    assert first.keywords.search("Skerryvore", 5) == [] and second.keywords.search("Skerryvore", 5)
    with pytest.raises(StoreError, match="bad collection name"):
        PostgresStore(pg_url, "no spaces; please")


@pytest.mark.e2e  # slow: 21 indexer processes
def test_a_killed_indexer_leaves_the_last_committed_state_20_times_over(pg_url, seeds, tmp_path):
    corpus = _corpus(tmp_path / "corpus", seeds, 12)
    rng = random.Random(24)
    killed_mid_run = 0
    for attempt in range(20):
        # New work for every run: some files change, one goes, one comes.
        for path in rng.sample(sorted(corpus.iterdir()), 6):
            path.write_text(path.read_text() + f"\nRevision {attempt} of this file.\n")
        sorted(corpus.iterdir())[rng.randrange(len(list(corpus.iterdir())))].unlink()
        shutil.copy(sorted(seeds.iterdir())[attempt % 5], corpus / f"new-{attempt:02d}.txt")
        (corpus / f"new-{attempt:02d}.txt").write_text(f"New {attempt}.\n" + (corpus / f"new-{attempt:02d}.txt").read_text())
        process = subprocess.Popen([sys.executable, "-c", INDEXER, pg_url, str(corpus)], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.5, 3.0))
        if process.poll() is None:
            killed_mid_run += 1
        process.send_signal(signal.SIGKILL)
        process.wait()
        _assert_consistent(pg_url)
    assert killed_mid_run >= 15, "the indexer finished before most kills: the test no longer tests kills"
    finished = subprocess.run([sys.executable, "-c", INDEXER, pg_url, str(corpus)], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    _assert_consistent(pg_url)
    _assert_mirrors(pg_url, corpus)


def test_two_indexers_at_once_neither_corrupt_nor_duplicate_nor_embed_twice(pg_url, seeds, tmp_path):
    corpus = _corpus(tmp_path / "corpus", seeds, 6)
    processes = [subprocess.Popen([sys.executable, "-c", INDEXER, pg_url, str(corpus)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        reports.append(json.loads(out))
    _assert_consistent(pg_url)
    _assert_mirrors(pg_url, corpus)
    total = _rows(pg_url, "SELECT count(*) FROM rag_chunks")[0][0]
    assert sorted(r["embedded"] for r in reports) == [0, total]
    assert all(r["chunks"] == total for r in reports)


def restart(server) -> None:
    """Restart a pgserver's PostgreSQL, as an operator would: every connection is cut."""
    import pgserver._commands

    pgserver._commands.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user,
                              timeout=60)


def test_searches_survive_a_database_restart(seeds):
    with pgserver_running() as server:
        store = PostgresStore(url_of(server))
        index, _ = update_index(store, [seeds], FakeEmbedder(), SPEC)
        vector = FakeEmbedder().embed(["Rivnopillia"])[0]
        before = index.search(vector, 3)
        restart(server)
        assert index.search(vector, 3) == before
        store.close()


def _rag_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def _one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unreachable_host_is_one_line():
    line = _one_line(_rag_cli("check", "--store", "postgresql://rag:secret@127.0.0.1:1/rag"))
    assert "cannot reach PostgreSQL at postgresql://rag:***@127.0.0.1:1/rag" in line and "secret" not in line


def test_bad_credentials_are_one_line(postgres_server):
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(postgres_server)
    wrong = urlunsplit(parts._replace(netloc=f"nobody@{parts.hostname or ''}"))
    line = _one_line(_rag_cli("check", "--store", wrong))
    assert "refused the credentials" in line and "fix the user or password" in line


def test_a_database_without_pgvector_is_one_line(postgres_server):
    import uuid

    name, role = f"rag_plain_{uuid.uuid4().hex[:8]}", f"plain_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        from urllib.parse import urlsplit, urlunsplit

        url = with_database(postgres_server, name)
        parts = urlsplit(url)
        url = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname or ''}"))
        line = _one_line(_rag_cli("index", "--store", url, str(ROOT / "seeds")))
        assert "has no pgvector extension" in line and "CREATE EXTENSION vector" in line
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
            conn.execute(f"DROP ROLE {role}")


def test_a_missing_index_in_postgres_says_how_to_make_one(pg_url):
    with pytest.raises(IndexStateError, match="no index in .* run `rag index --store"):
        PostgresStore(pg_url).open(SPEC)


def test_a_version_1_schema_is_migrated_and_its_keyword_counts_backfilled(pg_url, seeds):
    from rag.store import pg_schema as postgres

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION vector")
        conn.execute("CREATE TABLE rag_schema (version int NOT NULL)")
        conn.execute("INSERT INTO rag_schema VALUES (1)")
        for statement in postgres.MIGRATIONS[0]:
            conn.execute(statement)
    # A version-1 store, as an older rag wrote it: no term counts.
    old = PostgresStore(pg_url)
    saved = postgres.MIGRATIONS
    postgres.MIGRATIONS, postgres.SCHEMA_VERSION = saved[:1], 1
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            postgres.migrate(conn, pg_url)
            collection = old._collection(conn, SPEC, rebuild=False)
            documents, _ = load_documents([seeds])
            from rag.chunking import chunk_documents

            chunks = chunk_documents(documents, count_tokens=FakeEmbedder().count_tokens, chunk_tokens=128,
                                     chunk_overlap=24)
            vectors = FakeEmbedder().embed([c.text for c in chunks])
            for document in documents:
                mine = [i for i, c in enumerate(chunks) if c.doc_id == document.id]
                conn.execute("INSERT INTO rag_documents (collection, source, doc_id, title, pages, sections, chunks) "
                             "VALUES (%s, %s, %s, %s, '[]', '[]', %s)", (collection, document.source, document.id,
                                                                         document.title, len(mine)))
                for i in mine:
                    conn.execute("INSERT INTO rag_chunks (collection, document, chunk_id, start, \"end\", text, pages, "
                                 "sections, embedding) SELECT %s, id, %s, %s, %s, %s, '[]', '[]', %s::real[]::vector "
                                 "FROM rag_documents WHERE source = %s", (collection, chunks[i].id, chunks[i].start,
                                                                          chunks[i].end, chunks[i].text,
                                                                          vectors[i].tolist(), document.source))
    finally:
        postgres.MIGRATIONS, postgres.SCHEMA_VERSION = saved, len(saved)
    migrated = PostgresStore(pg_url).open(SPEC, full=True)
    assert _rows(pg_url, "SELECT version FROM rag_schema") == [(SCHEMA_VERSION,)]
    backfilled = dict(_rows(pg_url, "SELECT term, df FROM rag_terms"))
    # The same counts as a store written by this version.
    fresh = PostgresStore(pg_url, "fresh")
    update_index(fresh, [seeds], FakeEmbedder(), SPEC)
    written = dict(_rows(pg_url, "SELECT term, df FROM rag_terms t JOIN rag_collections s ON s.id = t.collection "
                                 "WHERE s.name = 'fresh'"))
    assert backfilled == written and migrated.keywords.search("Rivnopillia", 3)
    sizes = _rows(pg_url, "SELECT chunks, words FROM rag_collections ORDER BY id")
    assert sizes[0] == sizes[1] and sizes[0][1] > sizes[0][0]
