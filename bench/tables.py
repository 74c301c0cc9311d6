"""PDF tables: does pdfplumber's table finder keep rows better than the plain text layer?

    python -m bench --only tables

A table written by fpdf2 (30 rows of three columns; in the second, every third row's note is
long enough to wrap inside its cell) is read three ways: PDFium's text layer cleaned as before
tables were read (`cleaning.clean_pages`), pdfplumber's `extract_tables` alone, and
`rag.loaders.pdf` as it is now (pdfplumber's rows on ruled pages). A row counts as kept when one
line of the result holds exactly that row's cells in order (separated by spaces, or " | ") and
nothing else, so a row merged with its neighbour or a cell split across lines is lost.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .measure import table

_LONG = "A port town on the northern coast with a long fishing history and a ferry to the islands"


def make_table(path: Path, wrap: bool) -> list[tuple[str, ...]]:
    from fpdf import FPDF

    rows = [("City", "Population", "Note")] + [
        (f"City{i}", str(10000 + i * 137), _LONG if wrap and i % 3 == 0 else f"Inland town {i}") for i in range(30)]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    with pdf.table(col_widths=(30, 30, 60)) as grid:
        for cells in rows:
            row = grid.row()
            for cell in cells:
                row.cell(cell)
    pdf.output(str(path))
    return rows


def kept(rows, lines, joiner: str) -> int:
    found = {" ".join(line.split()) for line in lines}
    return sum(joiner.join(row) in found for row in rows)


def text_layer(path: Path) -> str:
    """The PDF's text as `rag.loaders.pdf` read it before tables: PDFium's lines, cleaned."""
    import pypdfium2 as pdfium

    from rag.loaders import pdf
    from rag.loaders.cleaning import clean_pages

    document = pdfium.PdfDocument(str(path))
    try:
        pages, rooms, _ = zip(*(pdf._page_text(document, number) for number in range(len(document))))
    finally:
        document.close()
    return clean_pages(pages, rooms=rooms)[0]


def run(options) -> str:
    import time

    import pdfplumber

    from rag.loaders import load

    results = []
    with tempfile.TemporaryDirectory(prefix="rag-tables-") as scratch:
        for wrap in (False, True):
            path = Path(scratch) / f"table-{wrap}.pdf"
            rows = make_table(path, wrap)
            layer = text_layer(path).splitlines()
            with pdfplumber.open(path) as document:
                found = [[" ".join((cell or "").split()) for cell in row]
                         for page in document.pages for grid in page.extract_tables() for row in grid]
            plumbed = [" | ".join(row) for row in found]
            started = time.perf_counter()
            now = load(path).text.splitlines()
            results.append(("cells wrap" if wrap else "one line a cell", len(rows), kept(rows, layer, " "),
                            kept(rows, plumbed, " | "), kept(rows, now, " | "),
                            f"{time.perf_counter() - started:.2f} s"))
    return ("## tables: rows kept whole, PDF text layer against pdfplumber\n\n"
            + table(["table", "rows", "PDFium text layer, cleaned", "pdfplumber extract_tables",
                     "rag.loaders.pdf now", "load time now"], results))
