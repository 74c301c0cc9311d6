"""Load text documents from files and folders.

Reads `.txt` and `.md` (recursively for folders, following linked folders but visiting each real
folder once, so a symlink loop ends). Files that cannot be documents are skipped with the reason:
empty, binary, unreadable, not a regular file, or not UTF-8. Does not parse PDF, HTML or office
formats, and does not guess encodings: decoding with replacement characters would put text in
the index, and in citations, that is not in the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .types import Document

SUFFIXES = frozenset({".txt", ".md", ".markdown"})
_HEAD = 1 << 16

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# A date line such as "date 2025-11-13", "Date: 2025-11-13" or "Published: November 16, 2025".
_DATE_LINE = re.compile(r"^\s*(?:date|published(?: at| on)?|updated)\s*:?\s*(?P<date>.+)$", re.I)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WRITTEN = re.compile(rf"\b({_MONTHS})\s+(\d{{1,2}}),\s*(\d{{4}})\b")


@dataclass(frozen=True)
class Unusable:
    """Why the bytes of a file cannot be a document."""

    reason: str


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why."""

    path: str
    reason: str


def load_documents(paths: Iterable[str | Path]) -> tuple[list[Document], list[Skipped]]:
    """Documents under `paths`, in path order, plus the files skipped with the reason."""
    documents: list[Document] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for path in _files(paths, skipped):
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                # A FIFO or device named like a text file would block the read or never end.
                skipped.append(Skipped(str(path), "not a regular file"))
                continue
            raw = path.read_bytes()
        except OSError as exc:
            skipped.append(Skipped(str(path), f"unreadable ({exc.strerror})"))
            continue
        text = _decode(raw)
        if isinstance(text, Unusable):
            skipped.append(Skipped(str(path), text.reason))
            continue
        # Absolute paths keep citations and eval evidence comparable from any working directory.
        document = parse_document(text, source=str(path.resolve()))
        if document.id in seen:
            skipped.append(Skipped(str(path), "duplicate of a file already loaded"))
            continue
        seen.add(document.id)
        documents.append(document)
    return documents, skipped


def parse_document(text: str, source: str) -> Document:
    """A `Document` for `text`, with its title and the date the text gives, if any."""
    text = text.lstrip("\ufeff")
    title, date = _title_and_date(text, markdown=source.endswith((".md", ".markdown")))
    return Document(id=content_id(text), source=source, title=title, date=date, text=text)


def content_id(text: str) -> str:
    """A stable id from the content alone."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


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
            raise InputError(f"no .txt or .md files in {given}; point at a folder of text documents")
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


def _decode(raw: bytes) -> str | Unusable:
    if not raw or raw.isspace():
        return Unusable("empty")
    if b"\x00" in raw[:8192]:
        return Unusable("binary")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Unusable(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                        "convert it, e.g. iconv -f latin1 -t utf-8")


def _title_and_date(text: str, markdown: bool) -> tuple[str, dt.date | None]:
    # The title and date are near the top: a 50 MB file need not be split into lines for them.
    lines = [line.strip() for line in text[:_HEAD].splitlines() if line.strip()]
    date = next((d for d in map(_explicit_date, lines[:10]) if d), None)
    if date is None:
        date = _first_date(text[:1500])
    title = lines[0] if lines else ""
    if markdown:
        title = next((line.lstrip("#").strip() for line in lines if line.startswith("#")), title)
    else:
        # Scraped pages often open with a stray word ("Advertisement", "X"): prefer a real headline.
        title = next((line for line in lines[:5] if len(line.split()) >= 4), title)
    title = _strip_date_prefix(title)
    return title[:200], date


def _explicit_date(line: str) -> dt.date | None:
    match = _DATE_LINE.match(line)
    return _first_date(match["date"][:40]) if match else None


def _first_date(text: str) -> dt.date | None:
    candidates = []
    for match in _ISO.finditer(text):
        candidates.append((match.start(), _date(int(match[1]), int(match[2]), int(match[3]))))
    for match in _WRITTEN.finditer(text):
        month = _MONTHS.split("|").index(match[1]) + 1
        candidates.append((match.start(), _date(int(match[3]), month, int(match[2]))))
    valid = sorted((pos, date) for pos, date in candidates if date)
    return valid[0][1] if valid else None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _strip_date_prefix(title: str) -> str:
    match = _DATE_LINE.match(title)
    if match and _ISO.match(match["date"]):
        return match["date"][10:].strip() or title
    return title
