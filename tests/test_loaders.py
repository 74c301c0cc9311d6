"""Loaders on real files made here by real writers (fpdf2, python-docx, HTML by hand): text, structure, bad files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from builders import write_docx, write_html, write_pdf
from rag.chunking import chunk_documents
from rag.documents import load_documents
from rag.loaders import Unreadable, detect, load
from rag.loaders.cleaning import clean_pages

WORDS = ("the delegation negotiations settlement Kremlin Zaporizhzhia frontline humanitarian "
         "ceasefire reconstruction international observers agreement withdrawal").split()


def _paragraphs(count: int, seed: int = 0) -> list[str]:
    out = []
    for p in range(count):
        words = [WORDS[(seed + p * 7 + i * 3) % len(WORDS)] for i in range(60)]
        out.append(" ".join(words).capitalize() + f" Paragraph marker{p}x ends here.")
    return out


@pytest.fixture
def report_pdf(tmp_path) -> tuple[Path, list[list[str]]]:
    path = tmp_path / "report.pdf"
    lines = write_pdf(path, ["Quarterly Report on the Talks", *_paragraphs(12)], title="Quarterly Report",
                      header="Daily Example — Quarterly Report")
    return path, lines


def test_pdf_pages_header_and_hyphens(report_pdf):
    path, written = report_pdf
    assert len(written) >= 3 and any(line.endswith("-") for page in written for line in page)
    loaded = load(path)
    assert loaded.title == "Quarterly Report"
    assert len(loaded.pages) == len(written) and loaded.pages[0] == 0
    assert "Daily Example" not in loaded.text and "Page 2" not in loaded.text
    # Words split at line ends are whole again; no hyphen is left before a line break.
    assert "-\n" not in loaded.text and "- " not in loaded.text
    for word in ("negotiations", "humanitarian", "reconstruction"):
        assert word in loaded.text
    # Each paragraph is one block, its lines joined by spaces.
    assert loaded.text.count("ends here.") == 12
    assert all(block.endswith("ends here.") for block in loaded.text.split("\n\n")[1:])
    # A marker written on page n is in the text of page n.
    bounds = [*loaded.pages, len(loaded.text)]
    for number, page in enumerate(written, 1):
        markers = [word for line in page for word in line.split() if word.startswith("marker")]
        for marker in markers:
            assert marker in loaded.text[bounds[number - 1]:bounds[number]], (marker, number)


def test_a_pdf_named_txt_is_read_as_pdf(report_pdf, tmp_path):
    disguised = tmp_path / "notes.txt"
    disguised.write_bytes(report_pdf[0].read_bytes())
    assert detect(disguised.read_bytes()[:4096], disguised) == "pdf"
    (document,), skipped = load_documents([disguised])
    assert skipped == [] and len(document.pages) >= 3 and "negotiations" in document.text


def test_chunks_name_the_page_their_text_is_on(report_pdf):
    (document,), _ = load_documents([report_pdf[0]])
    chunks = chunk_documents([document], count_tokens=lambda t: len(t.split()), chunk_tokens=40, chunk_overlap=8)
    bounds = [*document.pages, len(document.text)]
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text
        for offset in range(chunk.start, chunk.end, 17):
            page = chunk.page_at(offset)
            assert bounds[page - 1] <= offset < bounds[page]
    assert {page for chunk in chunks for _, page in chunk.pages} == set(range(1, len(document.pages) + 1))


def test_docx_paragraphs_headings_and_tables(tmp_path):
    path = tmp_path / "memo.docx"
    write_docx(path, _paragraphs(3), title="Memo on the talks", headline="Memo",
               headings={1: "Background", 2: "Next steps"},
               table=[["Name", "Role"], ["Ushakov", "Kremlin aide"]])
    loaded = load(path)
    assert loaded.title == "Memo on the talks"
    assert [heading for _, heading in loaded.sections] == ["Memo", "Background", "Next steps"]
    for offset, heading in loaded.sections:
        assert loaded.text[offset:offset + len(heading)] == heading
    assert loaded.text.endswith("Name | Role\nUshakov | Kremlin aide")
    assert loaded.pages == ()


def test_html_main_text_without_navigation(tmp_path):
    path = tmp_path / "page.html"
    write_html(path, _paragraphs(3), title="Talks in Moscow", headline="Talks in Moscow end",
               headings={2: "What comes next"})
    loaded = load(path)
    assert loaded.title.startswith("Talks in Moscow")
    assert "marker0x" in loaded.text and "marker2x" in loaded.text
    for boilerplate in ("Subscribe", "cookies", "Celebrity chef", "All rights reserved", "analytics"):
        assert boilerplate not in loaded.text
    assert ("What comes next" in [heading for _, heading in loaded.sections])
    for offset, heading in loaded.sections:
        assert loaded.text[offset:offset + len(heading)] == heading


def test_markdown_headings_are_sections(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nintro\n\n```\n# not a heading\n```\n\n## Second part\n\nbody\n")
    loaded = load(path)
    assert loaded.sections == ((0, "Notes"), (loaded.text.index("## Second"), "Second part"))


def _scan(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 100, 150, style="F")  # a page that is all picture, as a scan is
    pdf.output(str(path))


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (40 * 2**20))


def test_bad_files_are_skipped_with_a_reason_and_the_rest_load(tmp_path, report_pdf):
    folder = tmp_path / "docs"
    folder.mkdir()
    good = _paragraphs(2)
    write_pdf(folder / "good.pdf", good)
    write_docx(folder / "good.docx", _paragraphs(2, seed=1))
    write_html(folder / "good.html", _paragraphs(2, seed=2), title="Good page")
    (folder / "good.md").write_text("# Good\n\nA Markdown file about the talks.")
    (folder / "good.txt").write_text("A text file about the talks.")
    write_pdf(folder / "locked.pdf", good, password="secret")
    _scan(folder / "scan.pdf")
    (folder / "cut.pdf").write_bytes(report_pdf[0].read_bytes()[:3000])
    (folder / "cut.docx").write_bytes((folder / "good.docx").read_bytes()[:2000])
    _zip_bomb(folder / "bomb.docx")
    (folder / "script.html").write_text("<!doctype html><html><head><script>var a = 1;</script></head>"
                                        "<body><script>document.write('hello')</script></body></html>")
    with zipfile.ZipFile(folder / "archive.docx", "w") as archive:
        archive.writestr("readme.txt", "not a Word file")
    documents, skipped = load_documents([folder])
    assert sorted(Path(d.source).name for d in documents) == ["good.docx", "good.html", "good.md", "good.pdf", "good.txt"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons["locked.pdf"].startswith("encrypted PDF")
    assert reasons["scan.pdf"] == "no text layer, and no scanned page to read by OCR"
    assert reasons["cut.pdf"].startswith("truncated PDF")
    assert reasons["cut.docx"].startswith("corrupt Word file")
    assert "zip bomb" in reasons["bomb.docx"]
    assert reasons["script.html"].startswith("no readable text")
    assert "not a Word document" in reasons["archive.docx"]
    assert len(reasons) == 7 and all("\n" not in reason for reason in reasons.values())


def test_cleaning_steps_one_by_one():
    pages = ["Running head 1\nThe negoti-\nations went on for\nfive hours.\nShort.\nFooter 1",
             "Running head 2\nA well-\nknown Russia-\nUkraine matter, a well-known one.\nFooter 2",
             "Running head 3\nEnd.\nFooter 3"]
    raw, _ = clean_pages(pages, steps=())
    assert raw.startswith("Running head 1\nThe negoti-\nations")
    text, starts = clean_pages(pages)
    assert "Running head" not in text and "Footer" not in text
    assert "negotiations" in text and "Russia-Ukraine" in text and "well-known matter" not in text
    assert "A well-known Russia-Ukraine matter" in text
    assert text[starts[1]:].startswith("A well-known") and text[starts[2]:] == "End."


def test_split_marks_are_joined_and_lost_ligatures_repaired_where_unambiguous():
    pages = ["The Su\ufffe\npreme Court heard the signif\u00adcant case.\nThe fnal brief was fled by the\n"
             "offcer of the Court, and the Ofce closed.", "An ef\ufffeficient end."]
    text, starts = clean_pages(pages)
    assert text[:starts[1]].rstrip() == ("The Supreme Court heard the significant case. The final brief was fled by "
                                         "the officer of the Court, and the Office closed.")
    assert text[starts[1]:] == "An efficient end."  # "fled" is a word: it may have been "filed", or not
    kept, _ = clean_pages(pages, steps=("headers", "hyphens", "paragraphs"))
    assert "signifcant" in kept and "Supreme" in kept and "\u00ad" not in kept


def test_unreadable_is_the_reason():
    with pytest.raises(Unreadable, match="empty"):
        from rag.loaders.text import decode
        decode(b"  \n")


def test_a_ruled_table_keeps_each_row_as_one_line_of_cells(tmp_path):
    from bench.tables import make_table

    rows = make_table(tmp_path / "table.pdf", wrap=True)  # 31 rows over two pages, some cells wrapping
    loaded = load(tmp_path / "table.pdf")
    lines = set(loaded.text.splitlines())
    assert all(" | ".join(row) in lines for row in rows)
    assert len(loaded.pages) == 2 and loaded.text[loaded.pages[1]:].startswith("City | Population | Note")
