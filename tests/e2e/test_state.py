"""The preamble's saved KV state: a new process loads it, answers as if it had evaluated it, and never uses a bad one."""

import pytest

from rag.generation import LlamaCppGenerator
from rag.models import resolve_model
from rag.answer.prompt import preamble
from rag.settings import Settings

QUESTION = [*preamble(), {"role": "user", "content": "Sources:\n[1] The talks lasted five hours.\n\n"
                                                      "Question: How long did the talks last?"}]


@pytest.fixture
def reader(tmp_path):
    settings = Settings.load()
    path = resolve_model("smollm2-135m", cache_dir=settings.cache_dir, models_dir=settings.models_dir)

    def make(state_dir=tmp_path / "state", prefix=preamble()):
        return LlamaCppGenerator(path, context_window=2048, prefix=prefix, state_dir=state_dir)
    return make


def _answer(generator) -> str:
    return "".join(generator.stream(QUESTION, max_tokens=24))


def test_a_saved_prefix_state_is_loaded_and_answers_the_same(reader, tmp_path):
    scratch = reader(state_dir=None)
    expected = _answer(scratch)
    first = reader()
    assert _answer(first) == expected and first.prefix_source == "evaluated"
    second = reader()
    second.load()
    assert second.prefix_source == "restored"
    before = second.counters()
    assert _answer(second) == expected
    # Only the question's tokens are evaluated: the preamble came from disk.
    assert (second.counters() - before).prompt_tokens < second.count_tokens(QUESTION) - 100


def test_a_damaged_or_stale_state_is_rebuilt_not_used(reader, tmp_path):
    reader().load()
    state = next((tmp_path / "state").glob("*.kv"))
    blob = bytearray(state.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    state.write_bytes(bytes(blob))
    damaged = reader()
    damaged.load()
    assert damaged.prefix_source == "evaluated"
    assert _answer(damaged) == _answer(reader(state_dir=None))
    other = reader(prefix=preamble()[:1])  # another prompt version: another state
    other.load()
    assert other.prefix_source == "evaluated"
    assert len(list((tmp_path / "state").glob("*.kv"))) == 2


def test_a_fork_shares_the_model_and_neither_evaluates_its_preamble_again(reader, tmp_path):
    from rag.answer.prompt import check_messages, check_preamble

    main = reader()
    fork = main.fork(check_preamble())
    check = check_messages("The talks lasted five hours.", "How long did the talks last?", "five hours")
    expected_answer, expected_yes = _answer(reader(state_dir=None)), reader(state_dir=None, prefix=check_preamble()).yes_probability(check)
    main.load()
    fork.load()
    assert fork._model is main._model  # one copy of the weights
    before = main.counters()
    # Alternating, each finds the other's preamble in the shared cache and swaps its own back in.
    for _ in range(2):
        assert _answer(main) == expected_answer
        assert fork.yes_probability(check) == pytest.approx(expected_yes, abs=0.02)
    evaluated = (main.counters() - before).prompt_tokens
    question_tokens = main.count_tokens(QUESTION) - len(main._prefix_ids)
    check_tokens = fork.count_tokens(check) - len(fork._prefix_ids)
    assert evaluated <= 2 * (question_tokens + check_tokens) + 4
