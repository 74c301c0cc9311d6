from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag import settings as settings_module
from rag.settings import Secret, Settings


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


def test_an_unknown_variable_warns_once_naming_the_closest_setting(monkeypatch, capsys):
    monkeypatch.setattr(settings_module, "_warned", set())
    monkeypatch.setenv("RAG_TOPK", "5")
    monkeypatch.setenv("RAG_UNRELATED_TOOL_FLAG", "1")
    assert Settings.load().top_k == Settings().top_k
    Settings.load()
    assert capsys.readouterr().err.splitlines() == [
        "warning: RAG_TOPK is not a setting, ignored; did you mean RAG_TOP_K?",
        "warning: RAG_UNRELATED_TOOL_FLAG is not a setting, ignored"]


def test_unknown_keys_in_the_config_file_and_bad_values_are_errors(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("topk = 5\n")
    monkeypatch.setenv("RAG_CONFIG", str(config))
    with pytest.raises(ConfigError, match="unknown setting 'topk' in config file"):
        Settings.load()
    with pytest.raises(ConfigError, match="unknown setting 'topk' in keyword"):
        Settings().with_updates(topk=5)
    config.unlink()
    monkeypatch.setenv("RAG_TOP_K", "many")
    with pytest.raises(ConfigError, match="bad value 'many' for setting top_k"):
        Settings.load()


def test_paths_expand_and_digest_tracks_changes():
    settings = Settings().with_updates(index_dir="~/idx")
    assert settings.index_dir == Path.home() / "idx"
    assert settings.digest() != settings.with_updates(top_k=9).digest()
    assert settings.digest() == Settings().with_updates(index_dir="~/idx").digest()


def test_server_settings_the_key_stays_secret_and_paths_split(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_API_KEY", "s3cret")
    monkeypatch.setenv("RAG_SERVE_PATHS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    monkeypatch.setenv("RAG_PORT", "9001")
    settings = Settings.load()
    assert isinstance(settings.api_key, Secret) and settings.api_key.reveal() == "s3cret"
    assert "s3cret" not in repr(settings) and str(settings.api_key) == "***"
    assert settings.digest() == Settings.load(api_key="other").digest()
    assert settings.serve_paths == (tmp_path / "a", tmp_path / "b") and settings.port == 9001
    assert (settings.host, settings.queue_size) == ("127.0.0.1", 8)
