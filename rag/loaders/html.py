"""Web pages through trafilatura: the main text, without navigation, menus, banners or footers.

trafilatura finds the article (its readability and jusText heuristics) and gives it as XML
with headings marked; headings become sections, table rows "cell | cell" lines. The title and
date are trafilatura's (`<title>`, the first heading, the page's date metadata), the date
falling back to the one the text gives. Chosen over selectolax, which parses faster but leaves
the choice of what is boilerplate to us. Does not run a page's scripts: a page that builds its
text in JavaScript has none to read.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .record import Loaded, Unreadable
from .text import first_date, title_and_date

_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.I)
_BLOCKS = {"head", "p", "list", "table", "quote", "code"}


def read(path: Path) -> Loaded:
    """The web page at `path`."""
    import trafilatura
    from lxml import etree

    markup = _decode(path.read_bytes())
    try:
        extracted = trafilatura.extract(markup, output_format="xml", include_tables=True, include_comments=False,
                                        include_links=False, include_images=False, with_metadata=True,
                                        # Only the date the page declares: a guess from the text
                                        # takes "Copyright 2025" in a footer for the article's date.
                                        date_extraction_params={"extensive_search": False})
    except Exception as exc:  # noqa: BLE001 - a page no parser can read is a skipped file, not a crash
        raise Unreadable(f"unreadable HTML ({type(exc).__name__}: {exc})") from None
    if not extracted:
        raise Unreadable("no readable text in the page (it is all script or markup)")
    root = etree.fromstring(extracted.encode("utf-8"))
    parts: list[str] = []
    sections: list[tuple[int, str]] = []
    length = 0
    for element in root.iter(*_BLOCKS):
        if element.getparent() is not None and element.getparent().tag in _BLOCKS | {"item", "cell", "row"}:
            continue  # nested inside a block that is written out whole
        block = _block_text(element)
        if not block:
            continue
        if element.tag == "head":
            sections.append((length, block))
        parts.append(block)
        length += len(block) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise Unreadable("no readable text in the page (it is all script or markup)")
    guessed_title, guessed_date = title_and_date(text)
    title = (root.get("title") or "").strip() or guessed_title
    return Loaded(text=text, title=title[:200], date=_date(root.get("date")) or guessed_date or first_date(text[:1500]),
                  sections=tuple(sections))


def _block_text(element) -> str:
    if element.tag == "table":
        rows = [" | ".join(_words(cell) for cell in row.iter("cell")) for row in element.iter("row")]
        return "\n".join(row for row in rows if row.strip(" |"))
    if element.tag == "list":
        return "\n".join(_words(item) for item in element.iter("item") if _words(item))
    return _words(element)


def _words(element) -> str:
    return " ".join("".join(element.itertext()).split())


def _decode(raw: bytes) -> str:
    if not raw.strip():
        raise Unreadable("empty")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(raw[:4096])
    if declared:
        try:
            return raw.decode(declared[1].decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    raise Unreadable("HTML that is not UTF-8 and declares no charset it is written in")


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None
