"""E-books (EPUB 2 and 3) through ebooklib: the chapters in reading order, each one a section.

A chapter is a document of the book's spine; its section is named by its first heading, else
by the table of contents, else "Chapter N". Its text is its block elements (headings,
paragraphs, list items, table cells) one per paragraph. The zip is checked against a zip bomb
first (`archive`), and a book with DRM (META-INF/encryption.xml) is refused: its chapters are
ciphertext. The title is the book's own; the date is its publication date where it gives one.
Does not read images, footnote pop-ups or the navigation document itself.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from .archive import check_archive
from .record import Loaded, Unreadable
from .text import first_date, title_and_date

_BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "dt", "dd", "td", "th",
           "figcaption", "caption"}
_HEADINGS = {"h1", "h2", "h3"}


def read(path: Path) -> Loaded:
    """The e-book at `path`."""
    import ebooklib
    from ebooklib import epub

    check_archive(path, "EPUB e-book", "META-INF/container.xml")
    with zipfile.ZipFile(path) as archive:
        if "META-INF/encryption.xml" in archive.namelist() and _has_encrypted_content(archive):
            raise Unreadable("a DRM-protected e-book: its chapters are encrypted; use a DRM-free copy")
    try:
        book = epub.read_epub(str(path), options={"ignore_ncx": True})
        chapters = [(item.get_name(), item.get_content()) for item, _ in _spine(book)
                    if item.get_type() == ebooklib.ITEM_DOCUMENT and not isinstance(item, epub.EpubNav)]
        toc = _toc_titles(book.toc)
        metadata_title = next((value for value, _ in book.get_metadata("DC", "title")), "")
        metadata_date = next((value for value, _ in book.get_metadata("DC", "date")), "")
    except Exception as exc:  # noqa: BLE001 - ebooklib and lxml raise many kinds on a damaged file
        raise Unreadable(f"corrupt EPUB e-book ({type(exc).__name__}: {exc})") from None
    parts: list[str] = []
    sections: list[tuple[int, str]] = []
    length = 0
    for number, (name, content) in enumerate(chapters, start=1):
        heading, blocks = _chapter(content)
        if not blocks:
            continue
        sections.append((length, heading or toc.get(name) or f"Chapter {number}"))
        block = "\n\n".join(blocks)
        parts.append(block)
        length += len(block) + 2
    text = "\n\n".join(parts)
    if not text:
        raise Unreadable("empty (an e-book with no text)")
    guessed_title, guessed_date = title_and_date(text)
    title = " ".join(str(metadata_title).split()) or guessed_title
    return Loaded(text=text, title=title[:200], date=first_date(str(metadata_date)) or guessed_date,
                  sections=tuple(sections))


def _spine(book):
    for idref, _ in book.spine:
        item = book.get_item_with_id(idref)
        if item is not None:
            yield item, idref


def _toc_titles(toc) -> dict[str, str]:
    """The table of contents' title for each chapter file."""
    titles: dict[str, str] = {}
    for entry in toc:
        if isinstance(entry, tuple):
            section, children = entry
            titles.update(_toc_titles([section, *children]))
        elif getattr(entry, "href", None):
            titles.setdefault(entry.href.split("#")[0], entry.title)
    return titles


def _chapter(content: bytes) -> tuple[str, list[str]]:
    """The chapter's first heading and its blocks of text."""
    import lxml.html

    if not content.strip():
        return "", []
    root = lxml.html.fromstring(content)
    body = root.find(".//body")
    body = body if body is not None else root
    heading, blocks = "", []
    for element in body.iter(*_BLOCKS):
        if any(ancestor.tag in _BLOCKS for ancestor in element.iterancestors()):
            continue  # its text is part of the enclosing block's
        text = " ".join(element.text_content().split())
        if not text:
            continue
        if element.tag in _HEADINGS and not heading:
            heading = text
        blocks.append(text)
    if not blocks:
        text = " ".join(body.text_content().split())
        blocks = [text] if text else []
    return heading, blocks


def _has_encrypted_content(archive: zipfile.ZipFile) -> bool:
    # Fonts are often obfuscated (encryption.xml lists them) in books without DRM.
    listing = archive.read("META-INF/encryption.xml").decode("utf-8", "replace")
    return any(part in listing for part in (".xhtml", ".html", ".htm"))
