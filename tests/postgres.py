"""A real PostgreSQL with pgvector for the tests: `RAG_TEST_POSTGRES_URL`, else one pgserver starts here.

pgserver's wheel ships PostgreSQL 16 with pgvector; as root it runs the server as a system user
of its own (`pgserver`), listening on a Unix socket only. Each test gets a database of its own.
Import the fixtures into a test module to use them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# Read at import: the autouse `isolated_env` fixture removes every RAG_* variable from each test.
OVERRIDE = os.environ.get("RAG_TEST_POSTGRES_URL")


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


@contextmanager
def pgserver_running() -> Iterator:
    """A PostgreSQL server of its own, removed afterwards.

    Its data lives outside pytest's temporary folders: as root, pgserver runs the server as the
    user `pgserver`, who cannot enter pytest's private (0700) folders.
    """
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="rag-test-pg-"))
    folder.chmod(0o755)
    server = pgserver.get_server(folder / "data", cleanup_mode="stop")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def url_of(server) -> str:
    # pgserver's URL has an empty password ("postgres:@"); give it without.
    return server.get_uri().replace("postgres:@", "postgres@")


@pytest.fixture(scope="session")
def postgres_server():
    """The admin URL of the test PostgreSQL."""
    if OVERRIDE:
        yield OVERRIDE
        return
    with pgserver_running() as server:
        yield url_of(server)


@pytest.fixture
def pg_url(postgres_server):
    """The URL of a new, empty database, dropped after the test."""
    import psycopg

    name = f"rag_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield with_database(postgres_server, name)
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
