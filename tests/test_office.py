"""Decks, spreadsheets and e-books, made by their own libraries (python-pptx, openpyxl, ebooklib), plus broken and hostile ones."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from builders import write_docx, write_epub, write_pptx, write_xlsx
from rag.documents import load_documents
from rag.loaders import detect, load

SLIDES = [("Roadmap 2027", "Launch the orbital greenhouse in March", "Mention the budget of 4 million euros"),
          ("Risks", "Supplier delays for the solar panels", "The backup supplier is Helix Corp")]


def _section(loaded, offset: int) -> str:
    return [heading for start, heading in loaded.sections if start <= offset][-1]


def test_a_deck_is_slides_as_pages_with_notes(tmp_path):
    path = tmp_path / "deck.pptx"
    write_pptx(path, SLIDES, title="Plans")
    loaded = load(path)
    assert loaded.title == "Plans"
    assert loaded.text == ("Roadmap 2027\nLaunch the orbital greenhouse in March\nNotes: Mention the budget of 4 million euros"
                           "\n\nRisks\nSupplier delays for the solar panels\nNotes: The backup supplier is Helix Corp")
    assert loaded.pages == (0, loaded.text.index("Risks"))
    assert loaded.sections == ((0, "Roadmap 2027"), (loaded.text.index("Risks"), "Risks"))


def test_a_workbook_is_sheets_as_sections_and_rows_as_header_value_pairs(tmp_path):
    path = tmp_path / "book.xlsx"
    write_xlsx(path, {"Staff": [("Name", "Role", "Office"), ("Ada Brook", "Treasurer", "Lisbon"), (None, None, None),
                                ("Ben Crane", None, "Oslo")],
                      "Budget": [("Item", "Cost", "Bought"), ("Telescope", 1250.5, dt.datetime(2026, 3, 1)),
                                 ("Van", 30000.0, None)]})
    loaded = load(path)
    assert loaded.text == ("Staff\nName: Ada Brook; Role: Treasurer; Office: Lisbon\nName: Ben Crane; Office: Oslo\n\n"
                           "Budget\nItem: Telescope; Cost: 1250.5; Bought: 2026-03-01\nItem: Van; Cost: 30000")
    assert loaded.sections == ((0, "Staff"), (loaded.text.index("Budget"), "Budget"))
    assert _section(loaded, loaded.text.index("Van")) == "Budget"


def test_a_csv_is_one_section_of_rows_its_delimiter_sniffed(tmp_path):
    path = tmp_path / "cities.csv"
    path.write_text('city;population;note\nPorto;231800;"on the Douro; north"\nBraga;193300;\n')
    loaded = load(path)
    assert loaded.text == "cities\ncity: Porto; population: 231800; note: on the Douro; north\ncity: Braga; population: 193300"
    assert loaded.sections == ((0, "cities"),)


def test_an_ebook_is_chapters_as_sections(tmp_path):
    path = tmp_path / "book.epub"
    write_epub(path, [("The Desert", "The caravan left Timbuktu with forty camels.\n\nIt was hot."),
                      ("The Sea", "At the coast they traded salt for cloth.")], title="The Salt Road", date="2024-05-02")
    loaded = load(path)
    assert (loaded.title, loaded.date) == ("The Salt Road", dt.date(2024, 5, 2))
    assert loaded.text == ("The Desert\n\nThe caravan left Timbuktu with forty camels.\n\nIt was hot.\n\n"
                           "The Sea\n\nAt the coast they traded salt for cloth.")
    assert loaded.sections == ((0, "The Desert"), (loaded.text.index("The Sea"), "The Sea"))


def test_formats_are_told_by_content_not_name(tmp_path):
    write_pptx(tmp_path / "deck.bin", SLIDES)
    write_xlsx(tmp_path / "book.bin", {"A": [("x",), (1,)]})
    write_epub(tmp_path / "book2.bin", [("One", "Text.")])
    kinds = [detect((tmp_path / name).read_bytes()[:4096], tmp_path / name) for name in ("deck.bin", "book.bin", "book2.bin")]
    assert kinds == ["pptx", "xlsx", "epub"]


def _bomb(path: Path, part: str) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, b"<x>" + b" " * (40 * 2**20))


def test_broken_and_hostile_files_are_skipped_with_their_reason_and_the_rest_load(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    write_pptx(folder / "good.pptx", SLIDES)
    write_xlsx(folder / "good.xlsx", {"S": [("a", "b"), (1, 2)]})
    write_epub(folder / "good.epub", [("One", "The first chapter.")], title="Good")
    for name in ("good.pptx", "good.xlsx", "good.epub"):
        (folder / name.replace("good", "cut")).write_bytes((folder / name).read_bytes()[:1500])
    _bomb(folder / "bomb.pptx", "ppt/presentation.xml")
    _bomb(folder / "bomb.xlsx", "xl/workbook.xml")
    _bomb(folder / "bomb.epub", "META-INF/container.xml")
    with zipfile.ZipFile(folder / "good.epub") as source, zipfile.ZipFile(folder / "drm.epub", "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("META-INF/encryption.xml", '<encryption><EncryptedData><CipherReference URI="EPUB/chapter1.xhtml"/>'
                                                   "</EncryptedData></encryption>")
    # An encrypted Office file is an OLE container, not a zip.
    (folder / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    (folder / "empty.csv").write_text("only,a,header\n")
    (folder / "latin.csv").write_bytes("caf\xe9,1\n".encode("latin-1"))
    write_docx(folder / "fine.docx", ["A Word file still loads."])
    documents, skipped = load_documents([folder])
    assert sorted(Path(d.source).name for d in documents) == ["fine.docx", "good.epub", "good.pptx", "good.xlsx"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons["cut.pptx"].startswith("corrupt PowerPoint deck")
    assert reasons["cut.xlsx"].startswith("corrupt Excel workbook")
    assert reasons["cut.epub"].startswith("corrupt EPUB e-book")
    assert all("zip bomb" in reasons[f"bomb.{kind}"] for kind in ("pptx", "xlsx", "epub"))
    assert reasons["drm.epub"].startswith("a DRM-protected e-book")
    assert reasons["locked.xlsx"].startswith("an encrypted or legacy Office file")
    assert reasons["empty.csv"].startswith("empty")
    assert reasons["latin.csv"].startswith("not UTF-8 text")
    assert len(reasons) == 10 and all("\n" not in reason for reason in reasons.values())


def test_citations_name_the_slide_and_the_sheet(fake_rag, fake_llm, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    write_pptx(folder / "deck.pptx", SLIDES)
    write_xlsx(folder / "staff.xlsx", {"Intro": [("Note",), ("Staff list of the observatory",)],
                                       "Staff": [("Name", "Role"), ("Ada Brook", "Treasurer of the observatory")]})
    fake_rag.index([folder])
    fake_llm.enqueue("Helix Corp [1].")
    (citation,) = fake_rag.ask("Who is the backup supplier for the solar panels?").citations
    assert (Path(citation.source).name, citation.page, citation.section) == ("deck.pptx", 2, "Risks")
    fake_llm.enqueue("Ada Brook is the Treasurer of the observatory [1].")
    (citation,) = fake_rag.ask("Who is the Treasurer of the observatory?").citations
    assert (Path(citation.source).name, citation.page, citation.section) == ("staff.xlsx", None, "Staff")
