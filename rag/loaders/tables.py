"""Ruled tables in PDFs, found by pdfplumber, kept as one `cell | cell` line per row.

PDFium's text layer reads a table row by row, but a cell that wraps is split over lines and
the paragraph step may join rows (`python -m bench --only tables`: of 31 rows, the text layer
kept 0 whole on a plain table and 16 with wrapping cells; pdfplumber 31 and 31). pdfplumber is
slow, so it reads only the pages where PDFium sees enough drawn lines for a ruled table, and
only its tables are used: the rest of such a page is pdfplumber's text around them, in reading
order. Does not find tables without ruling lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# Drawn path objects (cell borders) a page needs before pdfplumber is asked about it.
MIN_PATHS = 6


def is_ruled(page) -> bool:
    """Whether an open pypdfium2 page draws enough lines (its own, not in form objects) to hold a ruled table."""
    import pypdfium2.raw as pdfium_c

    paths = 0
    for index in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        if pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page.raw, index)) == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths += 1
            if paths >= MIN_PATHS:
                return True
    return False


def pages_with_tables(path: Path, numbers: Sequence[int]) -> dict[int, list[tuple[str, bool]]]:
    """For each page of `numbers` where pdfplumber finds a table: its lines in order, each with True if a table row."""
    if not numbers:
        return {}
    import pdfplumber

    pages: dict[int, list[tuple[str, bool]]] = {}
    with pdfplumber.open(path) as document:
        for number in numbers:
            page = document.pages[number]
            tables = page.find_tables()
            if not tables:
                continue
            boxes = [table.bbox for table in tables]
            outside = page.filter(lambda obj: obj.get("object_type") != "char" or not _inside(obj, boxes))
            placed = [(line["top"], line["text"], False) for line in outside.extract_text_lines()]
            for table in tables:
                for row, cells in zip(table.rows, table.extract()):
                    text = " | ".join(" ".join((cell or "").split()) for cell in cells)
                    if text.strip(" |"):
                        placed.append((row.bbox[1], text, True))
            pages[number] = [(text, is_row) for _, text, is_row in sorted(placed, key=lambda item: item[0])]
    return pages


def _inside(char: dict, boxes) -> bool:
    middle_x, middle_y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
    return any(left <= middle_x <= right and top <= middle_y <= bottom for left, top, right, bottom in boxes)
