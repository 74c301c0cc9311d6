import datetime as dt

from rag.answer.prompt import merge_overlapping
from rag.types import Chunk, Hit

DOC = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota. Kappa lambda mu."


def _hit(doc_id, start, end, rank, text=None):
    chunk = Chunk(id=f"{doc_id}:{start}", doc_id=doc_id, source=f"{doc_id}.txt", title="T", date=dt.date(2025, 1, 1),
                  start=start, end=end, text=text if text is not None else DOC[start:end])
    return Hit(chunk=chunk, score=1.0 / rank, rank=rank)


def test_overlapping_chunks_of_one_document_are_joined_exactly():
    hits = [_hit("a", 18, 52, 1), _hit("b", 0, 5, 2, text="Other"), _hit("a", 0, 36, 3)]
    merged = merge_overlapping(hits)
    assert [(h.chunk.doc_id, h.chunk.start, h.chunk.end, h.rank) for h in merged] == [("a", 0, 52, 1), ("b", 0, 5, 2)]
    assert merged[0].chunk.text == DOC[0:52]
    assert merged[0].score == 1.0


def test_touching_or_distant_chunks_stay_apart():
    hits = [_hit("a", 0, 17, 1), _hit("a", 18, 36, 2), _hit("a", 37, 52, 3)]
    assert len(merge_overlapping(hits)) == 3
