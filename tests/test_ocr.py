"""Scans read by the real OCR engine (Tesseract): pages drawn with Pillow, saved as a PDF without text layer and as a PNG."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rapidfuzz.distance import Levenshtein

from builders import write_scan
from rag.documents import load_documents
from rag.loaders import Options, load, ocr

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed (make setup)")

# Every line differs, letters and not only digits, so none is taken for a running header.
PLACES = ("Aberdeen", "Bergen", "Cadiz", "Danzig", "Esbjerg", "Flushing", "Galway", "Hull", "Ipswich", "Jersey",
          "Kiel", "Lisbon", "Malmo", "Nantes", "Oporto", "Plymouth")
FILLER = " ".join(f"The ship from {place} paid the harbour dues for {len(place)} days and took on water, coal "
                  f"and salted fish before sailing north." for place in PLACES)
FACT = "The lighthouse keeper in 1887 was Marta Quill, who kept a logbook of every ship."
PHOTO = ["Museum notice", "The museum opens at nine in the morning and closes at five.",
         "Tickets cost twelve euros for adults and nothing for children."]


def cer(reference: str, hypothesis: str) -> float:
    reference, hypothesis = " ".join(reference.split()), " ".join(hypothesis.split())
    return Levenshtein.distance(reference, hypothesis) / len(reference)


@pytest.fixture(scope="module")
def scans(tmp_path_factory) -> tuple[Path, list[str], list[str]]:
    """A folder with a 2-page scanned PDF (the fact on page 2) and a photo of a page, and the text drawn on each page."""
    folder = tmp_path_factory.mktemp("scans")
    pages = write_scan(folder / "harbour.pdf", ["Harbour records", FILLER, FILLER.replace("ship", "boat")[:1200], FACT, FILLER.replace("ship", "barge")[:600]])
    assert len(pages) == 2 and "Marta Quill" in pages[1]
    photo = write_scan(folder / "notice.png", PHOTO, angle=-0.8)
    return folder, pages, photo


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    """The `cache_dir` setting shared by this module's tests, so each page is read once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def cache(cache_dir) -> Path:
    return cache_dir / "ocr"  # where `RAG` keeps OCR results


def test_scanned_pages_are_read_with_few_errors_and_keep_their_pages(scans, cache):
    folder, pages, photo = scans
    documents, skipped = load_documents([folder], Options(cache_dir=cache))
    assert skipped == []
    pdf, png = sorted(documents, key=lambda d: d.source)
    assert len(pdf.pages) == 2 and len(png.pages) == 1
    read = [pdf.text[pdf.pages[0]:pdf.pages[1]], pdf.text[pdf.pages[1]:]]
    assert [cer(drawn, got) for drawn, got in zip(pages, read)] < [0.02, 0.02]
    assert "Marta Quill" in read[1]
    assert cer(photo[0], png.text) < 0.02


def test_citations_name_the_scanned_page(scans, cache_dir, fake_embedder, fake_llm, tmp_path):
    from rag import RAG

    folder, _, _ = scans
    rag = RAG(index_dir=tmp_path / "index", cache_dir=cache_dir, embedder=fake_embedder, generator=fake_llm,
              min_score=0.0)
    rag.index([folder])
    fake_llm.enqueue("Marta Quill was the lighthouse keeper [1].")
    (citation,) = rag.ask("Who was the lighthouse keeper in 1887?").citations
    assert (Path(citation.source).name, citation.page) == ("harbour.pdf", 2)
    fake_llm.enqueue("It costs twelve euros [1].")
    (citation,) = rag.ask("How much do museum tickets cost for adults?").citations
    assert (Path(citation.source).name, citation.page) == ("notice.png", 1)


def test_the_cache_spares_reading_a_page_again(scans, cache, monkeypatch):
    folder, _, _ = scans
    first = load(folder / "harbour.pdf", Options(cache_dir=cache))

    def no_ocr(*args, **kwargs):
        raise AssertionError("the page was read again")

    monkeypatch.setattr("rag.loaders.ocr._recognise", no_ocr)
    assert load(folder / "harbour.pdf", Options(cache_dir=cache)).text == first.text


def test_ocr_off_a_missing_engine_and_the_caps_skip_the_file_and_the_rest_loads(scans, tmp_path, monkeypatch):
    folder, _, _ = scans
    (folder / "readme.txt").write_text("A text file is still read.")
    try:
        cases = {
            "off": (Options(ocr=False), "no text layer, and OCR is off (ocr = false); turn it on to read scans"),
            "pages": (Options(ocr_max_pages=1, cache_dir=tmp_path), "2 pages need OCR, over the cap of 1 "
                      "(ocr_max_pages); raise it to read this file"),
        }
        for options, reason in cases.values():
            documents, skipped = load_documents([folder], options)
            assert [Path(d.source).name for d in documents] == (["readme.txt"] if options.ocr is False
                                                                 else ["notice.png", "readme.txt"])
            assert {Path(s.path).name: s.reason for s in skipped}["harbour.pdf"] == reason
        monkeypatch.setattr("rag.loaders.ocr.TESSERACT", str(tmp_path / "no-tesseract"))
        documents, skipped = load_documents([folder], Options(cache_dir=tmp_path / "empty"))
        assert [Path(d.source).name for d in documents] == ["readme.txt"]
        assert {s.reason for s in skipped} == {ocr.INSTALL}
    finally:
        (folder / "readme.txt").unlink()


def test_a_page_past_the_time_cap_is_left_out(scans, tmp_path, caplog):
    folder, _, _ = scans
    with pytest.raises(Exception, match="no text found by OCR"):
        load(folder / "harbour.pdf", Options(ocr_page_seconds=0.01, cache_dir=tmp_path))
    assert "page 1 not read" in caplog.text and not list(tmp_path.glob("*.json"))


def test_broken_and_hostile_images_are_skipped_with_their_reason(tmp_path):
    from PIL import Image

    write_scan(tmp_path / "page.png", PHOTO)
    (tmp_path / "cut.png").write_bytes((tmp_path / "page.png").read_bytes()[:3000])
    Image.new("1", (20000, 20000)).save(tmp_path / "bomb.png")  # 400 million pixels in a few kilobytes
    (tmp_path / "page.png").unlink()
    documents, skipped = load_documents([tmp_path], Options(cache_dir=tmp_path / "cache"))
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert documents == []
    assert reasons["cut.png"].startswith("corrupt image")
    assert "decompression bomb" in reasons["bomb.png"]


def test_a_photo_is_read_the_way_up_its_exif_tags_say(tmp_path):
    from PIL import Image

    from builders import scan_pages

    image, text = scan_pages(PHOTO)[0]
    orientation = Image.Exif()
    orientation[0x0112] = 6  # "turn 90 degrees clockwise to view", as a phone held upright writes it
    image.rotate(90, expand=True).save(tmp_path / "photo.jpg", exif=orientation)
    assert cer(text, load(tmp_path / "photo.jpg", Options()).text) < 0.02
