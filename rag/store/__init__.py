"""Where the chunks and their vectors live: a FAISS folder (the default) or a PostgreSQL collection.

`open_store(setting)` picks the store from one setting: a `postgresql://` URL is PostgreSQL
with pgvector (rag.store.postgres), anything else a folder (rag.store.folder). Both follow
`Store`, and what `Store.open` returns follows `Index`, so the pipeline, the server and the eval
harness never know which one they have.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .folder import IndexSpec, VectorIndex

if TYPE_CHECKING:
    import numpy as np

    from ..types import Chunk, Document
    from .indexing import SyncResult

__all__ = ["FolderStore", "Index", "IndexSpec", "Keywords", "Store", "open_store"]


class Keywords(Protocol):
    """Keyword search (BM25): bm25s beside a folder, SQL over `tsvector`s in PostgreSQL."""

    def search(self, query: str, k: int) -> list[int]: ...  # keys of the best chunks sharing a word with `query`


class Index(Protocol):
    """An open index: dense and keyword search, chunks by the keys the searches return, counts."""

    spec: IndexSpec
    chunks: Sequence["Chunk"]  # `len`, iteration, and `[key]` for a key a search returned

    @property
    def documents(self) -> int: ...

    @property
    def keywords(self) -> Keywords: ...

    def search(self, query: "np.ndarray", k: int) -> list[tuple[int, float]]: ...

    def similarity(self, query: "np.ndarray", key: int) -> float: ...

    def list_documents(self) -> list[dict]: ...


class Store(Protocol):
    """A place for an index: says whether it holds one, opens it checked, and brings it in line with documents."""

    location: str | Path  # where the index is, for messages and reports

    def exists(self) -> bool: ...

    def open(self, expect: IndexSpec, *, full: bool = False) -> Index: ...

    def sync(self, documents: Sequence["Document"], spec: IndexSpec, *,
             chunk: Callable[[list["Document"]], list["Chunk"]], embed: Callable[[list["Chunk"]], "np.ndarray"],
             rebuild: bool = False) -> "SyncResult": ...

    def close(self) -> None: ...  # release connections, if it holds any


class FolderStore:
    """The FAISS folder (rag.store.folder): one machine's index, the default."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.location = self.directory

    def exists(self) -> bool:
        return (self.directory / "CURRENT").is_file()

    def open(self, expect: IndexSpec, *, full: bool = False) -> VectorIndex:
        return VectorIndex.open(self.directory, expect, full=full)

    def sync(self, documents, spec, *, chunk, embed, rebuild=False):
        from .indexing import sync_folder

        return sync_folder(self.directory, documents, spec, chunk=chunk, embed=embed, rebuild=rebuild)

    def close(self) -> None:
        """Nothing to release: the folder's files are opened per index."""


def open_store(setting: str | Path, collection: str = "default") -> Store:
    """The store a setting names: a `postgresql://` URL, else a folder."""
    from .postgres import PostgresStore, is_url

    # str.__str__: the whole setting, with its password, where a Location prints without it.
    raw = str.__str__(setting) if isinstance(setting, str) else str(setting)
    if is_url(raw):
        return PostgresStore(raw, collection)
    return FolderStore(Path(raw).expanduser())
