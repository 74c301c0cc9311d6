"""A 50-page scanned PDF: OCR pages/s and peak memory, then the time to index it.

    python -m bench --only scanned

The PDF is the seed articles drawn on 50 A4 pages at 200 dpi (`bench.converted.scan_pages`),
with no text layer. One worker reads it (`load_documents`: render, Tesseract, cleaning) with an
empty OCR cache; its peak memory is its own and, apart, that of the largest Tesseract process
it ran. A second worker then indexes it with MiniLM (`RAG.index`), the OCR cache filled, so
the time to index the scan from nothing is the two added; and a third reads it again to time
the cache.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from tests.builders import scan_pages
from .measure import ROOT, run_child, table, worker, write_json

PAGES = 50


def make_scan(path: Path, pages: int = PAGES) -> int:
    """A scanned PDF of the seed articles, repeated until it has `pages` pages; the page count."""
    lines = [line for article in sorted((ROOT / "seeds").glob("*.txt"))
             for line in article.read_text(encoding="utf-8").splitlines() if line.strip()]
    scans = scan_pages(lines * 8, page_format=(210, 297), dpi=200)
    if len(scans) < pages:
        raise RuntimeError(f"only {len(scans)} pages drawn; repeat the text more")
    images = [image for image, _ in scans[:pages]]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=200)
    return len(images)


def run(options) -> str:
    with tempfile.TemporaryDirectory(prefix="rag-scanned-") as scratch:
        pdf = Path(scratch) / "scan.pdf"
        pages = make_scan(pdf)
        cache = Path(scratch) / "cache"
        read = run_child(worker("scanned", "read", pdf, cache))
        index = run_child(worker("scanned", "index", pdf, cache))
        again = run_child(worker("scanned", "read", pdf, cache))
    rows = [("read by OCR (empty cache)", f"{read.data['seconds']:.0f} s", f"{pages / read.data['seconds']:.2f} pages/s",
             f"{read.peak_mb:.0f} MB (+ Tesseract {read.data['engine_mb']:.0f} MB)"),
            ("index, OCR cached (MiniLM)", f"{index.data['seconds']:.1f} s", f"{index.data['chunks']} chunks",
             f"{index.peak_mb:.0f} MB"),
            ("index from nothing (the two)", f"{read.data['seconds'] + index.data['seconds']:.0f} s", "", ""),
            ("read again (cache)", f"{again.data['seconds']:.2f} s", f"{pages / again.data['seconds']:.0f} pages/s",
             f"{again.peak_mb:.0f} MB")]
    return (f"## scanned: a {pages}-page scanned PDF (A4, 200 dpi, Tesseract)\n\n"
            + table(["step", "time", "speed", "peak memory"], rows))


def _worker() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("step", choices=("read", "index"))
    parser.add_argument("pdf", type=Path)
    parser.add_argument("cache", type=Path)
    options = parser.parse_args()
    started = time.perf_counter()
    if options.step == "read":
        from rag.documents import load_documents
        from rag.loaders import Options

        # A generous time cap: the benchmark measures speed, and a loaded machine must not drop pages.
        documents, skipped = load_documents([options.pdf], Options(cache_dir=options.cache / "ocr",
                                                                   ocr_page_seconds=600))
        assert documents and not skipped, skipped
        assert len(documents[0].pages) == PAGES
        engine_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        write_json(options.out, {"seconds": time.perf_counter() - started, "engine_mb": engine_mb,
                                 "chars": len(documents[0].text)})
    else:
        from rag import RAG

        with tempfile.TemporaryDirectory(prefix="rag-scanned-index-") as index_dir:
            report = RAG(index_dir=index_dir, cache_dir=options.cache).index([options.pdf])
        write_json(options.out, {"seconds": time.perf_counter() - started, "chunks": report.chunks})


if __name__ == "__main__":
    _worker()
