import datetime as dt

from rag.citations import is_refusal, resolve_citations
from rag.prompting import REFUSAL
from rag.types import Chunk, Hit


def _hit(n: int) -> Hit:
    chunk = Chunk(id=f"d{n}:0", doc_id=f"d{n}", source=f"docs/{n}.txt", title=f"T{n}",
                  date=dt.date(2025, 11, n), start=10 * n, end=10 * n + 5, text=f"text{n}")
    return Hit(chunk=chunk, score=0.5, rank=n)


def test_markers_map_to_source_records():
    sources = [_hit(1), _hit(2)]
    text, citations = resolve_citations("Kyiv rejected it [2]. Moscow insists [1][2].", sources)
    assert text == "Kyiv rejected it [2]. Moscow insists [1][2]."
    assert [(c.number, c.source, c.start, c.end, c.text) for c in citations] == [
        (2, "docs/2.txt", 20, 25, "text2"), (1, "docs/1.txt", 10, 15, "text1")]


def test_markers_pointing_to_nothing_are_removed():
    text, citations = resolve_citations("A fact [3]. Another [1, 7]. Last [0]", [_hit(1)])
    assert text == "A fact. Another [1]. Last"
    assert [c.number for c in citations] == [1]


def test_marker_variants_are_normalised():
    text, citations = resolve_citations("Yes [Source 2]; no [1 and 2].", [_hit(1), _hit(2)])
    assert text == "Yes [2]; no [1][2]."
    assert [c.number for c in citations] == [2, 1]


def test_refusal_is_recognised_despite_punctuation_and_case():
    assert is_refusal(REFUSAL)
    assert is_refusal(REFUSAL.upper().rstrip("."))
    assert not is_refusal("Pokrovsk had about 60,000 people [1].")
