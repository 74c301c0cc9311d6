"""The zip archives under Office files and e-books, checked against zip bombs before anything is parsed."""

from __future__ import annotations

import zipfile
from pathlib import Path

from .record import Unreadable

MAX_UNPACKED = 256 * 1024 * 1024
_MAX_RATIO = 200
_RATIO_FROM = 10 * 1024 * 1024


def check_archive(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise Unreadable("corrupt Word file (not a readable zip archive; truncated?)") from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED:
        raise Unreadable(f"refused: unpacks to {unpacked / 2**20:.0f} MB, over the {MAX_UNPACKED // 2**20} MB "
                         "limit (a zip bomb?)")
    for member in members:
        if member.file_size > _RATIO_FROM and member.file_size > _MAX_RATIO * max(member.compress_size, 1):
            raise Unreadable(f"refused: {member.filename} unpacks {member.file_size // max(member.compress_size, 1)}"
                             f" times its size (a zip bomb?)")
    if not any(member.filename == "word/document.xml" for member in members):
        raise Unreadable("a zip archive that is not a Word document (no word/document.xml)")
