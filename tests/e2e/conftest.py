"""The real stack: MiniLM embeddings, a FAISS index and SmolLM2-135M through llama.cpp, over seeds/."""

import os

import pytest

from rag import RAG


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def real_env(tmp_path_factory):
    """Settings every real-stack test shares: the tiny model and a private index and cache."""
    root = tmp_path_factory.mktemp("real")
    # The decision's threshold is calibrated on the 1.5B judging its own answers; SmolLM2 cannot
    # judge, and these tests check the plumbing (citations, streaming, serving), so its cited
    # answers stand. The outright refusals (nothing relevant, nothing backed) still apply.
    return {"RAG_MODEL": "smollm2-135m", "RAG_INDEX_DIR": str(root / "index"),
            "RAG_CACHE_DIR": str(root / "cache"), "RAG_MAX_ANSWER_TOKENS": "96", "RAG_ANSWER_THRESHOLD": "0"}


@pytest.fixture(scope="session")
def real_rag(real_env, tmp_path_factory):
    saved = {k: os.environ.get(k) for k in real_env}
    os.environ.update(real_env)
    try:
        rag = RAG()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    from pathlib import Path

    rag.index([Path(__file__).resolve().parents[2] / "seeds"])
    return rag
