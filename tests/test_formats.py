"""Every format through the whole pipeline (fake models): citations name their page or section, re-indexing is incremental."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import write_docx, write_html, write_pdf
from fakes import FakeEmbedder
from rag.chunking import chunk_documents
from rag.display import sources_block
from rag.documents import make_document
from rag.errors import IndexStateError
from rag.loaders.cleaning import clean_pages

FILLER = ("The reconstruction programme was discussed at length by the international observers, who "
          "asked for more detail about financing, logistics and the timetable for each region. ")
ANSWER = "The delegation met in Geneva on Tuesday for seven hours."


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    paragraphs = [FILLER * 3 + f"Filler {i}." for i in range(5)] + [ANSWER, FILLER * 2]
    written = write_pdf(folder / "report.pdf", paragraphs, title="Report", header="Running header")
    assert [n for n, page in enumerate(written, 1) if any("Geneva" in line for line in page)] == [2]
    write_docx(folder / "memo.docx", ["The ceasefire line was drawn along the river Dnipro near Kherson."],
               title="Memo", headline="Memo", headings={0: "Front line"})
    write_html(folder / "page.html", ["The convoy left Kyiv on Monday morning with a police escort.",
                                      "Observers counted forty trucks of humanitarian aid crossing at dawn."],
               title="Aid", headline="Aid convoy", headings={1: "Convoys"})
    (folder / "notes.md").write_text("# Notes\n\n## Prisoners\n\nTwo hundred prisoners were exchanged in May.\n")
    (folder / "plain.txt").write_text("The summit in Alaska took place on August 15, 2025.\n")
    return folder


def test_every_format_is_indexed_and_a_pdf_citation_names_its_page(fake_rag, fake_llm, folder):
    report = fake_rag.index([folder])
    assert (report.documents, report.skipped) == (5, ())
    fake_llm.enqueue("The delegation met in Geneva for seven hours [1].")
    answer = fake_rag.ask("Where did the delegation meet, and for how long?")
    (citation,) = answer.citations
    assert (Path(citation.source).name, citation.page, citation.text) == ("report.pdf", 2, ANSWER)
    assert json.loads(json.dumps(answer.to_dict()))["citations"][0]["page"] == 2
    assert "p. 2: “The delegation met in Geneva" in sources_block(answer)


def test_citations_name_the_section_in_word_html_and_markdown(fake_rag, fake_llm, folder):
    fake_rag.index([folder])
    cases = [("Where was the ceasefire line drawn?", "Along the river Dnipro [1].", "Front line", "memo.docx"),
             ("How many trucks of humanitarian aid did observers count?", "Forty trucks [1].", "Convoys", "page.html"),
             ("How many prisoners were exchanged in May?", "Two hundred prisoners [1].", "Prisoners", "notes.md")]
    for question, said, section, name in cases:
        fake_llm.enqueue(said)
        answer = fake_rag.ask(question)
        assert len(answer.citations) == 1, (name, answer)
        (citation,) = answer.citations
        assert (Path(citation.source).name, citation.page, citation.section) == (name, None, section)
        assert f"§ {section}: “" in sources_block(_answer(citation))


def _answer(citation):
    from rag.types import Answer

    return Answer(question="q", text="t [1].", abstained=False, citations=(citation,))


def test_reindexing_embeds_only_the_changed_file(fake_rag, fake_embedder, folder):
    fake_rag.index([folder])
    again = fake_rag.index([folder])
    assert (again.changed, again.embedded) == (0, 0)
    write_pdf(folder / "report.pdf", [FILLER, "A new last paragraph about the talks."], header="Running header")
    changed = fake_rag.index([folder])
    assert changed.changed == 1 and changed.dropped == 1
    assert all(set(text.split()) & set(FILLER.split()) or "talks" in text for text in fake_embedder.calls[-1])


def test_an_index_of_the_older_format_asks_for_a_rebuild(fake_rag, folder):
    fake_rag.index([folder])
    live = fake_rag.settings.index_dir / (fake_rag.settings.index_dir / "CURRENT").read_text()
    meta = json.loads((live / "meta.json").read_text())
    (live / "meta.json").write_text(json.dumps({**meta, "format": 2}))
    with pytest.raises(IndexStateError, match=r"has format 2, but this version reads format 3; rebuild it"):
        fake_rag.index([folder])


def test_rag_index_skips_bad_files_lists_them_and_exits_0(tmp_path, folder, monkeypatch, capsys):
    from rag.cli import main

    (folder / "scan.pdf").write_bytes((folder / "report.pdf").read_bytes()[:1000])
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really")
    monkeypatch.setattr("rag.pipeline.load_embedder", lambda name: FakeEmbedder())
    monkeypatch.setattr(sys, "argv", ["rag", "index", "--index", str(tmp_path / "index"), str(folder)])
    main()  # returns: no error, no exit code
    out = capsys.readouterr()
    assert sorted(out.err.splitlines()) == [
        f"warning: skipped {folder / 'broken.docx'}: corrupt Word file (not a readable zip archive; truncated?)",
        f"warning: skipped {folder / 'scan.pdf'}: truncated PDF (no %%EOF at its end); get the whole file again"]
    assert out.out.startswith("indexed 5 documents")


LINES = st.lists(st.text(alphabet=st.sampled_from("ab -\u00ad\ufffe\x02.!?”\t\r\n0123456789Page xyz fnl"), max_size=40),
                 max_size=12).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(pages=st.lists(LINES, min_size=1, max_size=6), steps=st.sets(st.sampled_from(["headers", "hyphens", "paragraphs", "ligatures"])),
       size=st.integers(3, 30))
def test_spans_and_pages_are_exact_on_extracted_text_of_any_shape(pages, steps, size):
    text, starts = clean_pages(pages, steps)
    assert len(starts) == len(pages) and list(starts) == sorted(starts) and starts[0] == 0
    assert all(0 <= s <= len(text) for s in starts)
    from rag.loaders import Loaded

    document = make_document(Loaded(text=text, title="", date=None, pages=starts), source="x.pdf")
    bounds = [*starts, len(text)]
    for chunk in chunk_documents([document], count_tokens=lambda t: len(t.split()) + 1,
                                 chunk_tokens=size, chunk_overlap=size // 4):
        assert document.text[chunk.start:chunk.end] == chunk.text
        for offset in (chunk.start, chunk.end - 1):
            page = chunk.page_at(offset)
            assert bounds[page - 1] <= offset < bounds[page] or (offset == bounds[page] and bounds[page] == bounds[page - 1])
