"""The question's constraints (years, quarters, seasons, editions) against the cited evidence."""

import datetime as dt

import pytest

from rag.answer.constraints import Constraint, check, extract
from rag.dates import find_dates, years


def test_the_constraints_a_question_states():
    assert extract("What was Tesla's revenue in Q1 2021?") == (Constraint("year", 2021, "2021"),
                                                               Constraint("quarter", 1, "Q1"))
    assert extract("What is the premiere date of The Walking Dead Season 11?") == (Constraint("season", 11, "Season 11"),)
    assert extract("Which actor won Best Actor at the 92nd Academy Awards?") == (Constraint("ordinal", 92, "92nd"),)
    assert extract("When will the first season of The Blacklist premiere?") == (Constraint("season", 1, "first season"),)
    assert extract("Who acquired 20th Century Fox?") == ()  # a name, not an edition
    assert extract("Who acquired Instagram?") == ()


@pytest.mark.parametrize("question,passages,dates,reason,message", [
    # The cases of issue 25: the question names a year the evidence does not meet.
    ("Who won the women's singles Wimbledon in 2021?", ["Wimbledon 2019 – women's singles: Serena Williams"], [],
     "contradicted", "the sources are about 2019, the question asks about 2021"),
    ("What is the date of the 2021 NBA Draft?", ["Date: Wednesday, November 18, 2020."], [dt.date(2020, 11, 18)],
     "contradicted", "the sources are about 2020, the question asks about 2021"),
    ("What was Tesla's revenue in Q1 2021?", ["Tesla's Q1 2023 revenue was $23.3 billion."], [],
     "contradicted", "the sources are about 2023, the question asks about 2021"),
    ("When will the first season of The Blacklist premiere?", ["Season 10 of The Blacklist premiered in February."], [],
     "contradicted", "the sources are about season 10, the question asks about first season"),
    # Silent: nothing of the kind is said.
    ("Super Bowl 2021 location", ["Super Bowl LV will be played in Tampa Bay, Florida."], [],
     "unmet", "the sources do not say 2021"),
    # Met, by the text or by the document's date.
    ("Who won the 2021 Tour de France?", ["Tadej Pogacar won the 2021 Tour de France."], [], None, None),
    ("Who is the CEO of Tesla in 2021?", ["Musk, the CEO of Tesla, spoke on Tuesday."], [dt.date(2021, 5, 2)], None, None),
    ("Who acquired Instagram?", ["Facebook acquired Instagram."], [], None, None),
])
def test_the_evidence_meets_contradicts_or_says_nothing_of_a_constraint(question, passages, dates, reason, message):
    finding = check(question, passages, dates)
    assert (finding.reason, finding.message) == (reason, message)
    assert finding.score == {None: 1.0, "unmet": 0.5, "contradicted": 0.0}[reason]


def test_written_dates_and_years():
    dates = find_dates("Released Sunday, October 2, 2022, after a teaser on Nov 15 and a trailer on 6/19/2020.")
    assert [d.value for d in dates] == [(2022, 10, 2), (None, 11, 15), (2020, 6, 19)]
    assert years("the 2021-22 season, 2019-09-14 and 1984") == {1984, 2019, 2021, 2022}
