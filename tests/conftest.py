"""Shared fixtures: no test may reach the network, and every test gets its own index folder."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakes import FakeEmbedder, FakeGenerator  # noqa: E402

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


class NetworkBlocked(RuntimeError):
    """A test tried to open a network connection."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection or name lookup fails the test; local (AF_UNIX) sockets still work."""
    real_connect = socket.socket.connect

    def connect(self, address, *args, **kwargs):
        if self.family == socket.AF_UNIX:
            return real_connect(self, address, *args, **kwargs)
        raise NetworkBlocked(f"test tried to connect to {address}")

    def refuse(*args, **kwargs):
        raise NetworkBlocked(f"test tried to reach the network: {args[:1]}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Settings come only from the test, never from the developer's config or variables."""
    for name in [n for n in os.environ if n.startswith("RAG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
def seeds() -> Path:
    return SEEDS


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def fake_llm() -> FakeGenerator:
    return FakeGenerator()


@pytest.fixture
def fake_rag(tmp_path, fake_embedder, fake_llm):
    from rag import RAG

    # The refusal threshold is calibrated for MiniLM; the fake's scores run lower.
    return RAG(index_dir=tmp_path / "index", embedder=fake_embedder, generator=fake_llm, min_score=0.0)


@pytest.fixture
def indexed_fake(fake_rag, seeds):
    fake_rag.index([seeds])
    return fake_rag
