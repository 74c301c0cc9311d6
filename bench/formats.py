"""Loading speed and memory: a 300- and a 1,000-page PDF, 1,000 mixed files, and a deck, a workbook, a CSV and an e-book.

    python -m bench --only formats

Each measurement runs in its own process (`bench.measure.run_child`), so peak memory is that
process's resident maximum, Python and the libraries included. Times the loaders alone
(`rag.documents.load_documents`: detection, extraction, cleaning); embedding, which dominates
a real `rag index`, is measured by the other benchmarks.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.builders import write_docx, write_epub, write_html, write_pdf, write_pptx, write_xlsx

from .measure import run_child, table, worker, write_json

_PARAGRAPH = ("The delegation met the negotiators again on the second day, and the observers reported that "
              "the humanitarian corridors had been opened along the frontline near the river. ")


def make_pdf(path: Path, pages: int) -> None:
    """A PDF of about `pages` A5 pages with a running header, footer and hyphenated lines."""
    write_pdf(path, [_PARAGRAPH * 4 + f"Section {i}." for i in range(pages * 3)], title="Long report",
              header="Long report — running header")


def make_mixed(folder: Path, count: int) -> None:
    """`count` small files, a fifth each of PDF (2 pages), Word, HTML, Markdown and text."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        text = [f"Document {i} about the talks.", _PARAGRAPH * 3 + f"Number {i}."]
        kind = i % 5
        if kind == 0:
            write_pdf(folder / f"{i:04}.pdf", text * 2)
        elif kind == 1:
            write_docx(folder / f"{i:04}.docx", text, title=f"Document {i}")
        elif kind == 2:
            write_html(folder / f"{i:04}.html", text, title=f"Document {i}", headline=f"Document {i}")
        elif kind == 3:
            (folder / f"{i:04}.md").write_text(f"# Document {i}\n\n" + "\n\n".join(text))
        else:
            (folder / f"{i:04}.txt").write_text("\n\n".join(text))


def make_others(folder: Path) -> dict[str, tuple[Path, int, str]]:
    """A 200-slide deck, a 10,000-row workbook (two sheets) and CSV, a 50-chapter e-book: path, count, unit."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pptx(folder / "deck.pptx", [(f"Slide {i}", _PARAGRAPH, f"Speaker notes {i}: {_PARAGRAPH}") for i in range(200)])
    rows = [("Name", "Region", "Amount", "Note")] + [(f"Person {i}", f"Region {i % 17}", i * 1.5, _PARAGRAPH[:60])
                                                     for i in range(5000)]
    write_xlsx(folder / "book.xlsx", {"First": rows, "Second": rows})
    (folder / "table.csv").write_text("\n".join(",".join(str(cell) for cell in row) for row in rows * 2))
    write_epub(folder / "book.epub", [(f"Chapter {i}", "\n\n".join([_PARAGRAPH * 3] * 10)) for i in range(50)],
               title="Long book")
    return {"200-slide deck (.pptx)": (folder / "deck.pptx", 200, "slides"),
            "10,000-row workbook (.xlsx)": (folder / "book.xlsx", 10000, "rows"),
            "10,001-line CSV": (folder / "table.csv", 10000, "rows"),
            "50-chapter e-book (.epub)": (folder / "book.epub", 50, "chapters")}


def run(options) -> str:
    rows = []
    with tempfile.TemporaryDirectory(prefix="rag-formats-") as scratch:
        for name, (path, count, unit) in make_others(Path(scratch) / "others").items():
            child = run_child(worker("formats", path))
            rows.append((name, f"{child.data['seconds']:.2f} s", f"{count / child.data['seconds']:.0f} {unit}/s",
                         f"{child.peak_mb:.0f} MB"))
        for pages in (300, 1000):
            pdf = Path(scratch) / f"{pages}.pdf"
            make_pdf(pdf, pages)
            child = run_child(worker("formats", pdf))
            rows.append((f"{child.data['pages']}-page PDF", f"{child.data['seconds']:.2f} s",
                         f"{child.data['pages'] / child.data['seconds']:.0f} pages/s", f"{child.peak_mb:.0f} MB"))
        mixed = Path(scratch) / "mixed"
        make_mixed(mixed, 1000)
        child = run_child(worker("formats", mixed))
        rows.append((f"{child.data['documents']} mixed files", f"{child.data['seconds']:.2f} s",
                     f"{child.data['documents'] / child.data['seconds']:.0f} files/s", f"{child.peak_mb:.0f} MB"))
    return "## formats: loading\n\n" + table(["input", "time", "speed", "peak memory (process)"], rows)


def _worker() -> None:
    from rag.documents import load_documents

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("path", type=Path)
    options = parser.parse_args()
    started = time.perf_counter()
    documents, skipped = load_documents([options.path])
    seconds = time.perf_counter() - started
    write_json(options.out, {"seconds": seconds, "documents": len(documents), "skipped": len(skipped),
                             "pages": sum(len(d.pages) for d in documents)})


if __name__ == "__main__":
    _worker()
