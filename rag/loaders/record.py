"""What every loader returns, whatever the format: the text and the structure found around it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path


class Unreadable(Exception):
    """A file that cannot be a document; the message is the one-line reason shown to the user."""


@dataclass(frozen=True)
class Loaded:
    """A file's text, title and date, with page starts and section headings as offsets into `text`.

    `pages[n - 1]` is where page n begins (empty for formats without pages); `sections` holds
    `(offset, heading)` pairs in order, each heading's section running to the next one.
    """

    text: str
    title: str
    date: dt.date | None
    pages: tuple[int, ...] = ()
    sections: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Options:
    """How files are read: whether scans are read by OCR, its limits, and where what it read is kept."""

    ocr: bool = True
    ocr_max_pages: int = 200
    ocr_page_seconds: float = 60.0
    cache_dir: Path | None = None  # None: OCR results are not kept
