"""A BERT sentence encoder in numpy: sentence-transformers' MiniLM forward pass, without torch.

Importing sentence-transformers pulls in torch and transformers, seconds before the first
vector; this module needs numpy, the `tokenizers` library and the model's safetensors file, and
loads in a fraction of a second. It covers what MiniLM is: a BERT encoder, mean pooling over
the non-padding tokens, then unit length. It does not train, run on a GPU, or read other
architectures (`is_plain_bert` says which folders it reads; `load_embedder` sends the rest to
sentence-transformers). tests/test_embeddings.py checks its vectors against sentence-transformers'.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ModelError
from .base import read_json

if TYPE_CHECKING:
    import numpy as np

_MODULES = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
            "sentence_transformers.models.Normalize")
_DTYPES = {"F32": "float32", "F16": "float16", "I64": "int64"}


def is_plain_bert(folder: Path) -> bool:
    """Whether `folder` holds a model this module computes exactly: BERT, GELU, mean pooling."""
    try:
        modules = [m["type"] for m in json.loads((folder / "modules.json").read_text())]
        config = json.loads((folder / "config.json").read_text())
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return False
    means = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v} == {"pooling_mode_mean_tokens"}
    return (tuple(modules) in (_MODULES, _MODULES[:2]) and config.get("model_type") == "bert"
            and config.get("hidden_act") == "gelu" and config.get("position_embedding_type", "absolute") == "absolute"
            and means and (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file())


class BertEmbedder:
    """A mean-pooled BERT from a sentence-transformers folder; the weights load on first `embed`."""

    def __init__(self, folder: Path, *, name: str, batch_size: int = 32) -> None:
        self.folder = Path(folder)
        self.name = name
        self.batch_size = batch_size
        self._config = read_json(self.folder / "config.json")
        self.dimension = int(self._config["hidden_size"])
        self.max_tokens = int(read_json(self.folder / "sentence_bert_config.json")["max_seq_length"])

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        # Similar lengths batched together: less padding to compute, as sentence-transformers does.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for begin in range(0, len(order), self.batch_size):
            rows = order[begin:begin + self.batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.float32)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1.0
            out[rows] = self._encode(ids, mask)
        return out

    def _encode(self, ids: "np.ndarray", mask: "np.ndarray") -> "np.ndarray":
        """Unit-length mean-pooled vectors for a padded batch of token ids."""
        import numpy as np

        w, heads = self._weights, int(self._config["num_attention_heads"])
        eps = float(self._config.get("layer_norm_eps", 1e-12))
        batch, width = ids.shape
        hidden, size = self.dimension, self.dimension // heads
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:width]
        x += w["embeddings.token_type_embeddings.weight"][0]
        # Token rows as one matrix: BLAS multiplies one big matrix much faster than a stack of small ones.
        x = _layer_norm(x.reshape(batch * width, hidden), w["embeddings.LayerNorm.weight"],
                        w["embeddings.LayerNorm.bias"], eps)
        # Padding gets no attention: a large negative score before the softmax, as transformers does.
        blocked = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1 / math.sqrt(size))
        for layer in range(int(self._config["num_hidden_layers"])):
            p = f"encoder.layer.{layer}."
            qkv = (x @ w[p + "qkv.weight"] + w[p + "qkv.bias"]).reshape(batch, width, 3, heads, size)
            q = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3)) * scale
            k = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))
            v = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3))
            scores = q @ k
            scores += blocked
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * width, hidden)
            attended = context @ w[p + "attention.output.dense.weight"]
            attended += w[p + "attention.output.dense.bias"]
            attended += x
            x = _layer_norm(attended, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], eps)
            inner = x @ w[p + "intermediate.dense.weight"]
            inner += w[p + "intermediate.dense.bias"]
            out = _gelu(inner) @ w[p + "output.dense.weight"]
            out += w[p + "output.dense.bias"]
            out += x
            x = _layer_norm(out, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        x = x.reshape(batch, width, hidden)
        pooled = (x * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    @cached_property
    def _weights(self) -> dict[str, "np.ndarray"]:
        """The tensors as float32, linear layers transposed for `x @ W`, each layer's Q, K, V joined."""
        import numpy as np

        raw = {name.removeprefix("bert."): tensor for name, tensor in _read_safetensors(self.folder / "model.safetensors").items()}
        weights: dict[str, np.ndarray] = {}
        try:
            for name in [n for n in raw if n.startswith(("embeddings.", "encoder.")) and n.endswith((".weight", ".bias"))]:
                tensor = raw[name].astype(np.float32)
                weights[name] = np.ascontiguousarray(tensor.T) if tensor.ndim == 2 and not name.startswith("embeddings.") else tensor
            for layer in range(int(self._config["num_hidden_layers"])):
                p = f"encoder.layer.{layer}."
                parts = [p + f"attention.self.{part}" for part in ("query", "key", "value")]
                weights[p + "qkv.weight"] = np.ascontiguousarray(np.concatenate([weights.pop(n + ".weight") for n in parts], axis=1))
                weights[p + "qkv.bias"] = np.concatenate([weights.pop(n + ".bias") for n in parts])
        except KeyError as exc:
            raise ModelError(f"{self.folder / 'model.safetensors'} lacks the tensor {exc}; reinstall the embedder") from None
        return weights

    @cached_property
    def _tokenizer(self):
        tokenizer = self._load_tokenizer()
        tokenizer.enable_truncation(max_length=self.max_tokens)
        tokenizer.no_padding()  # `embed` pads each length-sorted batch itself
        return tokenizer

    @cached_property
    def _counter(self):
        tokenizer = self._load_tokenizer()
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    def _load_tokenizer(self):
        from tokenizers import Tokenizer

        try:
            return Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        except Exception as exc:  # noqa: BLE001 - the library raises its own untyped errors
            raise ModelError(f"cannot read {self.folder / 'tokenizer.json'}: {exc}; reinstall the embedder") from exc


def _layer_norm(x: "np.ndarray", weight: "np.ndarray", bias: "np.ndarray", eps: float) -> "np.ndarray":
    import numpy as np

    x = x - x.mean(axis=-1, keepdims=True)
    variance = np.einsum("ij,ij->i", x, x)[:, None] / np.float32(x.shape[-1])
    x *= 1 / np.sqrt(variance + np.float32(eps))
    x *= weight
    x += bias
    return x


def _gelu(x: "np.ndarray") -> "np.ndarray":
    """BERT's exact GELU, x·Φ(x), in place, with erf from Abramowitz & Stegun 7.1.26 (error below 1.5e-7)."""
    import numpy as np

    z = np.abs(x)
    z *= np.float32(1 / math.sqrt(2))
    t = z * np.float32(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coefficient)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z
    np.subtract(1, poly, out=poly)  # erf(|x| / √2)
    np.copysign(poly, x, out=poly)
    poly += 1
    x *= poly
    x *= np.float32(0.5)
    return x


def _read_safetensors(path: Path) -> dict[str, "np.ndarray"]:
    """The tensors of a safetensors file (an 8-byte header length, a JSON header, then the raw data)."""
    import numpy as np

    try:
        with open(path, "rb") as handle:
            length = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(length))
            data = handle.read()
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}; reinstall the embedder") from exc
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _DTYPES:
            raise ModelError(f"{path}: tensor {name} has dtype {info['dtype']}, which this reader does not handle")
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data, dtype=_DTYPES[info["dtype"]], count=(end - begin) // np.dtype(_DTYPES[info["dtype"]]).itemsize,
                                      offset=begin).reshape(info["shape"])
    return tensors
