"""Verification stamps: a file's sha256 is read from its stamp while the file is unchanged on disk.

A stamp records what a file looked like (size, mtime, ctime, inode) when its content was hashed,
as the bundled model files' stamps do (rag.models). Any write to a file moves its ctime, which no
tool can set back, so a file whose fingerprint matches its stamp holds the bytes that were hashed.
A file changed within `SETTLE_SECONDS` of being hashed is not stamped: a second write in the
same timestamp tick would leave the fingerprint as it was ("racy git"), so it is hashed again
next time. What a stamp cannot see is damage below the file system (a failing disk, a raw device
write); `rag check` hashes everything regardless. Stamps are written atomically and best effort:
an index on a read-only disk is hashed on every open instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

# Wider than the coarsest timestamps in use (FAT: 2 s; ext4 and tmpfs tick every few ms).
SETTLE_SECONDS = 2.0


def fingerprint(path: Path) -> dict:
    """What changes when a file is written, replaced or restored."""
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "ctime_ns": stat.st_ctime_ns, "inode": stat.st_ino}


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Stamps:
    """The stamps kept in one JSON file, by a key per file (a name relative to a folder, or a path)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._records = dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            self._records = {}
        self._changed = False

    def sha256(self, file: Path, *, key: str | None = None, trust: bool = True) -> str:
        """The file's sha256: from its stamp while the file is unchanged, else read in full (and stamped).

        `trust=False` reads the file whatever its stamp says.
        """
        key = key or str(file)
        before = fingerprint(file)
        record = self._records.get(key)
        if trust and isinstance(record, dict) and record.get("fingerprint") == before:
            return str(record["sha256"])
        started = time.time_ns()
        digest = file_sha256(file)
        settled = max(before["mtime_ns"], before["ctime_ns"]) < started - SETTLE_SECONDS * 1e9
        if settled and fingerprint(file) == before:
            self._records[key] = {"fingerprint": before, "sha256": digest}
            self._changed = True
        elif key in self._records:
            del self._records[key]
            self._changed = True
        return digest

    def save(self) -> None:
        """Write the stamps if any changed; a folder that cannot be written to is left as it is."""
        if not self._changed:
            return
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        try:
            partial.write_text(json.dumps(self._records, indent=1))
            os.replace(partial, self.path)
            self._changed = False
        except OSError:
            partial.unlink(missing_ok=True)
