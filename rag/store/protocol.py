"""The protocols every store follows: `Store` (a place for an index), `Index` (an open one), `Keywords`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .folder import IndexSpec

if TYPE_CHECKING:
    import numpy as np

    from ..types import Chunk, Document


class Keywords(Protocol):
    """Keyword search (BM25): bm25s beside a folder, SQL over the same words in PostgreSQL."""

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
             rebuild: bool = False) -> SyncResult: ...

    def close(self) -> None: ...  # release connections, if it holds any



@dataclass(frozen=True)
class SyncResult:
    """What a store's sync left in it, and what it had to do for it."""

    index: Index
    chunks: int
    changed: int    # documents new or changed since the last run
    embedded: int   # chunks embedded now
    dropped: int    # documents of the last index that are gone, or changed into a new version
