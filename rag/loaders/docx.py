"""Word files (.docx) through python-docx: paragraphs and tables in document order.

Headings (styles "Title" and "Heading N") become sections; a table becomes one line per row,
its cells joined by " | " (a merged cell once). Before anything is parsed, the zip's own
directory is checked against a zip bomb: more than 256 MB unpacked, or a part unpacking to over
200 times its packed size past 10 MB, is refused. The title is the file's Title property, else
the first heading, else the text's headline; the date is the one the text gives (not the file's
created property, which python-docx's own template sets to 2013). Does not read headers,
footers, footnotes, comments or tracked changes.
"""

from __future__ import annotations

from pathlib import Path

from .archive import check_archive
from .record import Loaded, Unreadable
from .text import title_and_date


def read(path: Path) -> Loaded:
    """The Word file at `path`."""
    import docx
    from docx.table import Table

    check_archive(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on a damaged file
        raise Unreadable(f"corrupt Word file ({type(exc).__name__}: {exc})") from None
    parts: list[str] = []
    sections: list[tuple[int, str]] = []
    length = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            text = _table_text(block)
        else:
            text = block.text.strip()
            style = block.style.name if block.style is not None else ""
            if text and (style == "Title" or style.startswith("Heading")):
                sections.append((length, text))
        if text:
            parts.append(text)
            length += len(text) + 2
    text = "\n\n".join(parts)
    if not text:
        raise Unreadable("empty (a Word file with no text)")
    properties = document.core_properties
    guessed_title, guessed_date = title_and_date(text)
    title = (properties.title or "").strip() or (sections[0][1] if sections else guessed_title)
    return Loaded(text=text, title=title[:200], date=guessed_date, sections=tuple(sections))


def _table_text(table) -> str:
    rows = []
    for row in table.rows:
        cells, last = [], None
        for cell in row.cells:
            if cell._tc is last:  # a merged cell is listed once per grid column it spans
                continue
            last = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)
