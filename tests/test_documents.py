import datetime as dt

import pytest

from rag.documents import load_documents, parse_document
from rag.errors import InputError
from rag.loaders.text import first_date


def test_seeds_load_with_titles_dates_and_stable_ids(seeds):
    documents, skipped = load_documents([seeds])
    assert skipped == []
    by_name = {d.source.rsplit("/", 1)[1]: d for d in documents}
    assert len(by_name) == 5
    first = by_name["000_38b3d92c6adbb77d.txt"]
    assert first.title.startswith("As Moscow Signals Actively Discussing Ukraine settlement")
    assert first.date == dt.date(2025, 11, 16)
    # "Advertisement" and "X" open this scraped page: the headline is the title.
    assert by_name["001_ac15bf39501e0efc.txt"].title == "Kremlin Aide Reveals Active Talks On Ukraine Settlement"
    # An explicit "date 2025-11-13" line wins, and is not part of the title.
    dated = by_name["002_cd1b89ea49e7bc27.txt"]
    assert dated.date == dt.date(2025, 11, 13)
    assert dated.title.startswith("Kremlin Claims Willingness for Peace Talks")
    assert load_documents([seeds])[0][0].id == documents[0].id


def test_id_depends_on_content_not_path():
    a = parse_document("Same words.", source="a.txt")
    b = parse_document("Same words.", source="b/c.txt")
    assert a.id == b.id and a.id != parse_document("Other words.", source="a.txt").id


def test_markdown_title_is_first_heading():
    doc = parse_document("intro line\n\n# The Heading\n\nbody", source="x.md")
    assert doc.title == "The Heading"
    assert doc.date is None


def test_bad_files_are_skipped_with_reasons(tmp_path):
    (tmp_path / "good.txt").write_text("A good document about Pokrovsk.")
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "copy.md").write_text("A good document about Pokrovsk.")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.md").write_text("# Nested\ntext")
    documents, skipped = load_documents([tmp_path])
    assert sorted(d.source.rsplit("/", 1)[1] for d in documents) == ["copy.md", "nested.md"]
    reasons = {s.path.rsplit("/", 1)[1]: s.reason for s in skipped}
    assert reasons.pop("image.png").startswith("corrupt image")
    assert reasons == {"empty.txt": "empty", "binary.txt": "binary",
                       "latin1.txt": "not UTF-8 text (byte 0xe9 at offset 3); convert it, e.g. iconv -f latin1 -t utf-8",
                       "good.txt": "duplicate of a file already loaded"}


def test_missing_path_and_empty_folder_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        load_documents([tmp_path / "nope"])
    with pytest.raises(InputError, match=r"no documents \(.txt, .md, .pdf, .html, .docx, .pptx"):
        load_documents([tmp_path])


@pytest.mark.parametrize("text, date", [
    ("Nov 13, 2020 ... All 10 episodes debut on Nov 15.", dt.date(2020, 11, 13)),
    ("Posted Sept. 5, 2021 by staff", dt.date(2021, 9, 5)),
    ("13 Nov 2020 - the season opens", dt.date(2020, 11, 13)),
    ("Wednesday, November 18, 2020: the draft", dt.date(2020, 11, 18)),
    ("Updated 6/19/2020 at noon", dt.date(2020, 6, 19)),
    ("Dec. 2015 was cold, then on 2016-01-04 it snowed", dt.date(2016, 1, 4)),
])
def test_first_date_reads_abbreviated_and_day_first_months(text, date):
    assert first_date(text) == date


@pytest.mark.parametrize("text", [
    "5 apples in 2020",                     # numbers are no date (dateutil's fuzzy parser says 2020-05-07)
    "room 12 of 2019",
    "we may 5, 2020 be late",               # a lower-case "may" is a verb
    "on 6/7/2020 or 7/6/2020",              # either order: no date rather than a guess
    "Feb 30, 2021 never was",               # not a day of that month
    "In November 2020 the season began",    # no day
])
def test_first_date_makes_no_date_out_of_numbers(text):
    assert first_date(text) is None
