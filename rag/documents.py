"""Load text documents from files and folders.

Reads `.txt` and `.md` (recursively for folders). Does not parse PDF, HTML or office formats,
and does not guess encodings: a file that is not UTF-8 is skipped with a warning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .types import Document

SUFFIXES = frozenset({".txt", ".md", ".markdown"})

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# A date line such as "date 2025-11-13", "Date: 2025-11-13" or "Published: November 16, 2025".
_DATE_LINE = re.compile(r"^\s*(?:date|published(?: at| on)?|updated)\s*:?\s*(?P<date>.+)$", re.I)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WRITTEN = re.compile(rf"\b({_MONTHS})\s+(\d{{1,2}}),\s*(\d{{4}})\b")


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
    for path in _files(paths):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            skipped.append(Skipped(str(path), f"unreadable ({exc.strerror})"))
            continue
        reason = _unusable(raw)
        if reason:
            skipped.append(Skipped(str(path), reason))
            continue
        # Absolute paths keep citations and eval evidence comparable from any working directory.
        document = parse_document(raw.decode("utf-8"), source=str(path.resolve()))
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


def _files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            raise InputError(f"no such file or folder: {given}; check the path")
        if path.is_file():
            yield path
            continue
        found = sorted(p for p in path.rglob("*")
                       if p.suffix.lower() in SUFFIXES and p.is_file() and not _hidden(p, path))
        if not found:
            raise InputError(f"no .txt or .md files in {given}; point at a folder of text documents")
        yield from found


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _unusable(raw: bytes) -> str | None:
    if not raw.strip():
        return "empty"
    if b"\x00" in raw[:8192]:
        return "binary"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    return None


def _title_and_date(text: str, markdown: bool) -> tuple[str, dt.date | None]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    date = next((d for d in map(_explicit_date, lines[:10]) if d), None)
    if date is None:
        date = _first_date(text[:1500])
    title = lines[0]
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
