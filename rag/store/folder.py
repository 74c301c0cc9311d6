"""A FAISS index of chunk vectors, stored on disk with the chunk records and the settings that shaped it.

Layout: `DIR/CURRENT` names the live generation `DIR/gen-*/`: vectors.faiss (the search index,
of whatever kind `rag.store.ann` chose), vectors.npy (the raw vectors, kept so an update can reuse
them without assuming the FAISS index can give them back), chunks.jsonl with chunks.offsets.npy
(where each record starts, so a record is read when it is needed, not all of them at open),
keywords/ (the saved BM25 index) and meta.json with the settings, the counts and each file's
sha256. A save writes a new generation aside, fsyncs every file and then meta.json, and only
then swaps `CURRENT` with an atomic rename, so a crash at any moment leaves the previous index
whole; generations a crash left behind are removed by the next save. One writer at a time:
`writer_lock` holds an fcntl lock that the kernel releases if the writer dies.

Opening checks the counts and every file it reads against its sha256, so a damaged index is an
error, never wrong answers. A file is hashed in full once; after that its verification stamp
(rag.store.stamps, in the generation's verified.json) vouches for it while the file is unchanged on
disk, so opening a big index reads only what a search touches (the FAISS lists are mapped, not
loaded). `open(..., full=True)` (`rag check`) hashes every file and parses every record anyway.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import ann
from ..errors import IndexStateError
from .keywords import KeywordIndex
from .stamps import Stamps
from ..types import Chunk

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# 3: chunks carry the pages and sections they span.
FORMAT = 3
_KEYWORDS = "keywords"
_GENERATION = re.compile(r"gen-[\w-]+")
# Directories whose writer lock this process holds, so a save inside an update does not lock twice.
_held: set[Path] = set()


@dataclass(frozen=True)
class IndexSpec:
    """What an index was built with; a query must use the same, or the vectors mean nothing."""

    embedder: str
    dimension: int
    chunk_tokens: int
    chunk_overlap: int


class VectorIndex:
    """Chunks and their unit vectors, searched by inner product (cosine similarity).

    `vectors` holds the raw rows when the index was built here or opened with `with_vectors`;
    only such an index can be saved.
    """

    def __init__(self, spec: IndexSpec, chunks: Sequence[Chunk], faiss_index,
                 vectors: "np.ndarray | None" = None, keywords: KeywordIndex | None = None) -> None:
        self.spec = spec
        self.chunks = chunks if isinstance(chunks, ChunkTable) else list(chunks)
        self.vectors = vectors
        self._faiss = faiss_index
        self._keywords = keywords

    @property
    def keywords(self) -> KeywordIndex:
        """BM25 over the chunk texts: the saved one, else built in memory on first use."""
        if self._keywords is None:
            self._keywords = KeywordIndex.build([chunk.text for chunk in self.chunks])
        return self._keywords

    @classmethod
    def build(cls, spec: IndexSpec, chunks: Sequence[Chunk], vectors: "np.ndarray") -> "VectorIndex":
        """An index of `chunks`, whose rows in `vectors` are unit length."""
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        return cls(spec, chunks, ann.build(vectors, spec.dimension), vectors)

    @property
    def documents(self) -> int:
        return len({chunk.doc_id for chunk in self.chunks})

    def list_documents(self) -> list[dict]:
        """One record per indexed document: its source, title, date and chunk count, by source."""
        found: dict[str, dict] = {}
        for chunk in self.chunks:
            record = found.setdefault(chunk.doc_id, {
                "doc_id": chunk.doc_id, "source": chunk.source, "title": chunk.title,
                "date": chunk.date.isoformat() if chunk.date else None, "chunks": 0})
            record["chunks"] += 1
        return sorted(found.values(), key=lambda r: r["source"])

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
        import numpy as np

        if self.vectors is None:
            raise ValueError("an index opened without its vectors cannot be saved")
        directory.mkdir(parents=True, exist_ok=True)
        with writer_lock(directory):
            live = remove_stale(directory)
            generation = directory / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
            generation.mkdir()
            try:
                with _durable(generation / "vectors.npy") as handle:
                    np.save(handle, np.ascontiguousarray(self.vectors, dtype=np.float32), allow_pickle=False)
                faiss.write_index(self._faiss, str(generation / "vectors.faiss"))
                _fsync(generation / "vectors.faiss")
                offsets = np.zeros(len(self.chunks) + 1, dtype=np.int64)
                with _durable(generation / "chunks.jsonl") as handle:
                    for row, chunk in enumerate(self.chunks):
                        record = (json.dumps(_chunk_record(chunk), ensure_ascii=False) + "\n").encode("utf-8")
                        handle.write(record)
                        offsets[row + 1] = offsets[row] + len(record)
                with _durable(generation / "chunks.offsets.npy") as handle:
                    np.save(handle, offsets, allow_pickle=False)
                self.keywords.save(generation / _KEYWORDS)
                for path in (generation / _KEYWORDS).iterdir():
                    _fsync(path)
                _fsync(generation / _KEYWORDS)
                names = ["vectors.faiss", "vectors.npy", "chunks.jsonl", "chunks.offsets.npy",
                         *sorted(f"{_KEYWORDS}/{p.name}" for p in (generation / _KEYWORDS).iterdir())]
                meta = {"format": FORMAT, "spec": asdict(self.spec), "chunks": len(self.chunks),
                        "documents": self.documents, "created": dt.datetime.now(dt.UTC).isoformat(),
                        "sha256": {name: _sha256(generation / name) for name in names}}
                with _durable(generation / "meta.json") as handle:
                    handle.write(json.dumps(meta, indent=2).encode())
                _fsync(generation)
                with _durable(directory / "CURRENT.tmp") as handle:
                    handle.write(generation.name.encode())
                os.replace(directory / "CURRENT.tmp", directory / "CURRENT")
                _fsync(directory)
                log.info("%s is live", generation.name)
            except BaseException:
                shutil.rmtree(generation, ignore_errors=True)
                raise
            if live:
                shutil.rmtree(directory / live, ignore_errors=True)

    @classmethod
    def open(cls, directory: Path, expect: IndexSpec, *, with_vectors: bool = False,
             full: bool = False) -> "VectorIndex":
        """The live index in `directory`, checked whole and built with `expect`.

        `with_vectors` also loads and checks the raw vectors, which an update needs. `full`
        hashes every file whatever its stamp says and parses every chunk record (`rag check`).
        """
        if not (directory / "CURRENT").is_file():
            raise IndexStateError(f"no index at {directory}: run `rag index --index {directory} PATH`")
        for _ in range(3):
            live = _live_name(directory)
            if live is None or not _GENERATION.fullmatch(live):
                raise _damaged(directory, "CURRENT names no generation")
            try:
                return cls._load(directory, directory / live, expect, with_vectors, full=full)
            except FileNotFoundError as exc:
                # A writer may have swapped in a new generation and removed this one meanwhile.
                if _live_name(directory) == live:
                    raise _damaged(directory, f"{Path(exc.filename).name} is missing in {live}") from None
        raise IndexStateError(f"the index at {directory} keeps changing while it is read; try again")

    @classmethod
    def _load(cls, directory: Path, generation: Path, expect: IndexSpec, with_vectors: bool, *,
              full: bool = False) -> "VectorIndex":
        import faiss
        import numpy as np

        try:
            meta = json.loads((generation / "meta.json").read_text())
            if meta.get("format") != FORMAT:
                raise IndexStateError(f"the index at {directory} has format {meta.get('format')}, but this "
                                      f"version reads format {FORMAT}; {_rebuild(directory)}")
            spec = IndexSpec(**meta["spec"])
            count, sums = int(meta["chunks"]), dict(meta["sha256"])
        except FileNotFoundError:
            raise
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise _damaged(directory, f"meta.json is unreadable or incomplete: {type(exc).__name__}") from None
        if spec != expect:
            raise IndexStateError(f"the index at {directory} was built with {_describe(spec)}, "
                                  f"but this run uses {_describe(expect)}; {_rebuild(directory)}")
        # Older indexes have no offsets or keywords: their records are parsed up front, BM25 built here.
        keyword_files = sorted(name for name in sums if name.startswith(f"{_KEYWORDS}/"))
        checked = ["vectors.faiss", "chunks.jsonl", *(["chunks.offsets.npy"] if "chunks.offsets.npy" in sums else []),
                   *keyword_files, *(["vectors.npy"] if with_vectors else [])]
        if full:
            checked += sorted(set(sums) - set(checked))
        stamps = Stamps(generation / "verified.json")
        try:
            for name in checked:
                if stamps.sha256(generation / name, key=name, trust=not full) != sums.get(name):
                    raise _damaged(directory, f"{name} does not match its checksum")
        finally:
            stamps.save()
        try:
            if "chunks.offsets.npy" in sums:
                chunks = ChunkTable(generation / "chunks.jsonl", np.load(generation / "chunks.offsets.npy",
                                                                         allow_pickle=False))
                if full:
                    list(chunks)
            else:
                lines = (generation / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
                chunks = [_chunk_from_record(json.loads(line)) for line in lines]
        except (ValueError, TypeError, KeyError, AttributeError, IndexStateError) as exc:
            raise _damaged(directory, f"chunks.jsonl holds a bad record: {type(exc).__name__}") from None
        try:
            # Mapped, not read: an IVF index's lists are paged in as searches touch them.
            searched = faiss.read_index(str(generation / "vectors.faiss"), faiss.IO_FLAG_MMAP)
        except RuntimeError:
            raise _damaged(directory, "vectors.faiss unreadable") from None
        keywords = None
        if keyword_files:
            try:
                keywords = KeywordIndex.load(generation / _KEYWORDS)
            except (OSError, ValueError, KeyError) as exc:
                raise _damaged(directory, f"the keyword index is unreadable: {type(exc).__name__}") from None
        vectors = np.load(generation / "vectors.npy", allow_pickle=False) if with_vectors else None
        counts = {searched.ntotal, len(chunks), count, *(() if vectors is None else (len(vectors),)),
                  *(() if keywords is None else (keywords.count,))}
        if counts != {count}:
            raise _damaged(directory, f"{searched.ntotal} vectors for {len(chunks)} chunks, {count} expected")
        dimensions = {searched.d, *(() if vectors is None else (vectors.shape[-1],))}
        if dimensions != {spec.dimension}:
            raise _damaged(directory, f"vectors of {sorted(dimensions)} dimensions, {spec.dimension} expected")
        return cls(spec, chunks, searched, vectors, keywords)


class ChunkTable(Sequence):
    """The chunk records of a saved index, each parsed from chunks.jsonl when it is asked for.

    Parsing a million records takes seconds and a gigabyte; a question reads about ten. The
    file is mapped, and `offsets[i]` is where record `i` starts.
    """

    def __init__(self, path: Path, offsets: "np.ndarray") -> None:
        import mmap

        self.path = path
        self._offsets = offsets
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        if offsets.ndim != 1 or len(offsets) < 1 or int(offsets[0]) != 0 or int(offsets[-1]) != size:
            raise ValueError("the chunk offsets do not span chunks.jsonl")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        begin, end = int(self._offsets[position]), int(self._offsets[position + 1])
        try:
            return _chunk_from_record(json.loads(self._data[begin:end]))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IndexStateError(f"the index at {self.path.parent.parent} is damaged (chunks.jsonl holds a bad "
                                  f"record: {type(exc).__name__}); {_rebuild(self.path.parent.parent)}") from None

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None


@contextmanager
def writer_lock(directory: Path) -> Iterator[None]:
    """Hold the one writer's lock on `directory`, or fail at once with a message saying who has it."""
    key = directory.resolve()
    if key in _held:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexStateError(f"another `rag index` is writing to {directory}; wait for it to finish") from None
        _held.add(key)
        try:
            yield
        finally:
            _held.discard(key)


def remove_stale(directory: Path) -> str | None:
    """Remove the generations that `CURRENT` does not name (what crashed writers left); the live name.

    Call it only while holding `writer_lock`: a writer's new generation is not yet named.
    """
    live = _live_name(directory)
    for stale in directory.glob("gen-*"):
        if stale.name != live:
            shutil.rmtree(stale, ignore_errors=True)
    return live


def _live_name(directory: Path) -> str | None:
    try:
        return (directory / "CURRENT").read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _rebuild(directory: Path) -> str:
    return f"rebuild it: rag index --rebuild --index {directory} PATH"


def _damaged(directory: Path, detail: str) -> IndexStateError:
    return IndexStateError(f"the index at {directory} is damaged ({detail}); {_rebuild(directory)}")


def _describe(spec: IndexSpec) -> str:
    return (f"embedder {spec.embedder} ({spec.dimension} dimensions), "
            f"chunks of {spec.chunk_tokens} tokens with {spec.chunk_overlap} overlap")


def _chunk_record(chunk: Chunk) -> dict:
    record = dict(vars(chunk))  # not `asdict`, whose deep copy dominates writing a big index
    record["date"] = chunk.date.isoformat() if chunk.date else None
    return record


def _chunk_from_record(record: dict) -> Chunk:
    date = dt.date.fromisoformat(record["date"]) if record["date"] else None
    marks = {key: tuple(tuple(mark) for mark in record.get(key, ())) for key in ("pages", "sections")}
    chunk = Chunk(**{**record, "date": date, **marks})
    if chunk.end - chunk.start != len(chunk.text):
        raise ValueError("a chunk's span does not fit its text")
    return chunk


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@contextmanager
def _durable(path: Path) -> Iterator:
    """A new file whose writes are on disk when the block ends."""
    with open(path, "wb") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
