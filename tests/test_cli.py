"""The command line, without models: arguments, one-line errors, and a light start-up."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from rag.cli import cli, main


def _run(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["rag", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr()


@pytest.mark.parametrize("args,message", [
    (("ask",), "no question given"),
    (("ask", "  "), "a question is empty"),
    (("eval", "--min", "accuracy"), "--min takes METRIC=VALUE"),
    (("eval", "--min", "bogus=1"), "unknown metric 'bogus'"),
    (("eval", "--compare", "nowhere-a", "nowhere-b"), "no eval summary at"),
])
def test_user_errors_are_one_line_and_exit_1(monkeypatch, capsys, args, message):
    code, out = _run(monkeypatch, capsys, *args)
    assert code == 1
    assert out.err.count("\n") == 1 and out.err.startswith("error: ") and message in out.err


def test_bad_setting_in_environment_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("RAG_TOP_K", "-3")
    code, out = _run(monkeypatch, capsys, "models")
    assert code == 1 and "bad value '-3' for setting top_k" in out.err


def test_models_lists_the_bundled_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path))
    (tmp_path / "mine.gguf").write_bytes(b"GGUF")
    monkeypatch.setenv("RAG_MODELS_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["models"])
    assert result.exit_code == 0
    assert "* qwen2.5-coder-1.5b" in result.output and "1,117 MB" in result.output
    assert "qwen2.5-coder-1.5b" in result.output and "smollm2-135m" in result.output
    assert "mine" in result.output and "user file" in result.output


def test_help_does_not_import_heavy_libraries():
    code = "import sys; from rag.cli import cli; print(sorted({'torch', 'faiss', 'llama_cpp', 'sentence_transformers'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"
