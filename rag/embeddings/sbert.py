"""A sentence-transformers model from a local folder: any architecture, at the price of importing torch.

`rag.embeddings.bert` gives the same vectors for MiniLM without torch; this adapter is the
reference it is tested against, and the path for models it does not cover.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from ..errors import ModelError
from .base import BUNDLED_EMBEDDER, embedder_folder, read_json

if TYPE_CHECKING:
    import numpy as np


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder; the weights load on first `embed`."""

    def __init__(self, model: str = BUNDLED_EMBEDDER, *, batch_size: int = 32) -> None:
        self.folder, self.name = embedder_folder(model)
        self.batch_size = batch_size
        self.dimension = int(read_json(self.folder / "1_Pooling" / "config.json")["word_embedding_dimension"])
        self.max_tokens = int(read_json(self.folder / "sentence_bert_config.json")["max_seq_length"])

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
