"""The zip archives under Office files and e-books, checked against zip bombs before anything is parsed."""

from __future__ import annotations

import zipfile
from pathlib import Path

from .record import Unreadable

MAX_UNPACKED = 256 * 1024 * 1024
_MAX_RATIO = 200
_RATIO_FROM = 10 * 1024 * 1024


def check_archive(path: Path, what: str = "Word file", needs: str = "word/document.xml") -> None:
    """Refuse the zip at `path` (a `what`) when it is truncated, a zip bomb, or lacks the part `needs`."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise Unreadable(f"corrupt {what} (not a readable zip archive; truncated?)") from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED:
        raise Unreadable(f"refused: unpacks to {unpacked / 2**20:.0f} MB, over the {MAX_UNPACKED // 2**20} MB "
                         "limit (a zip bomb?)")
    for member in members:
        if member.file_size > _RATIO_FROM and member.file_size > _MAX_RATIO * max(member.compress_size, 1):
            raise Unreadable(f"refused: {member.filename} unpacks {member.file_size // max(member.compress_size, 1)}"
                             f" times its size (a zip bomb?)")
    if not any(member.filename == needs for member in members):
        raise Unreadable(f"a zip archive that is not a {what} (no {needs})")
