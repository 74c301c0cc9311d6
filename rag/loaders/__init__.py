"""Read a file into a `Loaded` record, the format chosen from the file's first bytes, not its name.

One module per format, each with `read(path) -> Loaded` that raises `Unreadable` with the
reason a file cannot be a document: `text` (plain text and Markdown), `pdf`, `html`, `docx`,
`pptx`, `spreadsheet` (.xlsx and .csv), `epub` and `image` (PNG, JPEG, TIFF, read by `ocr`).
A new format is one new module and one line in `_READERS` and `detect`. The libraries behind
them are imported on first use, so commands that load no file do not pay for them. The readers
that may run OCR (`pdf`, `image`) also take the `Options` they read with.
"""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path

from .record import Loaded, Options, Unreadable

__all__ = ["SUFFIXES", "Loaded", "Options", "Unreadable", "detect", "load"]

# The names a folder walk picks up; which reader reads a file is decided by its content.
SUFFIXES = frozenset({".txt", ".md", ".markdown", ".pdf", ".html", ".htm", ".xhtml", ".docx", ".pptx", ".xlsx",
                      ".csv", ".epub", ".png", ".jpg", ".jpeg", ".tif", ".tiff"})
_READERS = {"pdf": "pdf", "docx": "docx", "html": "html", "markdown": "text", "text": "text", "pptx": "pptx",
            "xlsx": "spreadsheet", "csv": "spreadsheet", "epub": "epub", "image": "image"}
_WITH_OPTIONS = {"pdf", "image"}
_HEAD = 4096
_HTML_MARKS = (b"<!doctype html", b"<html", b"<head", b"<body")
# An OLE compound file: an Office file with a password, or one from before 2007 (.doc, .xls, .ppt).
_OLE_MARK = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
_IMAGE_MARKS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
# The part that tells what an Office file or e-book is, by the format named for it.
_ZIP_PARTS = {"word/document.xml": "docx", "ppt/presentation.xml": "pptx", "xl/workbook.xml": "xlsx",
              "META-INF/container.xml": "epub"}
_ZIP_SUFFIXES = {".docx": "docx", ".pptx": "pptx", ".xlsx": "xlsx", ".epub": "epub"}


def detect(head: bytes, path: Path) -> str:
    """The format of a file from its first bytes: pdf, docx, pptx, xlsx, epub, zip, ole, image, html, csv, markdown or text."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(_OLE_MARK):
        return "ole"
    if head.startswith(_IMAGE_MARKS) or path.suffix.lower() in _IMAGE_SUFFIXES:
        return "image"  # one named as an image but without its marks is a damaged one: its reader says so
    if path.suffix.lower() == ".csv":
        return "csv"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(_HTML_MARKS) or (start.startswith(b"<?xml") and b"<html" in start):
        return "html"
    if path.suffix.lower() in {".html", ".htm", ".xhtml"} and start.startswith(b"<"):
        return "html"
    return "markdown" if path.suffix.lower() in {".md", ".markdown"} else "text"


def load(path: Path, options: Options = Options()) -> Loaded:
    """The document in the file at `path`, read by the reader its content calls for."""
    with open(path, "rb") as handle:
        head = handle.read(_HEAD)
    kind = detect(head, path)
    if kind == "zip":
        raise Unreadable("a zip archive that is not a Word document, a deck, a workbook or an e-book")
    if kind == "ole":
        raise Unreadable("an encrypted or legacy Office file: save it without a password as .docx, .pptx or .xlsx")
    reader = importlib.import_module(f"{__name__}.{_READERS[kind]}")
    if kind == "markdown":
        return reader.read(path, markdown=True)
    return reader.read(path, options=options) if kind in _WITH_OPTIONS else reader.read(path)


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        # A truncated file has a zip's magic but no readable directory: its reader says so.
        return _ZIP_SUFFIXES.get(path.suffix.lower(), "docx")
    return next((kind for part, kind in _ZIP_PARTS.items() if part in names), "zip")
