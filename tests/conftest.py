"""Shared fixtures: no test may reach the network beyond this machine, and every test gets its own index folder."""

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
    """Any connection or name lookup beyond loopback fails the test; local servers (rag serve) still work."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guarded(real):
        def connect(self, address, *args, **kwargs):
            if self.family == socket.AF_UNIX or _loopback(address[0]):
                return real(self, address, *args, **kwargs)
            raise NetworkBlocked(f"test tried to connect to {address}")
        return connect

    def getaddrinfo(host, *args, **kwargs):
        if _loopback(host):
            return real_getaddrinfo(host, *args, **kwargs)
        raise NetworkBlocked(f"test tried to reach the network: {host!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _loopback(host) -> bool:
    import ipaddress

    if isinstance(host, bytes):
        host = host.decode()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
