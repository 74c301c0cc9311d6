"""Load documents from files and folders, each file read by the loader its content calls for.

Reads text, Markdown, PDF, HTML, Word, PowerPoint, Excel, CSV, EPUB and image files (`rag.loaders`), recursively for folders,
following linked folders but visiting each real folder once, so a symlink loop ends. A file
that cannot be a document is skipped with the reason (empty, binary, not UTF-8, encrypted, no
text layer, corrupt, a zip bomb, ...), and the others are still loaded.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import loaders
from .errors import InputError
from .loaders import SUFFIXES, Loaded, Options, Unreadable
from .loaders.text import parse
from .types import Document


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why."""

    path: str
    reason: str


def load_documents(paths: Iterable[str | Path], options: Options = Options()) -> tuple[list[Document], list[Skipped]]:
    """Documents under `paths`, in path order, plus the files skipped with the reason; `options` say how to read them."""
    documents: list[Document] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for path in _files(paths, skipped):
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                # A FIFO or device named like a text file would block the read or never end.
                skipped.append(Skipped(str(path), "not a regular file"))
                continue
            loaded = loaders.load(path, options)
        except OSError as exc:
            skipped.append(Skipped(str(path), f"unreadable ({exc.strerror})"))
            continue
        except Unreadable as exc:
            skipped.append(Skipped(str(path), str(exc)))
            continue
        # Absolute paths keep citations and eval evidence comparable from any working directory.
        document = make_document(loaded, source=str(path.resolve()))
        if document.id in seen:
            skipped.append(Skipped(str(path), "duplicate of a file already loaded"))
            continue
        seen.add(document.id)
        documents.append(document)
    return documents, skipped


def read_options(settings) -> Options:
    """How `settings` (a `rag.settings.Settings`) say files are read: OCR, its limits, its cache."""
    return Options(ocr=settings.ocr, ocr_max_pages=settings.ocr_max_pages,
                   ocr_page_seconds=settings.ocr_page_seconds, cache_dir=settings.cache_dir / "ocr")


def parse_document(text: str, source: str) -> Document:
    """A `Document` for `text`, with its title and the date the text gives, if any."""
    return make_document(parse(text, markdown=source.endswith((".md", ".markdown"))), source)


def make_document(loaded: Loaded, source: str) -> Document:
    """The `Document` for what a loader read from `source`."""
    return Document(id=content_id(loaded.text, loaded.pages, loaded.sections), source=source, title=loaded.title, date=loaded.date,
                    text=loaded.text, pages=loaded.pages, sections=loaded.sections)


def content_id(text: str, pages: tuple[int, ...] = (), sections: tuple[tuple[int, str], ...] = ()) -> str:
    """A stable id from the content alone: the text, and where its pages and sections start."""
    digest = hashlib.sha256(text.encode("utf-8"))
    if pages or sections:
        # Chunks carry these marks, so the same text paged otherwise is another document.
        digest.update(("\0" + repr((pages, sections))).encode("utf-8"))
    return digest.hexdigest()[:16]


def _files(paths: Iterable[str | Path], skipped: list[Skipped]) -> Iterator[Path]:
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            raise InputError(f"no such file or folder: {given}; check the path")
        if path.is_file():
            yield path
            continue
        found = sorted(_walk(path, skipped))
        if not found:
            raise InputError(f"no documents (.txt, .md, .pdf, .html, .docx, .pptx, .xlsx, .csv, .epub, .png, .jpg, "
                             f".tif) in {given}; point at a folder of them")
        yield from found


def _walk(root: Path, skipped: list[Skipped]) -> Iterator[Path]:
    """Text files under `root`, hidden ones left out; linked folders are followed, each real folder once."""
    visited: set[tuple[int, int]] = set()

    def unreadable(error: OSError) -> None:
        skipped.append(Skipped(str(error.filename), f"unreadable folder ({error.strerror})"))

    for folder, subfolders, names in os.walk(root, onerror=unreadable, followlinks=True):
        info = os.stat(folder)
        visited.add((info.st_dev, info.st_ino))
        kept = []
        for name in subfolders:
            if name.startswith("."):
                continue
            try:
                info = os.stat(os.path.join(folder, name))
            except OSError as exc:
                skipped.append(Skipped(os.path.join(folder, name), f"unreadable folder ({exc.strerror})"))
                continue
            if (info.st_dev, info.st_ino) in visited:
                skipped.append(Skipped(os.path.join(folder, name), "folder already visited (a symlink loop?)"))
                continue
            visited.add((info.st_dev, info.st_ino))
            kept.append(name)
        subfolders[:] = kept
        for name in names:
            if not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES:
                yield Path(folder, name)
