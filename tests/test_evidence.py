import datetime as dt

from rag.answer.evidence import select
from rag.types import Chunk, Hit
from fakes import FakeEmbedder

DOCUMENT = ("Talks began in Moscow on Tuesday. The weather was cold. Witkoff met Putin for five hours. "
            "Kushner joined him. Lunch was served late. Nobody spoke to reporters afterwards.")
OTHER = "Pokrovsk had nearly 60,000 people before the war. Drones circle the city."


def _hit(text: str, rank: int, offset: int, doc: str) -> Hit:
    chunk = Chunk(id=f"{doc}:{offset}", doc_id=doc, source=f"/corpus/{doc}.txt", title=doc.title(),
                  date=dt.date(2025, 12, 3), start=offset, end=offset + len(text), text=text)
    return Hit(chunk=chunk, score=0.6, rank=rank)


def _document_text(hit: Hit, full: str, offset: int) -> str:
    return full[hit.chunk.start - offset:hit.chunk.end - offset]


def test_the_sentence_with_the_question_words_comes_first_as_an_exact_span():
    hits = [_hit(DOCUMENT, 1, 40, "talks"), _hit(OTHER, 2, 0, "pokrovsk")]
    passages = select("How long did Witkoff meet Putin?", hits, FakeEmbedder(), sentences=2)
    assert passages[0].chunk.text.startswith("Witkoff met Putin for five hours.")
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    for passage in passages:
        source = DOCUMENT if passage.chunk.doc_id == "talks" else OTHER
        offset = 40 if passage.chunk.doc_id == "talks" else 0
        assert _document_text(passage, source, offset) == passage.chunk.text
        assert passage.chunk.title and passage.chunk.date == dt.date(2025, 12, 3)


def test_neighbouring_sentences_join_into_one_passage():
    hits = [_hit(DOCUMENT, 1, 0, "talks")]
    passages = select("Did Witkoff meet Putin, and did Kushner join him?", hits, FakeEmbedder(), sentences=2)
    assert [p.chunk.text for p in passages] == ["Witkoff met Putin for five hours. Kushner joined him."]
    assert (passages[0].chunk.start, passages[0].chunk.end) == (DOCUMENT.index("Witkoff"), DOCUMENT.index(" Lunch"))


def test_few_sentences_leave_the_hits_whole():
    hits = [_hit(OTHER, 1, 0, "pokrovsk")]
    assert select("How many people lived in Pokrovsk?", hits, FakeEmbedder(), sentences=6) == hits
