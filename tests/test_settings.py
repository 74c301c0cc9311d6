from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.settings import Settings


def test_precedence_keyword_over_env_over_file_over_default(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('top_k = 7\nmodel = "from-file"\nchunk_overlap = 30\n')
    monkeypatch.setenv("RAG_CONFIG", str(config))
    monkeypatch.setenv("RAG_TOP_K", "5")
    settings = Settings.load(top_k=3)
    assert settings.top_k == 3
    assert Settings.load().top_k == 5
    assert settings.model == "from-file"
    assert settings.chunk_overlap == 30
    assert settings.chunk_tokens == Settings().chunk_tokens


def test_unknown_keys_and_bad_values_are_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_TOPK", "5")
    with pytest.raises(ConfigError, match="unknown setting 'topk'"):
        Settings.load()
    monkeypatch.delenv("RAG_TOPK")
    monkeypatch.setenv("RAG_TOP_K", "many")
    with pytest.raises(ConfigError, match="bad value 'many' for setting top_k"):
        Settings.load()


def test_paths_expand_and_digest_tracks_changes():
    settings = Settings().with_updates(index_dir="~/idx")
    assert settings.index_dir == Path.home() / "idx"
    assert settings.digest() != settings.with_updates(top_k=9).digest()
    assert settings.digest() == Settings().with_updates(index_dir="~/idx").digest()
