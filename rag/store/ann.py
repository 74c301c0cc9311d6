"""Which FAISS index holds the chunk vectors: the one place that decides, so the choice can follow size.

Vectors are unit length and compared by inner product (cosine similarity). Below `FLAT_LIMIT`
vectors the index is exact (flat); above it, an inverted file (IVF) of about 2·√n clusters, of
which `probes` are searched per query. The limits come from `python -m bench --only scale` on
clustered synthetic vectors (README, Benchmarks). Both kinds keep their search parameter
through faiss serialisation and can `reconstruct` a stored vector (IVF via its direct map).
HNSW was measured too and not chosen: it cannot remove vectors, its graph adds ~260 bytes per
vector, and building it at 1M vectors on two cores takes many minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# Exact search reads every vector per query (1.5 KB each): about 10 ms at 100k on two cores.
FLAT_LIMIT = 50_000
# k-means sees at most this many points per cluster: more buys no recall, only build time.
_TRAIN_PER_LIST = 64
_SEED = 0


@dataclass(frozen=True)
class Layout:
    """How vectors are indexed: exact when `lists` is 0, else IVF with `lists` clusters, `probes` searched."""

    lists: int = 0
    probes: int = 0

    @property
    def kind(self) -> str:
        return "flat" if self.lists == 0 else f"IVF{self.lists}, nprobe {self.probes}"


def layout_for(count: int) -> Layout:
    """The layout for an index of `count` vectors."""
    if count < FLAT_LIMIT:
        return Layout()
    # About 2·√n lists and 16 probes (bench/results/2026-11-23-full.md, clustered vectors): at 100k,
    # IVF512 with 16 probes has recall@10 0.962 in 0.7 ms (IVF256: 0.943 in 1.1 ms); at 1M,
    # IVF2048 with 16 probes has 1.000 in 1.5 ms where IVF1024 needed 64 probes and 12 ms.
    lists = 2 ** round(math.log2(2 * math.sqrt(count)))
    return Layout(lists=lists, probes=max(16, lists // 128))


def build(vectors: "np.ndarray", dimension: int, layout: Layout | None = None):
    """A FAISS index over `vectors` (rows of unit length), searched by inner product."""
    import faiss

    layout = layout or layout_for(len(vectors))
    if layout.lists == 0:
        index = faiss.IndexFlatIP(dimension)
        if len(vectors):
            index.add(vectors)
        return index
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, layout.lists, faiss.METRIC_INNER_PRODUCT)
    # Unit vectors: cluster centres on the sphere too, so the inner product picks the right lists.
    index.cp.spherical = True
    index.cp.seed = _SEED
    # Ten k-means rounds, not faiss's 25: the build is the slow part; bench/ measured recall with ten.
    index.cp.niter = 10
    index.train(_training_sample(vectors, layout.lists * _TRAIN_PER_LIST))
    index.add(vectors)
    index.nprobe = layout.probes
    # `VectorIndex.similarity` reconstructs stored vectors by position.
    index.make_direct_map()
    return index


def _training_sample(vectors: "np.ndarray", size: int) -> "np.ndarray":
    import numpy as np

    if len(vectors) <= size:
        return vectors
    rows = np.random.default_rng(_SEED).choice(len(vectors), size=size, replace=False)
    return vectors[np.sort(rows)]
