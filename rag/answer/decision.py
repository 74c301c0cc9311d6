"""Answer or refuse: one decision, made from every signal the pipeline has, with its reason.

Everything that decides lives here: the gate on retrieval (no passage is about the question),
the refusal text and how a reader's refusal is recognised, the outright refusals, whether the
judge is worth asking, the graded model, and whether the fallback reader is asked.

Some findings refuse outright, since no confidence can make them a checkable answer: the reader
declined, no sentence of the answer is backed by a source, the answer only restates the question,
or the cited evidence is about another year or edition, or does not name what the question asks
about. Otherwise a logistic model estimates the probability that the answer is right from the
graded signals, and the answer stands when that reaches the threshold (the setting
`answer_threshold`). A refusal then names the signal that weighed most against the answer.

The model's weights were fitted by `eval/calibrate.py` over the gold sets' recorded signals,
with each set predicted by a model fitted on the others; see eval/README.md for the runs, the
cross-validated figures and the trade-off between right and wrong refusals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..text import plain_words

# The reader is told to answer with exactly this when the sources do not hold the answer, and
# every refusal is shown with it.
REFUSAL = "I cannot find the answer in the provided documents."

REASONS = {
    "no_relevant_passage": "no passage in the documents is about the question",
    "reader_declined": "the reader found no answer in the passages",
    "unsupported": "no sentence of the answer is backed by a source",
    "restates_question": "the answer only restates the question",
    "off_topic": "the cited sentence is about something else",
    "not_confirmed": "asked to check, the reader did not confirm that the sources state this answer",
    "weak_retrieval": "the best passage found is only loosely related to the question",
    "reader_unsure": "the reader was unsure of its own answer",
    # issue 25: the question's year, season or edition against the cited evidence (rag.answer.constraints).
    "contradicts_question": "the sources are about another year, season or edition than the question asks",
    "constraint_unmet": "the sources do not say the year, season or edition the question asks about",
    # issue 25: the one name the question asks about, against the cited evidence (rag.answer.entities).
    "names_absent": "the sources do not name what the question asks about",
}


@dataclass(frozen=True)
class Signals:
    """What the pipeline knows about one answer when it decides."""

    declined: bool          # the reader gave the refusal phrase, or nothing
    cited: bool             # some sentence of the answer is backed by a source
    restates: bool          # no sentence says anything the question does not
    overlap: float          # share of the question's stems the best cited sentence holds
    retrieval: float        # cosine of the best retrieved chunk
    judge: float | None = None               # the checker's probability that the sources state the answer
    answer_probability: float | None = None  # geometric mean of the answer's token probabilities
    # issue 25: the cited passages meet the question's constraints (1), say nothing of one (.5), contradict one (0).
    constraint: float | None = None
    # The question asks about one name, and no cited passage or its title holds any word of it.
    names_absent: bool = False


@dataclass(frozen=True)
class Decision:
    """Answer or not, why not, and the estimated probability that the answer is right."""

    answer: bool
    reason: str | None
    confidence: float | None = None


@dataclass(frozen=True)
class Model:
    """A logistic model over named features: weights and the mean and scale each feature is standardised by."""

    intercept: float
    weights: dict[str, float]
    means: dict[str, float]
    scales: dict[str, float]

    def contributions(self, features: dict[str, float]) -> dict[str, float]:
        """Each feature's term of the logit."""
        return {name: w * (features[name] - self.means[name]) / self.scales[name] for name, w in self.weights.items()}

    def probability(self, features: dict[str, float]) -> float:
        logit = self.intercept + sum(self.contributions(features).values())
        if logit < 0:  # the form that cannot overflow, for either sign
            return math.exp(logit) / (1.0 + math.exp(logit))
        return 1.0 / (1.0 + math.exp(-logit))


# Which reason a graded refusal gives when a feature weighs most against the answer.
_FEATURE_REASONS = {"judge": "not_confirmed", "overlap": "off_topic", "retrieval": "weak_retrieval",
                    "answer_probability": "reader_unsure", "constraint": "constraint_unmet"}


# Fitted by eval/calibrate.py on the 1.5B's 236 answers past the outright checks over seeds,
# heldout, rgb-gold and rgb-rejection (eval/runs/2026-12-07-quality), the judge being the same
# model asked in a context of its own after worked verdicts (prompts/check_*). Cross-validated AUC
# (5 folds over the pooled sets): judge .746; judge with overlap .745, with the answer's token
# probabilities .749; retrieval adds .02 with a negative weight (RGB's unanswerable questions
# retrieve passages that share their words), which would not carry to other corpora, so it is
# left out. Overlap alone (AUC .60) decides for a reader that cannot be asked (a server without
# log-probabilities).
MODELS = {
    frozenset({"overlap"}): Model(0.4300, {"overlap": 0.4383}, {"overlap": 0.5876}, {"overlap": 0.2575}),
    frozenset({"judge"}): Model(0.5128, {"judge": 0.9755}, {"judge": 0.8343}, {"judge": 1.1330}),
    # issue 25 (eval/runs/2026-12-07-issue25b/curve.md): the same 236 answers with the constraint check,
    # documents dated by rag.dates (cross-validated AUC .757, the judge's alone .757; a contradiction
    # is refused outright).
    frozenset({"judge", "constraint"}): Model(0.5359, {"judge": 0.9986, "constraint": 0.4446},
                                              {"judge": 0.8343, "constraint": 0.9640},
                                              {"judge": 1.1330, "constraint": 0.1652}),
}


def features(signals: Signals) -> dict[str, float]:
    """The model's inputs: log-odds for probabilities (clipped), shares and cosines as they are."""
    found = {"overlap": signals.overlap, "retrieval": signals.retrieval}
    if signals.judge is not None:
        found["judge"] = _logit(signals.judge)
    if signals.answer_probability is not None:
        found["answer_probability"] = _logit(signals.answer_probability)
    if signals.constraint is not None:
        found["constraint"] = signals.constraint
    return found


def is_refusal(text: str) -> bool:
    """True when the reader gave the refusal phrase instead of an answer."""
    return plain_words(REFUSAL) in plain_words(text)


def gate(best_score: float | None, *, min_score: float) -> Decision | None:
    """The refusal before any reader is asked, when no retrieved passage is about the question; else None.

    `best_score` is the best retrieved passage's score, None when nothing was retrieved.
    """
    if best_score is None or best_score < min_score:
        return Decision(False, "no_relevant_passage")
    return None


def outright(signals: Signals) -> Decision | None:
    """The refusal no confidence can overturn (declined, uncited, a restatement, evidence against the question); None when graded."""
    if signals.declined:
        return Decision(False, "reader_declined")
    if not signals.cited:
        return Decision(False, "unsupported")
    if signals.restates:
        return Decision(False, "restates_question")
    if signals.constraint == 0.0:  # issue 25: no right answer was refused by this on the recorded runs
        return Decision(False, "contradicts_question")
    if signals.names_absent:  # nor by this (eval/runs/2026-12-07-issue25b/entities.md)
        return Decision(False, "names_absent")
    return None


def needs_judge(signals: Signals) -> bool:
    """Whether to ask the judge: it costs a model call, and an answer refused outright is not worth one."""
    return outright(signals) is None


def falls_back(decision: Decision, *, has_fallback: bool) -> bool:
    """Whether to ask the fallback reader: only for what the first one could not answer with confidence."""
    return has_fallback and not decision.answer


def decide(signals: Signals, *, threshold: float, models: dict[frozenset, Model]) -> Decision:
    """The decision for one answer; `models` maps the set of features a model reads to the model."""
    refused = outright(signals)
    if refused is not None:
        return refused
    found = features(signals)
    # The model of the best signal this answer has: the judge's where there is one.
    model = max((m for names, m in models.items() if names <= found.keys()),
                key=lambda m: (len(m.weights), "judge" in m.weights))
    confidence = model.probability(found)
    if confidence >= threshold:
        return Decision(True, None, confidence)
    worst = min(model.contributions(found).items(), key=lambda item: item[1])[0]
    return Decision(False, _FEATURE_REASONS[worst], confidence)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))
