import pytest

from rag.conversation import Conversation, follow_up_query, is_follow_up, standalone_query


@pytest.mark.parametrize("question", [
    "and what about the 20-point plan?", "What about Crimea?", "Why did he say that?",
    "When did they meet?", "How many?", "Is that confirmed?", "Do the sources agree on that?",
])
def test_follow_ups_are_recognised(question):
    assert is_follow_up(question)


@pytest.mark.parametrize("question", [
    "Which two villages in the Zaporizhzhia region did Russia claim to capture?",
    "How many people remain in Pokrovsk according to Ukrainian officials?",
    "Who is the Ukrainian foreign minister?",
])
def test_standalone_questions_are_left_alone(question):
    assert not is_follow_up(question)
    assert standalone_query(question, "Who is Yuri Ushakov?") == question


def test_a_follow_up_is_searched_with_the_previous_query():
    assert standalone_query("and what about the 20-point plan?", "Who is Yuri Ushakov?") == \
        "Who is Yuri Ushakov? and what about the 20-point plan?"
    assert standalone_query("and what about the 20-point plan?", None) == "and what about the 20-point plan?"


def test_a_follow_up_after_several_questions_is_made_standalone_as_a_conversation_does():
    earlier = ["Who leads the Russian delegation in the talks in Abu Dhabi?",
               "Who is the Kremlin foreign policy aide named Yuri Ushakov?"]
    assert follow_up_query("And his deputy?", earlier) == f"{earlier[1]} And his deputy?"
    assert follow_up_query("And his deputy?", earlier[:1] + ["What about Ushakov?"]) == \
        f"{earlier[0]} What about Ushakov? And his deputy?"
    assert follow_up_query("Who is Yuri Ushakov?", []) == "Who is Yuri Ushakov?"


def test_history_reaches_the_model_and_reset_forgets_it(indexed_fake, fake_llm):
    fake_llm.enqueue("Yuri Ushakov is a Kremlin foreign policy aide [1].", "It has 28 points [1].", "Fresh start [1].")
    chat = Conversation(indexed_fake)
    chat.ask("Who is Yuri Ushakov?")
    answer = chat.ask("and what about the 28-point plan?")
    assert answer.query == "Who is Yuri Ushakov? and what about the 28-point plan?"
    second = fake_llm.history[1]
    first = chat.turns[0].answer
    assert not first.abstained
    assert {"role": "assistant", "content": first.text} in second
    chat.reset()
    chat.ask("Who is Yuri Ushakov?")
    assert {"role": "assistant", "content": first.text} not in fake_llm.history[2]


def test_a_long_conversation_never_overflows_the_window(tmp_path, seeds, fake_embedder):
    from fakes import FakeGenerator

    from rag import RAG

    small = FakeGenerator(context_window=1200)
    # Every answer is kept as said (no refusals), so the history grows as fast as it can.
    rag = RAG(index_dir=tmp_path / "i", embedder=fake_embedder, generator=small, min_score=0.0,
              support_threshold=0.0, answer_threshold=0.0, max_answer_tokens=100)
    rag.index([seeds])
    chat = Conversation(rag)
    for turn in range(12):
        small.enqueue(f"Answer number {turn} " + "with many words " * 30 + "[1].")
        chat.ask(f"Question {turn} about Pokrovsk and its population?")
    assert all(small.count_tokens(p) <= 1100 for p in small.history)  # FakeGenerator also asserts it
    assert len(small.history[-1]) < 2 * 12  # older turns were dropped
    assert small.history[-1][-2]["content"] == chat.turns[-2].answer.text
