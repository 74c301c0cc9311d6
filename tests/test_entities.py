"""The name a question asks about, against the cited evidence (rag.answer.entities)."""

import pytest

from rag.answer.entities import check, names


@pytest.mark.parametrize("question, expected", [
    ("Who is the CEO of Twitter?", ("Twitter",)),
    ("Who won the women's singles Wimbledon in 2021?", ("Wimbledon",)),
    ("Who was awarded the 2018 Nobel Prize in Literature?", ("Nobel Prize in Literature",)),
    ("When does season 4 of The Crown premiere?", ("Crown",)),
    ("What was Tesla's revenue in Q1 2021?", ("Tesla",)),            # a quarter is a constraint, not a name
    ("How long did the July meeting in Istanbul last?", ("Istanbul",)),  # nor is a month
    ("Who is the President of France?", ("France",)),                # what is asked for is no name
    ("which city hosted the olympic games in 2008?", ()),
])
def test_the_names_a_question_asks_about(question, expected):
    assert names(question) == expected


def test_a_single_name_no_word_of_which_the_evidence_holds_is_absent():
    question = "Who won the women's singles Wimbledon in 2021?"
    elsewhere = check(question, ["Emma Raducanu won the US Open women's singles title in 2021."])
    assert elsewhere.absent and elsewhere.missing == ("Wimbledon",)
    assert elsewhere.message == "the sources do not name Wimbledon"
    assert not check(question, ["Ashleigh Barty won the 2021 title at the All England Club."],
                     ["Wimbledon 2021: Barty is champion"]).absent  # the document's title names it


@pytest.mark.parametrize("question, passage", [
    ("What is Ukraine's current inflation rate?", "Ukrainian inflation slowed to 20% in October."),
    ("When does the EU plan to ban gas imports?", "The European Union plans to ban the imports next year."),
    ("Who won the women's singles U.S. Open in 2021?", "Raducanu won the US Open in 2021."),
    ("When was The Legend of Zelda: Breath of the Wild released?", "Breath of the Wild came out on March 3, 2017."),
])
def test_a_name_is_met_by_any_of_its_words_or_forms_of_them(question, passage):
    assert not check(question, [passage]).missing


def test_a_question_naming_several_things_is_not_judged():
    question = "How many days after Russia claimed Sukhyi Yar did Putin declare control of Pokrovsk?"
    finding = check(question, ["Putin declared full control of Pokrovsk on December 1."])
    assert finding.missing == ("Russia", "Sukhyi Yar") and not finding.absent and finding.message is None
