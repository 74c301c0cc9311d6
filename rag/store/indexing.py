"""Bring the index in line with the documents under some paths, embedding only what changed.

A document is identified by its resolved path, and its version by the hash of its content
(`Document.id`). A chunk's id is `<content hash>:<start offset>`, so a document whose content is
already in the index keeps its chunks, their ids and their vectors, and is not embedded again
(even when it was moved or renamed). New and changed documents are chunked and embedded;
documents that are no longer under the paths are dropped: the index mirrors the paths given.
`rebuild` ignores the old index and embeds everything.

An index built with another embedder or other chunk settings cannot be updated, since its
vectors mean something else: that is an error asking for `--rebuild`, not a silent re-embedding
of the whole corpus. What is shared here is loading, chunking and embedding; each store (`Store.sync`)
decides how its writes land: the folder writes a new generation under its writer lock, turning
a second writer away before it embeds anything; PostgreSQL replaces each document in a transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..chunking import chunk_documents
from ..documents import Options, Skipped, load_documents
from ..embeddings import Embedder
from ..errors import InputError
from ..settings import check_chunks_fit
from ..types import Chunk, Document
from .folder import IndexSpec, VectorIndex, remove_stale, writer_lock
from .protocol import Index, Store, SyncResult

if TYPE_CHECKING:
    import numpy as np


log = logging.getLogger(__name__)

_EMBED_BATCH = 64


@dataclass(frozen=True)
class IndexReport:
    """What an index run did: what the index now holds, and what had to be embedded for it."""

    index_dir: Path | str  # where the index lives: a folder, or a PostgreSQL collection
    documents: int
    chunks: int
    skipped: tuple[Skipped, ...] = field(default=())
    seconds: float = 0.0
    changed: int = 0    # documents new or changed since the last run, so embedded now
    embedded: int = 0   # chunks embedded now
    dropped: int = 0    # documents of the last index that are gone, or changed into a new version


def update_index(store: Store, paths: Iterable[str | Path], embedder: Embedder, spec: IndexSpec, *,
                 rebuild: bool = False, progress: Callable[[int, int], None] | None = None,
                 options: Options = Options()) -> tuple[Index, IndexReport]:
    """Index the documents under `paths` into `store`, reusing what it holds."""
    started = time.perf_counter()
    paths = list(paths)
    check_chunks_fit(spec.chunk_tokens, embedder.max_tokens, embedder.name)
    documents, skipped = load_documents(paths, options)
    if not documents:
        raise InputError("no readable documents in " + ", ".join(map(str, paths))
                         + "; give PDF, HTML, Word, Markdown or UTF-8 text files (the warnings above say why each was skipped)")
    log.info("loaded %d documents (%d files skipped)", len(documents), len(skipped))
    counts = {"total": 0, "done": 0}

    def chunk(fresh: list[Document]) -> list[Chunk]:
        chunks = chunk_documents(fresh, count_tokens=embedder.count_tokens, chunk_tokens=spec.chunk_tokens,
                                 chunk_overlap=spec.chunk_overlap)
        counts["total"] = len(chunks)
        return chunks

    def embed(chunks: list[Chunk]) -> "np.ndarray":
        # A store may embed in several calls (PostgreSQL: a group of documents at a time); progress counts them all.
        step = None if progress is None else (lambda done, _: progress(counts["done"] + done, counts["total"]))
        vectors = _embed(embedder, chunks, step)
        counts["done"] += len(chunks)
        return vectors

    result = store.sync(documents, spec, rebuild=rebuild, chunk=chunk, embed=embed)
    report = IndexReport(index_dir=store.location, documents=len(documents), chunks=result.chunks,
                         skipped=tuple(skipped), seconds=time.perf_counter() - started,
                         changed=result.changed, embedded=result.embedded, dropped=result.dropped)
    return result.index, report


def sync_folder(directory: Path, documents: Sequence[Document], spec: IndexSpec, *,
                chunk: Callable[[list[Document]], list[Chunk]], embed: Callable[[list[Chunk]], "np.ndarray"],
                rebuild: bool = False) -> SyncResult:
    """The FAISS folder's sync: a new generation with every document's chunks, swapped in whole."""
    with writer_lock(directory):
        old = None
        if not rebuild and (directory / "CURRENT").is_file():
            old = VectorIndex.open(directory, spec)
        kept = _rows_by_document(old.chunks if old else [])
        fresh = [d for d in documents if d.id not in kept]
        dropped = len(set(kept) - {d.id for d in documents})
        new_chunks = chunk(fresh)
        log.info("%d documents unchanged, %d new or changed (%d chunks to embed), %d dropped",
                 len(documents) - len(fresh), len(fresh), len(new_chunks), dropped)
        chunks, reused, added = _plan(documents, old, kept, new_chunks)
        if old is not None and chunks == old.chunks:
            log.info("the index is up to date")
            remove_stale(directory)
            index = old
        else:
            new_vectors = embed(new_chunks)
            if reused:
                # Only now are the old vectors read: an unchanged corpus never loads them.
                old = VectorIndex.open(directory, spec, with_vectors=True)
            vectors = _gather(len(chunks), reused, old.vectors if reused else None, added, new_vectors)
            log.info("writing the index: %d chunks", len(chunks))
            index = VectorIndex.build(spec, chunks, vectors)
            index.save(directory)
    return SyncResult(index=index, chunks=len(chunks), changed=len(fresh), embedded=len(new_chunks), dropped=dropped)


def _rows_by_document(chunks: Sequence[Chunk]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(chunks):
        rows.setdefault(chunk.doc_id, []).append(row)
    return rows


def _embed(embedder: Embedder, chunks: Sequence[Chunk], progress: Callable[[int, int], None] | None):
    import numpy as np

    vectors = np.empty((len(chunks), embedder.dimension), dtype=np.float32)
    if chunks:
        log.info("embedding %d chunks", len(chunks))
    for begin in range(0, len(chunks), _EMBED_BATCH):
        batch = chunks[begin:begin + _EMBED_BATCH]
        vectors[begin:begin + len(batch)] = embedder.embed([c.text for c in batch])
        done = begin + len(batch)
        log.info("embedded %d/%d chunks", done, len(chunks))
        if progress:
            progress(done, len(chunks))
    return vectors


def _plan(documents: Sequence[Document], old: VectorIndex | None, kept: dict[str, list[int]],
          new_chunks: Sequence[Chunk]) -> tuple[list[Chunk], list[tuple[int, int]], list[tuple[int, int]]]:
    """Every document's chunks in document order, and where each one's vector comes from.

    Returns the chunks, then (position, row in the old vectors) for reused chunks and (position,
    row in the new vectors) for new ones.
    """
    new_rows = _rows_by_document(new_chunks)
    chunks: list[Chunk] = []
    reused: list[tuple[int, int]] = []
    added: list[tuple[int, int]] = []
    for document in documents:
        if document.id in kept:
            for row in kept[document.id]:
                reused.append((len(chunks), row))
                # Same content, so same chunks; only where the file lives (and so its title) may differ.
                chunks.append(replace(old.chunks[row], source=document.source, title=document.title,
                                      date=document.date))
        else:
            for row in new_rows.get(document.id, []):
                added.append((len(chunks), row))
                chunks.append(new_chunks[row])
    return chunks, reused, added


def _gather(count: int, reused: list[tuple[int, int]], old_vectors, added: list[tuple[int, int]], new_vectors):
    """The planned chunks' vectors: reused rows of the old vectors, and rows of the new ones."""
    import numpy as np

    if not reused:
        return new_vectors  # every chunk is new, and in order already
    # Filled in place: a big index is not copied more than once.
    vectors = np.empty((count, old_vectors.shape[1]), dtype=np.float32)
    for pairs, rows_from in ((reused, old_vectors), (added, new_vectors)):
        if pairs:
            positions, rows = np.asarray(pairs, dtype=np.int64).T
            vectors[positions] = rows_from[rows]
    return vectors
