"""Which FAISS index holds the chunk vectors: the one place that decides, so the choice can follow size.

Vectors are unit length and compared by inner product (cosine similarity).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def build(vectors: "np.ndarray", dimension: int):
    """A FAISS index over `vectors` (rows of unit length), searched by inner product."""
    import faiss

    index = faiss.IndexFlatIP(dimension)
    if len(vectors):
        index.add(vectors)
    return index
