import io

import pytest
from rich.console import Console

from rag.chat import ChatSession


@pytest.fixture
def session(indexed_fake):
    return ChatSession(indexed_fake, console=Console(file=io.StringIO(), width=120, soft_wrap=True), verbose=1)


def _output(session) -> str:
    text = session.console.file.getvalue()
    session.console.file.truncate(0)
    session.console.file.seek(0)
    return text


def test_an_answer_streams_then_lists_its_sources(session, fake_llm):
    fake_llm.enqueue("Rivnopillia and Mala Tokmachka [1].")
    assert session.handle("Which villages in the Zaporizhzhia region did Russia capture?")
    out = _output(session)
    (citation,) = session.last.citations
    assert out.startswith(f"Rivnopillia and Mala Tokmachka [{citation.number}].\n")  # the checked text
    assert "searched: Which villages" in out
    assert f"[{citation.number}] {citation.title} — {citation.source.rsplit('/', 1)[1]}" in out
    assert "“On Telegram, it said the troops had taken Rivnopillia and Mala Tokmachka" in out


def test_commands(session, fake_llm):
    fake_llm.enqueue("Kremlin aide [2].")
    session.handle("Who is Yuri Ushakov?")
    _output(session)
    session.handle("/sources")
    out = _output(session)
    assert out.count(" chars ") == len(session.last.hits)
    assert "(score" in out and "cited)" in out and "not cited" in out
    session.handle("/k 2")
    assert session.k == 2 and session.rag.settings.top_k == 4 and "2 chunks" in _output(session)
    session.handle("/k lots")
    assert "usage: /k N" in _output(session)
    session.handle("/reset")
    assert session.conversation.turns == [] and "forgotten" in _output(session)
    session.handle("/nope")
    assert "unknown command /nope" in _output(session)
    session.handle("/help")
    assert "/sources" in _output(session)
    assert session.handle("/quit") is False and session.handle("exit") is False


def test_an_error_in_a_turn_keeps_the_session(session, fake_llm):
    assert session.handle("why " * 5000) is True
    assert "error: the question is too long" in _output(session)
    fake_llm.enqueue("Yuri Ushakov is a Kremlin foreign policy aide [1].")
    session.handle("Who is Yuri Ushakov?")
    assert "Yuri Ushakov is a Kremlin foreign policy aide" in _output(session)


def test_ctrl_c_stops_the_answer_and_the_session_goes_on(session, fake_llm, monkeypatch):
    real_stream = fake_llm.stream

    def interrupted(messages, *, max_tokens):
        yield "Half an ans"
        raise KeyboardInterrupt

    monkeypatch.setattr(fake_llm, "stream", interrupted)
    session.handle("Who is Yuri Ushakov?")
    assert "Half an ans\n[stopped]" in _output(session)
    assert session.conversation.turns == []
    monkeypatch.setattr(fake_llm, "stream", real_stream)
    fake_llm.enqueue("Yuri Ushakov is a Kremlin foreign policy aide [1].")
    session.handle("Who is Yuri Ushakov?")
    assert "Kremlin foreign policy aide" in _output(session) and len(session.conversation.turns) == 1


def test_an_answer_no_source_backs_is_withdrawn_visibly(session, fake_llm):
    fake_llm.enqueue("Paratroopers from Mars took the villages.")
    session.handle("Who took the villages?")
    out = _output(session)
    assert "I cannot find the answer in the provided documents.\n(why: no sentence of the answer is backed by a source)" in out
    assert session.last.abstained and session.last.reason == "unsupported"


def test_a_failed_background_load_is_reported_in_the_turn(session, fake_llm):
    from rag.chat import Loader
    from rag.errors import ModelError

    def fail():
        raise ModelError("llama.cpp cannot load x.gguf")

    session.loader = Loader(fail)
    assert session.handle("Who is Yuri Ushakov?") is True
    assert "error: llama.cpp cannot load x.gguf" in _output(session)
    fake_llm.enqueue("Yuri Ushakov is a Kremlin foreign policy aide [1].")
    session.handle("Who is Yuri Ushakov?")
    assert "Kremlin foreign policy aide" in _output(session)
