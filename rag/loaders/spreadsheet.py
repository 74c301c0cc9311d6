"""Spreadsheets: Excel workbooks (.xlsx, through openpyxl) and CSV files; each sheet a section.

A sheet's first non-empty row is its header, and every row after it one line of
`header: value` pairs (empty cells left out), so any chunk of it carries its column names. The
sheet's name opens its section. Workbooks are read as values (formulas as last computed), in
openpyxl's read-only mode, after the zip-bomb check (`archive`). A CSV is UTF-8 text whose
delimiter is sniffed (comma, semicolon, tab or bar); its one section is named after the file.
Does not read charts, comments or hidden-sheet flags (hidden sheets are read like the others).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from .archive import check_archive
from .record import Loaded, Unreadable
from .text import decode


def read(path: Path) -> Loaded:
    """The workbook or CSV file at `path`."""
    with open(path, "rb") as handle:
        is_zip = handle.read(4) == b"PK\x03\x04"
    sheets = _workbook(path) if is_zip else [(path.stem, _csv_rows(path))]
    parts: list[str] = []
    sections: list[tuple[int, str]] = []
    length = 0
    for name, rows in sheets:
        lines = _lines(rows)
        if not lines:
            continue
        block = "\n".join([name, *lines])
        sections.append((length, name))
        parts.append(block)
        length += len(block) + 2
    if not parts:
        raise Unreadable("empty (a spreadsheet with no rows under its header)")
    return Loaded(text="\n\n".join(parts), title=path.stem[:200], date=None, sections=tuple(sections))


def _workbook(path: Path) -> list[tuple[str, list[tuple]]]:
    import openpyxl

    check_archive(path, "Excel workbook", "xl/workbook.xml")
    try:
        book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
        try:
            return [(sheet.title, list(sheet.iter_rows(values_only=True))) for sheet in book.worksheets]
        finally:
            book.close()
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise Unreadable(f"corrupt Excel workbook ({type(exc).__name__}: {exc})") from None


def _csv_rows(path: Path) -> list[list[str]]:
    text = decode(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel  # one column, or too irregular to tell: commas
    try:
        return list(csv.reader(text.splitlines(), dialect))
    except csv.Error as exc:
        raise Unreadable(f"malformed CSV ({exc})") from None


def _lines(rows: Iterable[Sequence]) -> list[str]:
    """Each row after the header as `header: value; header: value`."""
    header: list[str] | None = None
    lines = []
    for row in rows:
        cells = [_cell(value) for value in row]
        if not any(cells):
            continue
        if header is None:
            header = [cell or f"column {i + 1}" for i, cell in enumerate(cells)]
            continue
        names = header + [f"column {i + 1}" for i in range(len(header), len(cells))]
        pairs = [f"{name}: {cell}" for name, cell in zip(names, cells) if cell]
        lines.append("; ".join(pairs))
    return lines


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return " ".join(str(value).split())
