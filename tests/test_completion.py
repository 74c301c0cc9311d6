"""Completing a bare answer from the sentence it cites, worked by hand on the cases the readers got half right."""

import datetime as dt

import pytest

from rag.answer.complete import Completion, complete, complete_answer
from rag.types import Citation


@pytest.mark.parametrize("answer,sentence,whole", [
    # A year: the one date of that year the sentence gives.
    ("2017", "Xenoblade Chronicles 2 was released on December 1, 2017 for the Switch.", "December 1, 2017"),
    ("2015", "OpenAI Inc was founded in December 2015 by Elon Musk and Sam Altman.", "December 2015"),
    # A month and day: the year beside them, in the sentence's own words.
    ("Nov 15", "All ten episodes debut on Netflix on Nov 15, 2020.", "Nov 15, 2020"),
    ("November 15", "All ten episodes debut on Netflix on Nov 15, 2020.", "Nov 15, 2020"),
    ("19th October", "Google revealed the Pixel 6 on 19th October 2021 at its launch event.", "19th October 2021"),
    # A number: its currency and magnitude.
    ("10.4", "Tesla reported revenue of $10.4 billion in the first quarter.", "$10.4 billion"),
    ("25", "Sales rose 25% from a year earlier.", "25%"),
    # A surname: the name around it, not the title before it.
    ("Federer", "Roger Federer ended the year ranked first.", "Roger Federer"),
    ("Christiansen", "The LEGO Group's CEO Niels B. Christiansen said sales grew.", "Niels B. Christiansen"),
    ("Sybiha", "Foreign Minister Andrii Sybiha said the talks failed.", "Andrii Sybiha"),
])
def test_a_part_of_a_fact_becomes_the_whole_span_of_its_sentence(answer, sentence, whole):
    assert complete(answer, sentence) == Completion(whole)
    assert whole in sentence  # the span stays exact, so the citation still backs it


@pytest.mark.parametrize("answer,sentence", [
    ("December 1, 2017", "It was released on December 1, 2017."),   # already whole
    ("2020", "In early 2020, Nintendo released the remaster."),     # the sentence has no more than the year
    ("2018", "It came out in May 2018 and again in June 2018."),    # two ways to complete it: left alone
    ("Musk", "Musk, the founder of SpaceX, spoke."),                # a comma closes the name
    ("Marco Rubio", "Secretary of State Marco Rubio skipped the meeting."),  # two words are already a name
    ("Germany", "While Germany won the final, Argentina was the runner-up."),
    ("2017", "Nothing in this sentence says when."),
])
def test_what_is_whole_ambiguous_or_not_in_the_sentence_is_left_alone(answer, sentence):
    assert complete(answer, sentence) is None


def test_a_month_and_day_take_the_year_of_the_documents_date_and_say_so():
    done = complete("November 15", "All ten episodes debut on Netflix on Nov 15.", dt.date(2020, 11, 13))
    assert done.text == "Nov 15, 2020"
    assert "2020" in done.note and "document" in done.note
    # Without a date for the document there is nothing to take the year from.
    assert complete("November 15", "All ten episodes debut on Netflix on Nov 15.") is None


def _citation(number: int, text: str, date=None) -> Citation:
    return Citation(number=number, source="a.txt", doc_id="a", chunk_id="a:0", start=0, end=len(text), text=text, date=date)


def test_the_answer_keeps_its_markers_and_a_repeated_fact_cites_the_sentence_that_completed_it():
    founded = [_citation(1, "OpenAI was founded in 2015."), _citation(2, "OpenAI Inc was founded in December 2015.")]
    assert complete_answer("2015 [1][2]", founded) == ("December 2015 [1][2]", tuple(founded), ())
    assert complete_answer("2015 [1], 2015 [2]", founded) == ("December 2015 [2]", (founded[1],), ())
    # A statement is not a bare fact: nothing is completed.
    statement = "It was founded in 2015 [1]. Musk was one of its founders [2]."
    assert complete_answer(statement, founded) == (statement, tuple(founded), ())


def test_a_completion_from_the_documents_date_is_noted_with_its_citation():
    dated = [_citation(3, "The season premieres on Nov 15.", dt.date(2020, 9, 1))]
    text, cited, notes = complete_answer("November 15 [3].", dated)
    assert (text, cited) == ("Nov 15, 2020 [3].", tuple(dated))
    assert notes == ("[3] the year 2020 is the date of the cited document, not stated in the sentence",)
