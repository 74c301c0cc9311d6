"""Unit tests of rag.scoring on small cases whose expected numbers are worked out by hand."""

import dataclasses
import math

import pytest

from rag.scoring import (
    Row,
    Span,
    contains_answer,
    crag_score,
    exact_match,
    hit_at_k,
    median,
    normalize_answer,
    percentile,
    reciprocal_rank,
    summarize,
    token_f1,
)


# --- normalize_answer -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  An   apple,\n a\tday ", "apple day"),
        # Articles go only as whole words.
        ("Theater of Anna", "theater of anna"),
        ("the", ""),
        # SQuAD deletes punctuation instead of spacing it.
        ("well-known", "wellknown"),
        ("[note]", "note"),
        # Citation markers go before punctuation removal would leave their digits.
        ("Paris [1].", "paris"),
        ("Paris[2, 3]and Lyon [4]", "paris and lyon"),
        ("Paris [12,13]", "paris"),
    ],
)
def test_normalize_answer(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


def test_number_words_and_digits_match() -> None:
    assert normalize_answer("Twenty-eight points") == normalize_answer("28 points") == "28 points"
    assert contains_answer("8 to one [1]", ["eight to one"])
    assert contains_answer("3-quarters of Pokrovsk [1]", ["three-quarters"])
    # Whole words only: "someone" and "often" hold no number.
    assert normalize_answer("someone often") == "someone often"
    assert not contains_answer("nineteen [1]", ["9"])


def test_normalize_answer_thousands_separator() -> None:
    # "," is SQuAD punctuation and is deleted, so the separator disappears.
    assert normalize_answer("1,000") == normalize_answer("1000") == "1000"
    assert normalize_answer("$1,000,000.") == "1000000"


# --- exact_match / token_f1 ---------------------------------------------------


def test_exact_match() -> None:
    assert exact_match("the Eiffel Tower.", ["Eiffel Tower"]) == 1.0
    assert exact_match("Paris", ["London", "paris"]) == 1.0  # max over golds
    assert exact_match("Paris France", ["Paris"]) == 0.0
    assert exact_match("1,000 [1]", ["1000"]) == 1.0
    assert exact_match("Paris", []) == 0.0


def test_token_f1() -> None:
    # pred tokens [cat, sat, on, mat], gold [cat, sat]: common 2, P=2/4, R=2/2,
    # F1 = 2*0.5*1/(0.5+1) = 2/3.
    assert token_f1("The cat sat on a mat", ["a cat sat"]) == pytest.approx(2 / 3)
    # Max over golds: "dog" scores 0, "cat sat" scores 2/3.
    assert token_f1("The cat sat on a mat", ["dog", "cat sat"]) == pytest.approx(2 / 3)
    # Repeats count once per gold occurrence: common min(3,1)=1, P=1/3, R=1, F1=0.5.
    assert token_f1("red red red", ["red"]) == pytest.approx(0.5)
    assert token_f1("1,000 people", ["1000 people"]) == 1.0
    assert token_f1("blue", ["red"]) == 0.0
    assert token_f1("blue", []) == 0.0
    # SQuAD v1.1: nothing shared means 0, even when both sides normalize to empty.
    assert token_f1("", ["the"]) == 0.0


# --- contains_answer ---------------------------------------------------------


@pytest.mark.parametrize(
    ("prediction", "golds", "expected"),
    [
        ("It was built in 1700.", ["7"], False),
        ("It was built in 1700.", ["1700"], True),
        ("We follow the 20 point plan [1].", ["20 point"], True),
        ("the 20 pointed plan", ["20 point"], False),
        ("The plan had 1,000 steps", ["1000"], True),
        ("Paris", ["paris"], True),
        ("Lyon and Paris", ["London", "Paris"], True),
        ("Lyon", ["London", "Paris"], False),
        # A gold that normalizes to "" must not match everything.
        ("anything", ["The"], False),
        ("anything", [], False),
    ],
)
def test_contains_answer(prediction: str, golds: list[str], expected: bool) -> None:
    assert contains_answer(prediction, golds) is expected


# --- Span --------------------------------------------------------------------


def test_span_overlaps() -> None:
    a = Span("doc", 0, 5)
    assert a.overlaps(Span("doc", 3, 9)) and Span("doc", 3, 9).overlaps(a)
    assert a.overlaps(Span("doc", 1, 2))  # containment
    # Half-open: [0,5) and [5,9) only touch.
    assert not a.overlaps(Span("doc", 5, 9)) and not Span("doc", 5, 9).overlaps(a)
    assert not a.overlaps(Span("other", 0, 5))
    # An empty span holds no character, so it overlaps nothing.
    assert not a.overlaps(Span("doc", 3, 3))


def test_span_is_frozen_and_hashable() -> None:
    span = Span("doc", 0, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        span.start = 1  # type: ignore[misc]
    assert len({span, Span("doc", 0, 5)}) == 1


# --- hit_at_k / reciprocal_rank ------------------------------------------------


RANKED = (Span("x", 0, 10), Span("y", 0, 10), Span("d", 0, 50), Span("d", 40, 60))
EVIDENCE = (Span("d", 50, 70), Span("z", 0, 1))


def test_hit_at_k() -> None:
    # Rank 3 [0,50) only touches [50,70); rank 4 [40,60) is the first overlap.
    assert hit_at_k(RANKED, EVIDENCE, 1) == 0.0
    assert hit_at_k(RANKED, EVIDENCE, 3) == 0.0
    assert hit_at_k(RANKED, EVIDENCE, 4) == 1.0
    assert hit_at_k(RANKED, EVIDENCE, 10) == 1.0
    assert hit_at_k(RANKED, (), 10) == 0.0
    with pytest.raises(ValueError):
        hit_at_k(RANKED, EVIDENCE, 0)


def test_reciprocal_rank() -> None:
    assert reciprocal_rank(RANKED, EVIDENCE) == 0.25  # first overlap at rank 4
    assert reciprocal_rank(RANKED[::-1], EVIDENCE) == 1.0
    assert reciprocal_rank(RANKED[:3], EVIDENCE) == 0.0
    assert reciprocal_rank((), EVIDENCE) == 0.0


# --- crag_score / percentile -----------------------------------------------------


def test_crag_score() -> None:
    assert crag_score(correct=True, abstained=False) == 1
    assert crag_score(correct=False, abstained=True) == 0
    assert crag_score(correct=False, abstained=False) == -1


def test_percentile() -> None:
    values = [4.0, 1.0, 3.0, 2.0]  # sorted [1, 2, 3, 4], positions (n-1)*q/100 = 3q/100
    assert percentile(values, 50) == pytest.approx(2.5)  # pos 1.5: 2 + 0.5*(3-2)
    assert percentile(values, 95) == pytest.approx(3.85)  # pos 2.85: 3 + 0.85*(4-3)
    assert percentile(values, 25) == pytest.approx(1.75)  # pos 0.75: 1 + 0.75*(2-1)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile([7.0], 95) == 7.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_median() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([1.0, 2.0, 3.0, 4.0]) == pytest.approx(2.5)
    assert math.isnan(median([]))


# --- summarize -------------------------------------------------------------------


def make_row(**fields: object) -> Row:
    """A Row with neutral defaults, overridden by fields."""
    defaults: dict[str, object] = dict(
        answerable=True,
        correct=False,
        exact=0.0,
        f1=0.0,
        abstained=False,
        retrieved=(),
        evidence=(),
        cited=(),
        retrieval_s=0.0,
        first_token_s=None,
        total_s=0.0,
        generated_tokens=0,
        generation_s=0.0,
    )
    return Row(**(defaults | fields))  # type: ignore[arg-type]


ROWS = [
    # A: answerable, correct; first hit at rank 2; cites one evidence chunk and one other.
    make_row(
        correct=True, exact=1.0, f1=1.0,
        retrieved=(Span("a", 0, 50), Span("a", 90, 150), Span("b", 0, 10)),
        evidence=(Span("a", 100, 200),),
        cited=(Span("a", 90, 150), Span("b", 0, 10)),
        retrieval_s=0.1, first_token_s=0.4, total_s=2.0, generated_tokens=30, generation_s=1.5,
    ),
    # B: answerable, correct; hit at rank 1; its only citation touches the evidence.
    make_row(
        correct=True, exact=0.0, f1=0.5,
        retrieved=(Span("c", 0, 100),),
        evidence=(Span("c", 50, 60),),
        cited=(Span("c", 60, 80),),
        retrieval_s=0.2, first_token_s=0.6, total_s=3.0, generated_tokens=50, generation_s=2.5,
    ),
    # C: answerable, abstained; first hit at rank 6 (ranks 2 and 3 only touch [20,30)).
    make_row(
        abstained=True,
        retrieved=(
            Span("d", 0, 10), Span("d", 10, 20), Span("d", 30, 40),
            Span("e", 0, 10), Span("e", 10, 20), Span("d", 25, 35),
        ),
        evidence=(Span("d", 20, 30),),
        retrieval_s=0.3, first_token_s=None, total_s=0.8,
    ),
    # D: unanswerable, refused.
    make_row(
        answerable=False, abstained=True, retrieved=(Span("x", 0, 10),),
        retrieval_s=0.4, first_token_s=0.2, total_s=0.5, generated_tokens=5, generation_s=0.25,
    ),
    # E: unanswerable, answered anyway; its citation is outside citation metrics.
    make_row(
        answerable=False, retrieved=(Span("x", 0, 10),), cited=(Span("x", 0, 10),),
        retrieval_s=0.5, first_token_s=0.3, total_s=1.5, generated_tokens=15, generation_s=0.75,
    ),
]


def test_summarize_worked_example() -> None:
    expected = {
        "questions": 5,
        "answerable": 3,  # A, B, C
        "unanswerable": 2,  # D, E
        # Over A, B, C (all have evidence): first hits at ranks 2, 1, 6.
        "hit@1": 0.3333,  # 0+1+0 / 3
        "hit@3": 0.6667,  # 1+1+0 / 3
        "hit@5": 0.6667,  # 1+1+0 / 3
        "hit@10": 1.0,  # 1+1+1 / 3
        "mrr": 0.5556,  # (1/2 + 1 + 1/6) / 3 = 5/9
        "accuracy": 0.6667,  # A, B correct of 3
        "exact_match": 0.3333,  # (1+0+0) / 3
        "f1": 0.5,  # (1+0.5+0) / 3
        "citation_precision": 0.3333,  # A 1 of 2 + B 0 of 1 (E not answerable) = 1/3
        "citation_recall": 0.5,  # correct A, B: only A cites evidence
        "refusal_unanswerable": 0.5,  # D of D, E
        "wrong_refusal_answerable": 0.3333,  # C of 3
        "crag_score": 0.4,  # A +1, B +1, C 0, D +1 (refused), E -1 (answered) = 2/5
        # retrieval_s sorted [.1 .2 .3 .4 .5]: median pos 2 -> .3; p95 pos 3.8 -> .4+.8*.1
        "retrieval_s_median": 0.3,
        "retrieval_s_p95": 0.48,
        # first_token_s without C's None, sorted [.2 .3 .4 .6]: median pos 1.5 -> .35;
        # p95 pos 2.85 -> .4 + .85*.2 = .57
        "first_token_s_median": 0.35,
        "first_token_s_p95": 0.57,
        # total_s sorted [.5 .8 1.5 2 3]: median 1.5; p95 pos 3.8 -> 2 + .8*1 = 2.8
        "total_s_median": 1.5,
        "total_s_p95": 2.8,
        "tokens_per_s": 20.0,  # (30+50+0+5+15) tokens / (1.5+2.5+0+.25+.75) s = 100/5
    }
    summary = summarize(ROWS)
    assert summary == expected
    assert all(type(summary[key]) is int for key in ("questions", "answerable", "unanswerable"))


def test_summarize_custom_ks() -> None:
    summary = summarize(ROWS, ks=(2,))
    assert summary["hit@2"] == 0.6667  # ranks 2, 1, 6 -> 1+1+0 / 3
    assert "hit@1" not in summary and "hit@10" not in summary


def test_summarize_zero_denominators_are_nan() -> None:
    summary = summarize([])
    assert (summary["questions"], summary["answerable"], summary["unanswerable"]) == (0, 0, 0)
    others = [key for key in summary if key not in ("questions", "answerable", "unanswerable")]
    assert len(others) == 20  # 4 hit@k + mrr + 3 answer + 2 citation + 3 abstention + 7 speed
    assert all(math.isnan(summary[key]) for key in others)


def test_summarize_excludes_answerable_without_evidence_from_retrieval() -> None:
    # One wrong answer with no evidence and no citations: retrieval and citation
    # metrics have no denominator, answer metrics do.
    summary = summarize([make_row(retrieved=(Span("a", 0, 5),), retrieval_s=1.0, total_s=2.0)])
    for key in ("hit@1", "mrr", "citation_precision", "citation_recall", "refusal_unanswerable"):
        assert math.isnan(summary[key]), key
    assert summary["accuracy"] == 0.0
    assert summary["wrong_refusal_answerable"] == 0.0
    assert summary["crag_score"] == -1.0  # answerable, answered wrongly
    assert math.isnan(summary["first_token_s_median"])  # only None values
    assert math.isnan(summary["tokens_per_s"])  # zero generation time


def test_unicode_punctuation_is_removed_like_ascii():
    # “megaphone diplomacy” with curly quotes must match the plain gold; ’ behaves like '.
    assert normalize_answer("“Megaphone diplomacy”") == "megaphone diplomacy"
    assert normalize_answer("Ukraine’s full involvement") == normalize_answer("Ukraine's full involvement")
    assert contains_answer("the 300–500 soldiers", ["300–500"])
