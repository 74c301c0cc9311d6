"""Synthetic chunk vectors and texts for the index-scale benchmark and nothing else.

Vectors: a mixture of Gaussian topics in a low-dimensional latent space, mapped into 384
dimensions by a random orthonormal basis, plus isotropic noise and a shared offset, then unit
normalised. Sentence embeddings look like that (few effective dimensions, topical clusters, all
vectors leaning one way); uniform random 384-d vectors do not, and make every index look worse
than on any real corpus. Texts: words drawn with the frequencies of the seeds/ corpus, so BM25
posting lists have a natural (Zipf-like) shape.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

LATENT = 32
TOPICS = 2000
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


class ClusteredVectors:
    """Draws unit vectors from one fixed mixture, so corpus and queries share their topics."""

    def __init__(self, dimension: int = 384, *, seed: int = 0, topics: int = TOPICS,
                 noise: float = 0.15, offset: float = 0.7) -> None:
        rng = np.random.default_rng(seed)
        self.dimension = dimension
        self.centres = rng.standard_normal((topics, LATENT)).astype(np.float32)
        # Within a topic, spread along a few directions only, as paraphrases of one subject do.
        self.spread = rng.uniform(0.3, 0.8, size=(topics, LATENT)).astype(np.float32)
        basis, _ = np.linalg.qr(rng.standard_normal((dimension, LATENT)))
        self.basis = basis.T.astype(np.float32)
        mean = rng.standard_normal(dimension).astype(np.float32)
        self.offset = offset * mean / np.linalg.norm(mean) * np.sqrt(LATENT)
        self.noise = noise

    def sample(self, count: int, *, seed: int, batch: int = 100_000) -> np.ndarray:
        """`count` unit vectors, float32, row-major, generated in batches to bound memory."""
        rng = np.random.default_rng(seed)
        out = np.empty((count, self.dimension), dtype=np.float32)
        for begin in range(0, count, batch):
            n = min(batch, count - begin)
            topic = rng.integers(0, len(self.centres), size=n)
            latent = self.centres[topic] + self.spread[topic] * rng.standard_normal((n, LATENT), dtype=np.float32)
            rows = latent @ self.basis + self.offset
            rows += self.noise * rng.standard_normal((n, self.dimension), dtype=np.float32)
            rows /= np.linalg.norm(rows, axis=1, keepdims=True)
            out[begin:begin + n] = rows
        return out


def mean_pair_cosine(vectors: np.ndarray, *, pairs: int = 20_000, seed: int = 0) -> float:
    """The mean cosine of random pairs of rows: how much the vectors lean one way."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(vectors), size=(2, pairs))
    keep = a != b
    return float(np.mean(np.sum(vectors[a[keep]] * vectors[b[keep]], axis=1)))


def texts(count: int, corpus: Path, *, words: int = 80, seed: int = 0) -> list[str]:
    """`count` texts of `words` words drawn with the word frequencies of the files in `corpus`."""
    counts = Counter(w.lower() for f in sorted(corpus.glob("*")) if f.is_file()
                     for w in _WORD.findall(f.read_text(encoding="utf-8")))
    vocabulary = np.array(list(counts))
    weights = np.array(list(counts.values()), dtype=np.float64)
    rng = np.random.default_rng(seed)
    drawn = rng.choice(vocabulary, size=(count, words), p=weights / weights.sum())
    return [" ".join(row) for row in drawn]
