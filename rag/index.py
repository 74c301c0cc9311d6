"""A FAISS index of chunk vectors, stored on disk with the chunk records and the settings that shaped it.

Layout: `DIR/CURRENT` names the live generation `DIR/gen-*/` (vectors.faiss, chunks.jsonl,
meta.json). A save writes a new generation aside, flushes it, and only then swaps `CURRENT`
with an atomic rename, so a crash leaves the previous index whole. Exact (flat) search only.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import ann
from .errors import IndexStateError
from .types import Chunk

if TYPE_CHECKING:
    import numpy as np

FORMAT = 1
_FILES = ("vectors.faiss", "chunks.jsonl")


@dataclass(frozen=True)
class IndexSpec:
    """What an index was built with; a query must use the same, or the vectors mean nothing."""

    embedder: str
    dimension: int
    chunk_tokens: int
    chunk_overlap: int


class VectorIndex:
    """Chunks and their unit vectors, searched by inner product (cosine similarity)."""

    def __init__(self, spec: IndexSpec, chunks: Sequence[Chunk], faiss_index) -> None:
        self.spec = spec
        self.chunks = list(chunks)
        self._faiss = faiss_index

    @classmethod
    def build(cls, spec: IndexSpec, chunks: Sequence[Chunk], vectors: "np.ndarray") -> "VectorIndex":
        """An index of `chunks`, whose rows in `vectors` are unit length."""
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        return cls(spec, chunks, ann.build(vectors, spec.dimension))

    @property
    def documents(self) -> int:
        return len({chunk.doc_id for chunk in self.chunks})

    def search(self, query: "np.ndarray", k: int) -> list[tuple[int, float]]:
        """Positions in `chunks` of the `k` nearest to one query vector, with their cosine, best first."""
        if not self.chunks:
            return []
        scores, ids = self._faiss.search(query.reshape(1, -1), min(k, len(self.chunks)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def similarity(self, query: "np.ndarray", position: int) -> float:
        """The cosine between a query vector and one stored chunk."""
        return float(self._faiss.reconstruct(position) @ query)

    def save(self, directory: Path) -> None:
        """Write the index as a new generation and make it live atomically."""
        import faiss

        directory.mkdir(parents=True, exist_ok=True)
        with _writer_lock(directory):
            generation = directory / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
            generation.mkdir()
            try:
                blobs = {
                    "vectors.faiss": faiss.serialize_index(self._faiss).tobytes(),
                    "chunks.jsonl": "".join(json.dumps(_chunk_record(c), ensure_ascii=False) + "\n"
                                            for c in self.chunks).encode("utf-8"),
                }
                for name, blob in blobs.items():
                    _write_durably(generation / name, blob)
                meta = {"format": FORMAT, "spec": asdict(self.spec), "chunks": len(self.chunks),
                        "documents": self.documents, "created": dt.datetime.now(dt.UTC).isoformat(),
                        "sha256": {name: hashlib.sha256(blob).hexdigest() for name, blob in blobs.items()}}
                _write_durably(generation / "meta.json", json.dumps(meta, indent=2).encode())
                _fsync_dir(generation)
                _write_durably(directory / "CURRENT.tmp", generation.name.encode())
                os.replace(directory / "CURRENT.tmp", directory / "CURRENT")
                _fsync_dir(directory)
            except BaseException:
                shutil.rmtree(generation, ignore_errors=True)
                raise
            for old in directory.glob("gen-*"):
                if old != generation:
                    shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def open(cls, directory: Path, expect: IndexSpec) -> "VectorIndex":
        """The live index in `directory`, checked whole and built with `expect`."""
        import faiss
        import numpy as np

        rebuild = f"rebuild it: rag index --index {directory} PATH"
        pointer = directory / "CURRENT"
        if not pointer.is_file():
            raise IndexStateError(f"no index at {directory}: run `rag index --index {directory} PATH`")
        generation = directory / pointer.read_text().strip()
        try:
            meta = json.loads((generation / "meta.json").read_text())
            blobs = {name: (generation / name).read_bytes() for name in _FILES}
        except (OSError, ValueError) as exc:
            raise IndexStateError(f"the index at {directory} is damaged ({exc}); {rebuild}") from None
        if meta.get("format") != FORMAT:
            raise IndexStateError(f"the index at {directory} has an old format; {rebuild}")
        for name, blob in blobs.items():
            if hashlib.sha256(blob).hexdigest() != meta["sha256"][name]:
                raise IndexStateError(f"the index file {generation / name} is damaged (checksum mismatch); {rebuild}")
        spec = IndexSpec(**meta["spec"])
        if spec != expect:
            raise IndexStateError(f"the index at {directory} was built with {_describe(spec)}, "
                                  f"but this run uses {_describe(expect)}; {rebuild}")
        chunks = [_chunk_from_record(json.loads(line)) for line in blobs["chunks.jsonl"].decode().splitlines()]
        flat = faiss.deserialize_index(np.frombuffer(blobs["vectors.faiss"], dtype=np.uint8))
        if flat.ntotal != len(chunks) or len(chunks) != meta["chunks"]:
            raise IndexStateError(f"the index at {directory} holds {flat.ntotal} vectors for "
                                  f"{len(chunks)} chunks; {rebuild}")
        return cls(spec, chunks, flat)


def _describe(spec: IndexSpec) -> str:
    return (f"embedder {spec.embedder} ({spec.dimension} dimensions), "
            f"chunks of {spec.chunk_tokens} tokens with {spec.chunk_overlap} overlap")


def _chunk_record(chunk: Chunk) -> dict:
    record = asdict(chunk)
    record["date"] = chunk.date.isoformat() if chunk.date else None
    return record


def _chunk_from_record(record: dict) -> Chunk:
    date = dt.date.fromisoformat(record["date"]) if record["date"] else None
    return Chunk(**{**record, "date": date})


def _write_durably(path: Path, blob: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(blob)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _writer_lock(directory: Path) -> Iterator[None]:
    with open(directory / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexStateError(f"another `rag index` is writing to {directory}; wait for it to finish") from None
        yield
