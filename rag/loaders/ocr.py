"""Text from page images through Tesseract (Debian's `tesseract-ocr`), run as a command per page.

Chosen over RapidOCR's ONNX models by `python -m bench --only ocr`: on generated scans Tesseract
read with a character error rate of 0.000 against RapidOCR's 0.059, faster (0.16 against
0.10 pages/s at 200 dpi on a loaded 2-core machine) and in less memory (56 MB for the caller
plus about 92 MB for the tesseract process, against 816 MB in process). Pages are read
one at a time, each within `Options.ocr_page_seconds`, by a Tesseract limited to one thread:
its OpenMP threads slowed it past a minute a page on a busy 2-core machine. What was read is
cached by the file's content hash, so indexing the file again does not read it again. Does not
deskew, detect columns or read languages other than English.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .record import Options, Unreadable

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

# 200 dpi read the generated scans as well as 300 did, in half the time (bench/results/*-ocr.md).
DPI = 200
LANGUAGE = "eng"
TESSERACT = "tesseract"  # looked up on PATH
INSTALL = ("no OCR engine: install Tesseract (`apt-get install tesseract-ocr tesseract-ocr-eng`, "
           "or `make setup`), or set ocr = false to skip scans")


def read_pages(path: Path, numbers: Sequence[int], render: Callable[[int], "Image.Image"],
               options: Options) -> dict[int, str]:
    """The text of the pages `numbers` (0-based) of the file at `path`, each drawn by `render(number)`.

    A page the engine cannot read within the time cap is left empty (and not cached); the file
    is `Unreadable` when OCR is off, the engine is missing, or it needs more pages than the cap.
    """
    if not numbers:
        return {}
    if not options.ocr:
        raise Unreadable("no text layer, and OCR is off (ocr = false); turn it on to read scans")
    if len(numbers) > options.ocr_max_pages:
        raise Unreadable(f"{len(numbers)} pages need OCR, over the cap of {options.ocr_max_pages} "
                         "(ocr_max_pages); raise it to read this file")
    command = _engine()
    cache = _cache_file(path, options)
    cached = _read_cache(cache)
    texts: dict[int, str] = {}
    for number in numbers:
        if str(number) in cached:
            texts[number] = cached[str(number)]
            continue
        image = render(number)
        try:
            texts[number] = _recognise(command, image, options.ocr_page_seconds)
        except subprocess.TimeoutExpired:
            log.warning("%s: page %d not read: OCR took over %s s (ocr_page_seconds)", path, number + 1,
                        options.ocr_page_seconds)
            texts[number] = ""
            continue
        finally:
            image.close()
        cached[str(number)] = texts[number]
        _write_cache(cache, cached)
    return texts


def _recognise(command: str, image, seconds: float) -> str:
    with tempfile.TemporaryDirectory(prefix="rag-ocr-") as scratch:
        page = os.path.join(scratch, "page.png")
        image.save(page)
        done = subprocess.run([command, page, "stdout", "-l", LANGUAGE], capture_output=True, timeout=seconds,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Unreadable(f"OCR failed ({message[-1] if message else f'exit code {done.returncode}'})")
    return done.stdout.decode("utf-8", "replace")


def _engine() -> str:
    """The tesseract command, checked to read English."""
    command = shutil.which(TESSERACT)
    if command is None:
        raise Unreadable(INSTALL)
    try:
        listed = subprocess.run([command, "--list-langs"], capture_output=True, timeout=30, text=True)
    except (OSError, subprocess.TimeoutExpired):
        raise Unreadable(INSTALL) from None
    if LANGUAGE not in listed.stdout.split():
        raise Unreadable("Tesseract has no English model: install tesseract-ocr-eng")
    return command


def _cache_file(path: Path, options: Options) -> Path | None:
    if options.cache_dir is None:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    # The engine's settings are part of the key: another dpi or language reads other text.
    digest.update(f"\0tesseract {LANGUAGE} {DPI}".encode())
    return options.cache_dir / f"{digest.hexdigest()[:32]}.json"


def _read_cache(cache: Path | None) -> dict[str, str]:
    if cache is None or not cache.is_file():
        return {}
    try:
        pages = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged cache entry is read again, not trusted
    return pages if isinstance(pages, dict) else {}


def _write_cache(cache: Path | None, pages: dict[str, str]) -> None:
    if cache is None:
        return
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(pages), encoding="utf-8")
    os.replace(partial, cache)  # a crash leaves the old entry or the new one, never half of one
