import datetime as dt

from rag.types import Chunk, Hit
from rag.text import content_words, split_sentences
from rag.answer.verify import addresses, restates, support, verify

TEXT_1 = ("Pokrovsk had a population of nearly 60,000 before the war. Ukrainian officials now say "
          "only about 1,000 remain.")
TEXT_2 = "The U.S. delegation presented Putin with four documents. Rubio skipped the meeting."


def _hits(*texts):
    hits = []
    offset = 100
    for n, text in enumerate(texts, 1):
        chunk = Chunk(id=f"d{n}:{offset}", doc_id=f"d{n}", source=f"{n}.txt", title=f"T{n}",
                      date=dt.date(2025, 12, n), start=offset, end=offset + len(text), text=text)
        hits.append(Hit(chunk=chunk, score=0.5, rank=n))
    return hits


def test_sentences_split_after_stops_but_not_inside_abbreviations():
    assert split_sentences("The U.S. team met Putin [1]. He refused [2].\nNew line here.") == [
        "The U.S. team met Putin [1].", "He refused [2].", "New line here."]
    assert split_sentences("It ended. [1]") == ["It ended. [1]"]
    # Initials and titles before a name do not end a sentence.
    assert split_sentences("CEO Niels B. Christiansen spoke. The U.S. President met Dr. Ruiz. It ended.") == [
        "CEO Niels B. Christiansen spoke.", "The U.S. President met Dr. Ruiz.", "It ended."]


def test_support_needs_the_numbers_and_most_words():
    words = content_words("Only about 1,000 people remain in Pokrovsk.")
    assert words == {"1000", "people", "remain", "pokrovsk"}
    # people is missing: 3 of 4 words
    assert support(words, content_words(TEXT_1)) == 0.75
    assert support(content_words("About 7,000 remain in Pokrovsk."), content_words(TEXT_1)) == 0.0  # the number is not there


def test_numbers_match_whether_written_in_digits_or_words():
    # TEXT_2 says "four documents"; a model that writes 4 is quoting it, one that writes 5 is not.
    assert support(content_words("4 documents"), content_words(TEXT_2)) == 1.0
    assert support(content_words("5 documents"), content_words(TEXT_2)) == 0.0
    assert content_words("eight to one, 8 to 1") == {"8", "1"}


def test_a_wrong_marker_is_moved_to_the_source_that_supports_the_sentence():
    hits = _hits(TEXT_1, TEXT_2)
    result = verify("Only about 1,000 remain in Pokrovsk [2].", hits, threshold=0.6)
    assert result.text == "Only about 1,000 remain in Pokrovsk [1]."
    (citation,) = result.citations
    assert citation.number == 1 and citation.text == "Ukrainian officials now say only about 1,000 remain."
    assert TEXT_1[citation.start - 100:citation.end - 100] == citation.text
    assert result.unsupported == ()


def test_each_sentence_keeps_its_own_supported_citations():
    hits = _hits(TEXT_1, TEXT_2)
    result = verify("The U.S. delegation gave Putin four documents [1][2]. Pokrovsk had nearly 60,000 people.",
                    hits, threshold=0.6)
    assert result.text == ("The U.S. delegation gave Putin four documents [2]. "
                           "Pokrovsk had nearly 60,000 people [1].")
    assert [(c.number, c.text) for c in result.citations] == [
        (2, "The U.S. delegation presented Putin with four documents."),
        (1, "Pokrovsk had a population of nearly 60,000 before the war.")]


def test_claims_no_source_holds_are_unsupported():
    result = verify("Pokrovsk was founded in 1875 [1].", _hits(TEXT_1), threshold=0.6)
    assert (result.citations, result.unsupported) == ((), ("Pokrovsk was founded in 1875.",))


def test_without_sources_nothing_is_cited_even_at_threshold_zero():
    checked = verify("0 [1]", [], threshold=0.0)
    assert (checked.citations, checked.unsupported) == ((), ("0",))


def test_an_answer_that_only_restates_the_question_answers_nothing():
    question = "Which Kremlin spokesman confirmed there had been contacts with the UK?"
    assert restates("The Kremlin spokesman confirmed there had been contacts with the UK [1].", question)
    assert not restates("Dmitry Peskov confirmed the contacts [1].", question)
    assert not restates("The spokesman confirmed them [1]. He is Dmitry Peskov [1].", question)


def test_a_citation_points_at_the_sentence_that_answers_the_question():
    text = "Pokrovsk lies in Donetsk. Pokrovsk had seven major roads before the war."
    result = verify("Pokrovsk [1]", _hits(text), threshold=0.5, question="Which town had seven major roads?")
    assert result.citations[0].text == "Pokrovsk had seven major roads before the war."
    # Without the question, the first sentence that holds the answer is as good as any.
    assert verify("Pokrovsk [1]", _hits(text), threshold=0.5).citations[0].text == "Pokrovsk lies in Donetsk."


def test_a_sentence_about_something_else_does_not_address_the_question():
    sentence = "Ukrainian assessments indicate that 300–500 Russian soldiers have already entered the outskirts."
    assert addresses("How many Russian soldiers had entered the outskirts?", sentence) == 1.0
    # "ukrainian" matches, "troops", "defend" and "pokrovsk" do not: 1 of 4.
    assert addresses("How many Ukrainian troops defend Pokrovsk?", sentence) == 0.25
    # Stems: "Russia" in the question matches "Russian" in the sentence.
    assert addresses("Whose soldiers entered Russia?", sentence) == 1.0
    assert addresses("How many?", sentence) == 1.0
