"""Read a file into a `Loaded` record, the format chosen from the file's first bytes, not its name.

One module per format, each with `read(path) -> Loaded` that raises `Unreadable` with the
reason a file cannot be a document: `text` (plain text and Markdown), `pdf`, `html`, `docx`.
A new format is one new module and one line in `_READERS` and `detect`. The libraries behind
them are imported on first use, so commands that load no file do not pay for them.
"""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path

from .record import Loaded, Unreadable

__all__ = ["SUFFIXES", "Loaded", "Unreadable", "detect", "load"]

# The names a folder walk picks up; which reader reads a file is decided by its content.
SUFFIXES = frozenset({".txt", ".md", ".markdown", ".pdf", ".html", ".htm", ".xhtml", ".docx"})
_READERS = {"pdf": "pdf", "docx": "docx", "html": "html", "markdown": "text", "text": "text"}
_HEAD = 4096
_HTML_MARKS = (b"<!doctype html", b"<html", b"<head", b"<body")


def detect(head: bytes, path: Path) -> str:
    """The format of a file from its first bytes: pdf, docx, html, markdown or text."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if _is_word(path) else "zip"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(_HTML_MARKS) or (start.startswith(b"<?xml") and b"<html" in start):
        return "html"
    if path.suffix.lower() in {".html", ".htm", ".xhtml"} and start.startswith(b"<"):
        return "html"
    return "markdown" if path.suffix.lower() in {".md", ".markdown"} else "text"


def load(path: Path) -> Loaded:
    """The document in the file at `path`, read by the reader its content calls for."""
    with open(path, "rb") as handle:
        head = handle.read(_HEAD)
    kind = detect(head, path)
    if kind == "zip":
        raise Unreadable("a zip archive that is not a Word document (no word/document.xml)")
    reader = importlib.import_module(f"{__name__}.{_READERS[kind]}")
    return reader.read(path, markdown=True) if kind == "markdown" else reader.read(path)


def _is_word(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        # A truncated Word file has a zip's magic but no readable directory: its reader says so.
        return True
