"""Where the chunks and their vectors live: a FAISS folder (the default) or a PostgreSQL collection.

`open_store(setting)` picks the store from one setting: a `postgresql://` URL is PostgreSQL
with pgvector (rag.store.postgres), anything else a folder (rag.store.folder). Both follow
`Store`, and what `Store.open` returns follows `Index`, so the pipeline, the server and the eval
harness never know which one they have.
"""

from __future__ import annotations

from pathlib import Path

from .folder import IndexSpec, VectorIndex
from .protocol import Index, Keywords, Store, SyncResult

__all__ = ["FolderStore", "Index", "IndexSpec", "Keywords", "Store", "SyncResult", "open_store"]


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
