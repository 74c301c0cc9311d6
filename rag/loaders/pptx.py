"""PowerPoint decks (.pptx) through python-pptx: each slide a page, its title a section.

A slide's text is its shapes' text in the order the deck lists them (grouped shapes opened,
a table one `cell | cell` line per row), then its speaker notes after "Notes:". The zip is
checked against a zip bomb first (`archive`). Does not read charts, SmartArt or text in images.
"""

from __future__ import annotations

from pathlib import Path

from .archive import check_archive
from .record import Loaded, Unreadable
from .text import title_and_date


def read(path: Path) -> Loaded:
    """The deck at `path`."""
    import pptx

    check_archive(path, "PowerPoint deck", "ppt/presentation.xml")
    try:
        deck = pptx.Presentation(str(path))
        slides = [_slide_text(slide) for slide in deck.slides]
    except Exception as exc:  # noqa: BLE001 - python-pptx raises many kinds on a damaged file
        raise Unreadable(f"corrupt PowerPoint deck ({type(exc).__name__}: {exc})") from None
    parts: list[str] = []
    pages: list[int] = []
    sections: list[tuple[int, str]] = []
    length = 0
    for title, text in slides:
        pages.append(length)
        if title:
            sections.append((length, title))
        parts.append(text)
        length += len(text) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise Unreadable("empty (a deck with no text)")
    guessed_title, date = title_and_date(text)
    title = (deck.core_properties.title or "").strip() or (sections[0][1] if sections else guessed_title)
    return Loaded(text=text, title=title[:200], date=date, pages=tuple(pages), sections=tuple(sections))


def _slide_text(slide) -> tuple[str, str]:
    """The slide's title, and its text with the notes at the end."""
    title_shape = slide.shapes.title
    title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None and title_shape.has_text_frame else ""
    lines = [line for shape in slide.shapes for line in _shape_lines(shape)]
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None and notes.text.strip():
            lines.append("Notes: " + notes.text.strip())
    return title, "\n".join(lines)


def _shape_lines(shape) -> list[str]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        return [line for inner in shape.shapes for line in _shape_lines(inner)]
    if shape.has_text_frame:
        return [p.strip() for p in shape.text_frame.text.splitlines() if p.strip()]
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = (" | ".join(" ".join(cell.text.split()) for cell in row.cells) for row in shape.table.rows)
        return [row for row in rows if row.strip(" |")]
    return []
