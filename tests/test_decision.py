"""The answer-or-refuse decision: outright refusals, the fitted model, and the reason a refusal gives."""

import math

import pytest

from rag.answer.decision import (MODELS, REASONS, REFUSAL, Decision, Model, Signals, decide, falls_back, features, gate,
                          is_refusal, needs_judge, outright)

GOOD = Signals(declined=False, cited=True, restates=False, overlap=0.8, retrieval=0.7, judge=0.95,
               answer_probability=0.9)
# A model worked by hand: logit = 1 + 2 * (overlap - 0.5) / 0.25 - 1 * (retrieval - 0.5) / 0.1.
HAND = Model(intercept=1.0, weights={"overlap": 2.0, "retrieval": -1.0}, means={"overlap": 0.5, "retrieval": 0.5},
             scales={"overlap": 0.25, "retrieval": 0.1})


@pytest.mark.parametrize("change,reason", [
    ({"declined": True}, "reader_declined"), ({"cited": False}, "unsupported"), ({"restates": True}, "restates_question"),
])
def test_findings_no_confidence_can_outweigh_refuse_outright(change, reason):
    signals = Signals(**{**vars(GOOD), **change})
    assert decide(signals, threshold=0.0, models=MODELS) == Decision(False, reason, None)


def test_a_model_worked_by_hand():
    found = {"overlap": 0.75, "retrieval": 0.6}
    assert HAND.contributions(found) == pytest.approx({"overlap": 2.0, "retrieval": -1.0})
    assert HAND.probability(found) == pytest.approx(1 / (1 + math.exp(-2.0)))
    # Far past the range a float's exp can take, on either side, it still gives 0 or 1.
    assert HAND.probability({"overlap": 1e6, "retrieval": 0.5}) == 1.0
    assert HAND.probability({"overlap": -1e6, "retrieval": 0.5}) == 0.0


def test_the_threshold_decides_and_a_refusal_names_what_weighed_most_against_it():
    signals = Signals(declined=False, cited=True, restates=False, overlap=0.75, retrieval=0.6)
    models = {frozenset(HAND.weights): HAND}
    confident = decide(signals, threshold=0.85, models=models)
    assert (confident.answer, confident.reason) == (True, None)
    assert confident.confidence == pytest.approx(HAND.probability(features(signals)))
    doubtful = decide(signals, threshold=0.9, models=models)
    assert (doubtful.answer, doubtful.reason) == (False, "weak_retrieval")
    off_topic = decide(Signals(**{**vars(signals), "overlap": 0.1, "retrieval": 0.5}), threshold=0.5, models=models)
    assert (off_topic.answer, off_topic.reason) == (False, "off_topic")
    assert set(REASONS) >= {off_topic.reason, doubtful.reason}


def test_the_richest_model_the_signals_allow_is_used():
    bare = Signals(declined=False, cited=True, restates=False, overlap=0.8, retrieval=0.7)
    assert set(features(bare)) == {"overlap", "retrieval"}
    assert set(features(GOOD)) == {"overlap", "retrieval", "judge", "answer_probability"}
    # A reader that gives no probabilities (a fake, a remote server without logprobs) still gets a decision.
    for signals in (bare, GOOD):
        decision = decide(signals, threshold=0.5, models=MODELS)
        assert decision.confidence is not None and 0 < decision.confidence < 1
    # Its judge is the strongest signal: a checker that says no lowers the confidence.
    doubted = Signals(**{**vars(GOOD), "judge": 0.05})
    assert decide(doubted, threshold=0.5, models=MODELS).confidence < decide(GOOD, threshold=0.5, models=MODELS).confidence


def test_every_fitted_model_reads_only_features_the_signals_give():
    assert frozenset({"overlap"}) in MODELS
    for names, model in MODELS.items():
        assert names == set(model.weights) == set(model.means) == set(model.scales)
        assert all(scale > 0 for scale in model.scales.values())

def test_refusal_is_recognised_despite_punctuation_and_case():
    assert is_refusal(REFUSAL)
    assert is_refusal(REFUSAL.upper().rstrip("."))
    assert not is_refusal("Pokrovsk had about 60,000 people [1].")


def test_gate_refuses_when_nothing_retrieved_or_nothing_close_enough():
    assert gate(None, min_score=0.3) == Decision(False, "no_relevant_passage")
    assert gate(0.29, min_score=0.3) == Decision(False, "no_relevant_passage")
    assert gate(0.3, min_score=0.3) is None


def test_the_judge_is_asked_only_for_answers_not_refused_outright():
    assert needs_judge(GOOD) and outright(GOOD) is None
    for finding, reason in (({"declined": True}, "reader_declined"), ({"cited": False}, "unsupported"),
                            ({"restates": True}, "restates_question"), ({"constraint": 0.0}, "contradicts_question")):
        signals = Signals(**{**GOOD.__dict__, **finding})
        assert not needs_judge(signals)
        assert outright(signals) == decide(signals, threshold=0.0, models=MODELS) == Decision(False, reason)


def test_fallback_only_for_a_refusal_and_only_when_there_is_one():
    assert falls_back(Decision(False, "not_confirmed"), has_fallback=True)
    assert not falls_back(Decision(False, "not_confirmed"), has_fallback=False)
    assert not falls_back(Decision(True, None, 0.9), has_fallback=True)


def test_evidence_that_contradicts_the_question_is_refused_outright_and_silence_lowers_the_confidence():
    contradicted = Signals(**{**vars(GOOD), "constraint": 0.0})
    assert decide(contradicted, threshold=0.0, models=MODELS) == Decision(False, "contradicts_question", None)
    met, silent = (Signals(**{**vars(GOOD), "constraint": c}) for c in (1.0, 0.5))
    assert set(features(met)) >= {"judge", "constraint"}
    assert decide(silent, threshold=0.5, models=MODELS).confidence < decide(met, threshold=0.5, models=MODELS).confidence
    # Where the judge says yes but the sources are silent on the year, the silence is the reason given.
    doubted = decide(Signals(**{**vars(GOOD), "judge": 0.9, "constraint": 0.5}), threshold=0.99, models=MODELS)
    assert (doubted.answer, doubted.reason) == (False, "constraint_unmet")
    assert {"contradicts_question", "constraint_unmet"} <= set(REASONS)


def test_evidence_that_does_not_name_what_the_question_asks_about_is_refused_outright():
    absent = Signals(**{**vars(GOOD), "names_absent": True})
    assert decide(absent, threshold=0.0, models=MODELS) == Decision(False, "names_absent", None)
    assert not needs_judge(absent) and "names_absent" in REASONS
