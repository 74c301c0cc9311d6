"""The `RAG` entry point with fake models: what reaches the model, and what comes back."""

from pathlib import Path

import pytest

from rag import REFUSAL, RAG, Answer
from rag.errors import ConfigError, IndexStateError, InputError
from fakes import FakeGenerator

QUESTION = "Which villages in the Zaporizhzhia region did Russia claim to capture?"


@pytest.fixture
def indexed(fake_rag, seeds):
    fake_rag.index([seeds])
    return fake_rag


def test_index_reports_documents_and_chunks(fake_rag, seeds, fake_embedder):
    report = fake_rag.index([seeds])
    assert (report.documents, report.skipped) == (5, ())
    assert report.chunks == len(fake_rag.store.chunks) > 5
    assert sum(len(batch) for batch in fake_embedder.calls) == report.chunks


def test_answer_cites_the_sentence_that_supports_it(indexed, fake_llm):
    fake_llm.enqueue("Russia claimed Rivnopillia and Mala Tokmachka [9]. Also.")
    answer = indexed.ask(QUESTION)
    (citation,) = answer.citations
    # [9] pointed at nothing; the source that holds the words is cited instead.
    assert answer.text == f"Russia claimed Rivnopillia and Mala Tokmachka [{citation.number}]. Also."
    assert not answer.abstained and not answer.uncited and answer.unsupported == ()
    chunk = answer.hits[citation.number - 1].chunk
    assert citation.text == "On Telegram, it said the troops had taken Rivnopillia and Mala Tokmachka in the Zaporizhzhia region."
    assert chunk.start <= citation.start < citation.end <= chunk.end
    assert Path(citation.source).read_text()[citation.start:citation.end] == citation.text
    prompt = fake_llm.history[0]
    assert prompt[0]["role"] == "system" and REFUSAL in prompt[0]["content"]
    assert [m["role"] for m in prompt[1:]] == ["user", "assistant"] * ((len(prompt) - 2) // 2) + ["user"]
    final = prompt[-1]["content"]
    first = answer.hits[0].chunk
    date = first.date.isoformat() if first.date else "undated"
    assert final.startswith(f'Sources:\n\n<source id="1" date="{date}">\n{first.text}\n</source>')
    assert final.endswith(f"Question: {QUESTION}")


def test_refusal_sets_abstained_and_drops_citations(indexed, fake_llm):
    fake_llm.enqueue(f"{REFUSAL} [1]")
    answer = indexed.ask("What is the GDP of Atlantis?")
    assert (answer.text, answer.abstained, answer.citations) == (REFUSAL, True, ())


def test_an_answer_no_source_supports_is_refused(indexed, fake_llm):
    fake_llm.enqueue("The villages were captured by 12,000 paratroopers from Mars [1].")
    answer = indexed.ask(QUESTION)
    assert (answer.text, answer.abstained, answer.citations) == (REFUSAL, True, ())
    # What the model said is kept, so a refusal can be traced to its cause.
    assert answer.raw == answer.to_dict()["raw"] == "The villages were captured by 12,000 paratroopers from Mars [1]."


def test_an_answer_that_restates_the_question_is_refused(indexed, fake_llm):
    # Every word is in the source, so it is supported, but it names no village.
    fake_llm.enqueue("Russia claimed to capture villages in the Zaporizhzhia region [1].")
    answer = indexed.ask(QUESTION)
    assert (answer.text, answer.abstained, answer.citations) == (REFUSAL, True, ())


def test_an_answer_taken_from_a_sentence_about_something_else_is_refused(indexed, fake_llm):
    # "seven major roads" is in a source, so it is supported, but its sentence is about Pokrovsk's
    # roads and shares one of the question's six words. Without a judge (the fake gives no
    # probabilities) the fitted model puts that at .38, so a threshold of .5 refuses it, saying why.
    fake_llm.enqueue("Seven major roads [5].", "Seven major roads [5].")
    strict = RAG(settings=indexed.settings.with_updates(answer_threshold=0.5), embedder=indexed.embedder,
                 generator=fake_llm)
    answer = strict.ask(QUESTION)
    assert (answer.text, answer.abstained, answer.reason) == (REFUSAL, True, "off_topic")
    lenient = RAG(settings=indexed.settings.with_updates(answer_threshold=0.0), embedder=indexed.embedder,
                  generator=fake_llm)
    answer = lenient.ask(QUESTION)
    assert not answer.abstained and answer.citations[0].text.startswith("Pokrovsk, once a key logistics hub")


def test_unsupported_sentences_are_flagged_beside_supported_ones(indexed, fake_llm):
    fake_llm.enqueue("The troops had taken Rivnopillia and Mala Tokmachka. Paratroopers from Mars helped them [1].")
    answer = indexed.ask(QUESTION)
    assert not answer.abstained and len(answer.citations) == 1
    assert answer.unsupported == ("Paratroopers from Mars helped them.",)
    assert answer.text.endswith("Paratroopers from Mars helped them.")


def test_stream_yields_deltas_then_the_answer(indexed, fake_llm):
    fake_llm.enqueue("Mala Tokmachka [1].")
    events = list(indexed.stream(QUESTION))
    assert "".join(events[:-1]) == "Mala Tokmachka [1]."
    assert isinstance(events[-1], Answer)
    timings = events[-1].timings
    assert 0 <= timings.retrieval <= timings.first_token <= timings.total
    assert timings.generated_tokens == 3 and timings.prompt_tokens > 0


def test_sources_are_packed_to_the_context_window(tmp_path, seeds, fake_embedder):
    from fakes import FakeGenerator

    small = FakeGenerator(context_window=700).enqueue("ok [1]")
    rag = RAG(index_dir=tmp_path / "i", embedder=fake_embedder, generator=small, top_k=8, max_answer_tokens=100,
              min_score=0.0)
    rag.index([seeds])
    answer = rag.ask(QUESTION)
    assert 0 < len(answer.hits) < 8
    assert small.count_tokens(small.history[0]) <= 600
    assert [h.rank for h in answer.hits] == sorted(h.rank for h in answer.hits)


def test_bad_questions_are_clear_errors_and_never_reach_the_model(indexed, fake_llm):
    for blank in ("", "   \n"):
        with pytest.raises(InputError, match="empty"):
            indexed.ask(blank)
    with pytest.raises(InputError, match="too long"):
        indexed.ask("why " * 5000)
    assert fake_llm.history == []


def test_a_missing_index_is_an_error_that_says_what_to_run(tmp_path, fake_embedder, fake_llm):
    rag = RAG(index_dir=tmp_path / "none", embedder=fake_embedder, generator=fake_llm)
    with pytest.raises(IndexStateError, match=r"no index at .*run `rag index"):
        rag.ask(QUESTION)


def test_index_built_with_other_chunking_must_be_rebuilt(tmp_path, seeds, fake_embedder, fake_llm):
    RAG(index_dir=tmp_path / "i", embedder=fake_embedder, generator=fake_llm).index([seeds])
    other = RAG(index_dir=tmp_path / "i", embedder=fake_embedder, generator=fake_llm, chunk_tokens=100)
    with pytest.raises(IndexStateError, match="rebuild it"):
        other.ask(QUESTION)


def test_bad_settings_fail_fast(tmp_path, seeds, fake_embedder):
    with pytest.raises(ConfigError, match="chunk_overlap"):
        RAG(index_dir=tmp_path, chunk_tokens=50, chunk_overlap=50)
    with pytest.raises(ConfigError, match="at most 254"):
        RAG(index_dir=tmp_path, embedder=fake_embedder, chunk_tokens=300).index([seeds])
    assert not (tmp_path / "CURRENT").exists()


class JudgedGenerator(FakeGenerator):
    """A fake reader that can also be asked yes/no (P(yes) from `verdicts`) and forked into a checker."""

    can_check = True
    can_fork = True

    def __init__(self, name: str = "fake-llm", prefix=None) -> None:
        super().__init__()
        self.name, self.prefix = name, prefix
        self.verdicts: list[float] = []
        self.asked: list[list[dict]] = []
        self.forks: list["JudgedGenerator"] = []

    def yes_probability(self, messages):
        self.asked.append(list(messages))
        return self.verdicts.pop(0)

    def fork(self, prefix):
        self.forks.append(JudgedGenerator(self.name, prefix))
        return self.forks[-1]


ANSWER = "Rivnopillia and Mala Tokmachka [1]"


def test_the_reader_checks_its_answer_in_a_context_of_its_own(tmp_path, seeds, fake_embedder):
    from rag.answer.prompt import check_preamble

    reader = JudgedGenerator().enqueue(ANSWER, ANSWER)
    rag = RAG(index_dir=tmp_path / "index", embedder=fake_embedder, generator=reader, min_score=0.0)
    rag.index([seeds])
    checker = rag.checker
    assert reader.forks == [checker]
    assert checker.prefix == check_preamble()
    checker.verdicts = [0.95, 0.02]
    confirmed, doubted = rag.ask(QUESTION), rag.ask(QUESTION)
    assert not confirmed.abstained and confirmed.signals.judge == 0.95
    assert doubted.abstained and doubted.reason == "not_confirmed"
    assert reader.asked == []
    # The checker reads the worked verdicts, then the cited passage, the question and the bare answer.
    asked = checker.asked[0]
    assert asked[:-1] == list(check_preamble())
    assert f"Question: {QUESTION}\nProposed answer: Rivnopillia and Mala Tokmachka\n" in asked[-1]["content"]


def test_check_and_fallback_models_are_loaded_by_name_once_each(tmp_path, seeds, fake_embedder, monkeypatch):
    from rag.answer.prompt import check_preamble, preamble

    opened = {}

    def open_reader(name, settings, *, prefix):
        role = "checker" if prefix == check_preamble() else "reader" if prefix == preamble() else "other"
        assert (name, role) not in opened, "a reader was loaded twice"
        opened[(name, role)] = JudgedGenerator(name, prefix)
        return opened[(name, role)]

    monkeypatch.setattr("rag.pipeline.open_reader", open_reader)
    small = JudgedGenerator("small").enqueue("Donetsk [1]")
    rag = RAG(index_dir=tmp_path / "index", embedder=fake_embedder, generator=small, min_score=0.0,
              check_model="large", fallback_model="large")
    rag.index([seeds])
    rag.checker, rag.fallback
    checker, fallback = opened[("large", "checker")], opened[("large", "reader")]
    fallback.enqueue(ANSWER)
    checker.verdicts = [0.01, 0.97]
    answer = rag.ask(QUESTION)
    # The small reader's answer was doubted, so the large one read; the same checker judged both.
    assert (answer.abstained, answer.model, len(checker.asked)) == (False, "large", 2)
    assert small.forks == [] and small.asked == []


def test_a_list_of_markers_leaves_no_stray_commas(indexed, fake_llm):
    fake_llm.enqueue("Rivnopillia and Mala Tokmachka [1], [2], [3]")
    answer = indexed.ask(QUESTION)
    assert "," not in answer.text and answer.text.startswith("Rivnopillia and Mala Tokmachka [")


def test_k_is_an_option_of_the_call_and_leaves_the_settings_alone(indexed_fake, fake_llm):
    settings = indexed_fake.settings
    fake_llm.enqueue("Kremlin aide [1].")
    record = list(indexed_fake.run("Who is Yuri Ushakov?", k=1))[-1]
    question = "Who is Yuri Ushakov?"
    assert record.hits == indexed_fake.retrieve(question, 1) and len(record.hits) < len(indexed_fake.retrieve(question))
    assert record.k == 1 and indexed_fake.settings is settings
    assert record.answer().hits == record.prompt.sources
    with pytest.raises(InputError, match="k must be from 1 to 50"):
        indexed_fake.ask("Who is Yuri Ushakov?", k=51)


@pytest.fixture
def news(tmp_path, fake_embedder, fake_llm):
    """Two news items: one dated, whose sentence gives a day without its year; one about 2019, undated."""
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "crown.txt").write_text("The Crown returns\nDate: 2020-11-13\n\n"
                                      "All ten episodes of The Crown season 4 debut on Netflix on Nov 15.\n")
    (corpus / "wimbledon.txt").write_text("Wimbledon results\n\n"
                                          "Simona Halep won the women's singles title at Wimbledon 2019, beating Serena Williams.\n")
    rag = RAG(index_dir=tmp_path / "index", embedder=fake_embedder, generator=fake_llm, min_score=0.0,
              answer_threshold=0.0)
    rag.index([corpus])
    return rag


def test_a_day_without_its_year_is_completed_from_the_documents_date_and_the_answer_says_so(news, fake_llm):
    fake_llm.enqueue("November 15 [1]")
    answer = news.ask("When does season 4 of The Crown premiere?")
    (citation,) = answer.citations
    assert not answer.abstained and answer.text == f"Nov 15, 2020 [{citation.number}]"
    assert citation.text == "All ten episodes of The Crown season 4 debut on Netflix on Nov 15."
    assert answer.notes == (f"[{citation.number}] the year 2020 is the date of the cited document, not stated in the sentence",)
    assert answer.to_dict()["notes"] == list(answer.notes) and answer.signals.constraint == 1.0


def test_an_answer_whose_sources_are_about_another_year_is_refused_with_the_years_named(news, fake_llm):
    fake_llm.enqueue("Simona Halep [1]")
    answer = news.ask("Who won the women's singles at Wimbledon in 2021?")
    assert (answer.text, answer.abstained, answer.reason) == (REFUSAL, True, "contradicts_question")
    assert answer.notes == ("the sources are about 2019, the question asks about 2021",)
    assert answer.signals.judge is None  # refused outright: no checker call spent on it


def test_an_answer_whose_sources_do_not_name_what_the_question_asks_about_is_refused(news, fake_llm):
    fake_llm.enqueue("Simona Halep [1]")
    answer = news.ask("Who won the women's singles at the US Open in 2019?")
    assert (answer.text, answer.abstained, answer.reason) == (REFUSAL, True, "names_absent")
    assert answer.notes == ("the sources do not name US Open",)
    assert answer.signals.names_absent and answer.signals.judge is None
