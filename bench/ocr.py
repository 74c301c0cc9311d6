"""OCR engines compared on generated scans: character error rate and pages/s, one engine at a time.

    python -m bench --only ocr

The pages are the seed articles drawn by `bench.converted.write_scan` (Pillow's font, 11 pt, a
little turned and speckled) at 200 and 300 dpi. Tesseract runs as rag runs it
(`rag.loaders.ocr`: Debian's `tesseract-ocr`, `eng` model, one thread); RapidOCR through
`rapidocr_onnxruntime` (pip install rapidocr-onnxruntime), whose wheel carries its ONNX models. Each engine runs in its own process (`bench.measure.run_child`), so its peak memory
is its own. Error rate: Levenshtein distance over the page's text with runs of white space made
one space, divided by the reference's length.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from tests.builders import scan_pages
from .measure import ROOT, run_child, table, worker, write_json

ENGINES = ("tesseract", "rapidocr")
_PAGES = 6


def make_pages(folder: Path, dpi: int) -> list[tuple[Path, str]]:
    """Scanned PNG pages of the seed articles at `dpi` (two of each of three), each with the text drawn on it."""
    pages = []
    for number, article in enumerate(sorted((ROOT / "seeds").glob("*.txt"))[:3]):
        lines = [line for line in article.read_text(encoding="utf-8").splitlines() if line.strip()]
        for page, (image, text) in enumerate(scan_pages(lines, dpi=dpi, seed=number)[:2]):
            png = folder / f"{article.stem}-{dpi}-{page + 1}.png"
            image.save(png)
            pages.append((png, text))
    return pages[:_PAGES]


def cer(reference: str, hypothesis: str) -> float:
    from rapidfuzz.distance import Levenshtein

    reference, hypothesis = " ".join(reference.split()), " ".join(hypothesis.split())
    return Levenshtein.distance(reference, hypothesis) / max(len(reference), 1)


def read_pages(engine: str, images: list[Path]) -> tuple[list[str], float, float]:
    """Each image's text by `engine`, the seconds to load the engine, and the seconds to read them all."""
    from PIL import Image

    started = time.perf_counter()
    if engine == "tesseract":
        from rag.loaders import ocr

        command = ocr._engine()

        def read(image):
            return ocr._recognise(command, image, 600)
    else:
        import numpy as np
        from rapidocr_onnxruntime import RapidOCR

        reader = RapidOCR()

        def read(image):
            result, _ = reader(np.asarray(image.convert("RGB")))
            lines = sorted(result or [], key=lambda r: (round(r[0][0][1] / 20), r[0][0][0]))
            return "\n".join(text for _, text, _ in lines)
    loaded = time.perf_counter()
    texts = []
    for path in images:
        with Image.open(path) as image:
            texts.append(read(image))
    return texts, loaded - started, time.perf_counter() - loaded


def _worker() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("engine", choices=ENGINES)
    parser.add_argument("listing", type=Path)
    options = parser.parse_args()
    images = [Path(line) for line in options.listing.read_text().splitlines()]
    texts, load, seconds = read_pages(options.engine, images)
    write_json(options.out, {"texts": texts, "load": load, "seconds": seconds})


def run(options) -> str:
    rows, records = [], []
    with tempfile.TemporaryDirectory(prefix="rag-ocr-") as scratch:
        for dpi in (200, 300):
            pages = make_pages(Path(scratch), dpi)
            listing = Path(scratch) / f"pages-{dpi}.txt"
            listing.write_text("\n".join(str(path) for path, _ in pages))
            for engine in ENGINES:
                result = run_child(worker("ocr", engine, listing))
                errors = [cer(text, got) for (_, text), got in zip(pages, result.data["texts"])]
                mean = sum(errors) / len(errors)
                rows.append((engine, dpi, len(pages), f"{mean:.3f}", f"{max(errors):.3f}",
                             f"{len(pages) / result.data['seconds']:.2f}", f"{result.data['load']:.1f} s",
                             f"{result.peak_mb:.0f} MB"))
                records.append({"engine": engine, "dpi": dpi, "cer": errors, "seconds": result.data["seconds"],
                                "load": result.data["load"], "peak_mb": result.peak_mb,
                                "sample": result.data["texts"][0][:400]})
    (ROOT / "bench" / "results" / "ocr-engines.json").write_text(json.dumps(records, indent=1))
    return "## OCR engines\n\n" + table(
        ("engine", "dpi", "pages", "CER mean", "CER worst", "pages/s", "load", "peak"), rows)


if __name__ == "__main__":
    _worker()
