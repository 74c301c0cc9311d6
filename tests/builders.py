"""Files in the formats people keep, written from plain paragraphs: PDF, scans, Word, decks, workbooks, e-books, HTML.

`convert` writes the seed articles in each format (`python -m bench.converted` is its command
line); the writers make the small test files of `tests/test_loaders.py` and `tests/test_formats.py`.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag.loaders.text import title_and_date

if TYPE_CHECKING:
    from PIL import Image

_MIN_SPLIT = 3  # letters kept on each side of a line-end hyphen


def write_pdf(path: Path, paragraphs: Sequence[str], *, title: str = "", header: str = "",
              page_format: str | tuple[float, float] = (148, 210), font_size: float = 11, hyphenate: bool = True,
              password: str | None = None) -> list[list[str]]:
    """A PDF of `paragraphs` with `header` atop each page and "Page N" below; the lines written on each page."""
    from fpdf import FPDF

    class Paged(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("Helvetica", "I", font_size - 2)
                self.cell(0, 5, header, new_x="LMARGIN", new_y="NEXT", align="C")
                self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", "I", font_size - 2)
            self.cell(0, 5, f"Page {self.page_no()}", align="C")

    pdf = Paged(format=page_format)
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_auto_page_break(False)
    pdf.set_margins(10, 10, 10)
    if title:
        pdf.set_title(title)
    if password:
        pdf.set_encryption(owner_password=password, user_password=password)
    pdf.add_page()
    written: list[list[str]] = [[]]
    height = font_size * 0.5
    bottom = pdf.h - 16
    for paragraph in paragraphs:
        pdf.set_font("Helvetica", "", font_size)
        for line in _wrap(pdf, paragraph, pdf.w - pdf.l_margin - pdf.r_margin, hyphenate):
            if pdf.get_y() + height > bottom:
                pdf.add_page()
                written.append([])
            pdf.cell(0, height, line, new_x="LMARGIN", new_y="NEXT")
            written[-1].append(line)
        pdf.ln(height * 0.6)
    pdf.output(str(path))
    return written


def _wrap(pdf, paragraph: str, width: float, hyphenate: bool) -> list[str]:
    lines, line = [], ""
    for word in paragraph.split():
        candidate = f"{line} {word}" if line else word
        if pdf.get_string_width(candidate) <= width:
            line = candidate
            continue
        if hyphenate and word.isalpha() and len(word) >= 2 * _MIN_SPLIT:
            # The longest head of the word that fits on this line with its hyphen.
            for cut in range(len(word) - _MIN_SPLIT, _MIN_SPLIT - 1, -1):
                head = f"{line} {word[:cut]}-" if line else f"{word[:cut]}-"
                if pdf.get_string_width(head) <= width:
                    lines.append(head)
                    line = word[cut:]
                    break
            else:
                lines.append(line)
                line = word
            continue
        if line:
            lines.append(line)
        line = word
    if line:
        lines.append(line)
    return lines


def write_scan(path: Path, paragraphs: Sequence[str], **options) -> list[str]:
    """`scan_pages` written to `path`: every page into a `.pdf` (no text layer), else the first into an image file."""
    pages = scan_pages(paragraphs, **options)
    images = [image for image, _ in pages]
    dpi = options.get("dpi", 200)
    if path.suffix.lower() == ".pdf":
        images[0].save(path, save_all=True, append_images=images[1:], resolution=dpi)
    else:
        images[0].save(path, dpi=(dpi, dpi))
    return [text for _, text in pages]


def scan_pages(paragraphs: Sequence[str], *, dpi: int = 200, font_size: float = 11,
               page_format: tuple[float, float] = (148, 210), angle: float = 0.4, noise: float = 0.02,
               seed: int = 0) -> list[tuple["Image.Image", str]]:
    """Pages of `paragraphs` as a scanner gives them, slightly turned and speckled: each image and its text."""
    import random

    from PIL import Image, ImageDraw, ImageFont

    width, height = (round(mm / 25.4 * dpi) for mm in page_format)
    margin = round(12 / 25.4 * dpi)
    size = round(font_size / 72 * dpi)
    try:
        # DejaVu has the dashes, quotes and bullets news text uses; Pillow's own font lacks them.
        font, undrawn = ImageFont.truetype("DejaVuSerif.ttf", size), {}
    except OSError:
        font, undrawn = ImageFont.load_default(size=size), _UNDRAWN
    line_height = round(font_size / 72 * dpi * 1.4)
    pages: list[list[str]] = [[]]
    y = margin
    for paragraph in (p.translate(undrawn) for p in paragraphs):
        for line in _wrap_pixels(font, paragraph, width - 2 * margin):
            if y + line_height > height - margin:
                pages.append([])
                y = margin
            pages[-1].append(line)
            y += line_height
        y += line_height // 2
    generator = random.Random(seed)
    scans = []
    for lines in pages:
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        for number, line in enumerate(lines):
            draw.text((margin, margin + number * line_height), line, fill=20, font=font)
        for _ in range(int(noise * width * height / 100)):
            draw.point((generator.randrange(width), generator.randrange(height)), fill=generator.randrange(0, 200))
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        scans.append((image, "\n".join(lines)))
    return scans


# Pillow's own font has no glyph for these: the page says what a typewriter would.
_UNDRAWN = str.maketrans({"•": "-", "—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "..."})


def _wrap_pixels(font, paragraph: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in paragraph.split():
        candidate = f"{line} {word}" if line else word
        if line and font.getlength(candidate) > width:
            lines.append(line)
            candidate = word
        line = candidate
    return lines + [line] if line else lines


def write_docx(path: Path, paragraphs: Sequence[str], *, title: str = "", headline: str = "",
               headings: dict[int, str] | None = None, table: Sequence[Sequence[str]] = ()) -> None:
    """A Word file: `title` as its Title property, `headline` in the Title style, `headings[i]` before paragraph i."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title[:255]  # the property's limit
    if headline:
        document.add_heading(headline, 0)
    for number, paragraph in enumerate(paragraphs):
        if headings and number in headings:
            document.add_heading(headings[number], 1)
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(grid.rows, table):
            for cell, value in zip(row.cells, cells):
                cell.text = value
    document.save(str(path))


def write_pptx(path: Path, slides: Sequence[tuple[str, str, str]], *, title: str = "") -> None:
    """A deck through python-pptx: one (title, body, speaker notes) per slide, title-and-content layout."""
    import pptx

    deck = pptx.Presentation()
    if title:
        deck.core_properties.title = title
    for heading, body, notes in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = heading
        slide.placeholders[1].text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(str(path))


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> None:
    """A workbook through openpyxl: each sheet's rows, the first its header."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    book.save(str(path))


def write_epub(path: Path, chapters: Sequence[tuple[str, str]], *, title: str = "", date: str = "") -> None:
    """An EPUB through ebooklib: one (heading, text) chapter each, its paragraphs split at blank lines."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier(f"rag-{path.stem}")
    book.set_title(title or "Untitled")
    book.set_language("en")
    if date:
        book.add_metadata("DC", "date", date)
    items = []
    for number, (heading, text) in enumerate(chapters, start=1):
        chapter = epub.EpubHtml(title=heading, file_name=f"chapter{number}.xhtml", lang="en")
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
        chapter.content = f"<h1>{html.escape(heading)}</h1>{paragraphs}"
        book.add_item(chapter)
        items.append(chapter)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    epub.write_epub(str(path), book)


def write_html(path: Path, paragraphs: Sequence[str], *, title: str = "", headline: str = "",
               headings: dict[int, str] | None = None) -> None:
    """A web page with the article between a menu, a cookie banner, a sidebar and a footer."""
    body = [f"<h1>{html.escape(headline)}</h1>"] if headline else []
    for number, paragraph in enumerate(paragraphs):
        if headings and number in headings:
            body.append(f"<h2>{html.escape(headings[number])}</h2>")
        body.append(f"<p>{html.escape(paragraph)}</p>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} | The Daily Example</title>
<script>window.analytics = {{track: function () {{}}}};</script></head>
<body>
<header><nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/world">World news</a></li>
<li><a href="/politics">Politics and elections</a></li><li><a href="/subscribe">Subscribe for unlimited access</a></li></ul></nav></header>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience and show personalised adverts. Accept all cookies or manage your preferences.</div>
<main><article>
{chr(10).join(body)}
</article></main>
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Celebrity chef opens a new restaurant downtown</a></li>
<li><a href="/b">Ten tips for a better night's sleep this winter</a></li></ul></aside>
<footer><p>Copyright 2025 The Daily Example. All rights reserved. Terms of use. Privacy policy.</p></footer>
</body></html>
"""
    path.write_text(page, encoding="utf-8")


def convert(source: Path, out: Path) -> dict[str, Path]:
    """Each `.txt` in `source` written into `out/pdf`, `out/docx`, `out/html`, `out/scan` and `out/txt`, same stems."""
    folders = {kind: out / kind for kind in ("pdf", "docx", "html", "scan", "txt")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    for text_file in sorted(source.glob("*.txt")):
        text = text_file.read_text(encoding="utf-8")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        # The title the text loader finds, so each format's metadata says what the .txt says.
        title = title_and_date(text)[0]
        stem = text_file.stem
        write_pdf(folders["pdf"] / f"{stem}.pdf", lines, title=title, header=f"The Daily Example — {title[:40]}")
        write_docx(folders["docx"] / f"{stem}.docx", lines[1:], title=title, headline=lines[0])
        write_html(folders["html"] / f"{stem}.html", lines[1:], title=title, headline=lines[0])
        write_scan(folders["scan"] / f"{stem}.pdf", lines)
        shutil.copy(text_file, folders["txt"] / text_file.name)
    return folders
