"""Pure scoring metrics for RAG answers, retrieval, citations, abstention and speed.

It deliberately does no I/O and runs no model: deciding whether an answer is correct
beyond string matching (e.g. with an LLM judge) belongs elsewhere.
"""

import math
import re
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from .numbers import spell_digits
from .text import SCORED_MARKER

_ARTICLES_RE = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Strip citation markers, write number words as digits, then apply SQuAD v1.1 normalization."""
    # Replace markers with a space so "Paris[1]and" cannot glue two words together.
    text = SCORED_MARKER.sub(" ", text).lower()
    # Before punctuation goes, while "eight-to-one" still splits into words.
    text = spell_digits(text)
    # SQuAD deletes punctuation rather than spacing it out, which is also what makes
    # the thousands separator vanish: "1,000" and "1000" both become "1000".
    # Beyond SQuAD's ASCII set, Unicode punctuation goes too: the seeds use curly quotes and
    # dashes, and a model that copies “megaphone diplomacy” must still match the gold.
    text = "".join(ch for ch in text if ch not in _PUNCTUATION and not unicodedata.category(ch).startswith("P"))
    text = _ARTICLES_RE.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 if the normalized prediction equals some normalized gold, else 0.0."""
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(gold) for gold in golds))


def _f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    """SQuAD v1.1 token F1 of one prediction against one gold (0.0 when nothing is shared)."""
    common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred_tokens)
    recall = common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """Best SQuAD token F1 of the prediction over the golds (0.0 without golds)."""
    pred_tokens = normalize_answer(prediction).split()
    return max((_f1(pred_tokens, normalize_answer(gold).split()) for gold in golds), default=0.0)


def contains_answer(prediction: str, golds: Sequence[str]) -> bool:
    """True if some normalized gold occurs in the normalized prediction as whole tokens."""
    # Padding with spaces turns substring search into token-sequence search,
    # so gold "7" does not match "1700".
    padded = f" {normalize_answer(prediction)} "
    for gold in golds:
        norm = normalize_answer(gold)
        # A gold that normalizes to nothing (e.g. "the") would match everything.
        if norm and f" {norm} " in padded:
            return True
    return False


@dataclass(frozen=True)
class Span:
    """A half-open character range [start, end) of one source document."""

    source: str
    start: int
    end: int

    def overlaps(self, other: "Span") -> bool:
        """True if both spans share a source and at least one character."""
        if self.source != other.source:
            return False
        return max(self.start, other.start) < min(self.end, other.end)


def _overlaps_any(span: Span, evidence: Sequence[Span]) -> bool:
    """True if the span overlaps some evidence span."""
    return any(span.overlaps(ev) for ev in evidence)


def hit_at_k(retrieved: Sequence[Span], evidence: Sequence[Span], k: int) -> float:
    """1.0 if one of the top-k retrieved spans overlaps some evidence span, else 0.0."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return float(any(_overlaps_any(span, evidence) for span in retrieved[:k]))


def reciprocal_rank(retrieved: Sequence[Span], evidence: Sequence[Span]) -> float:
    """1/rank of the first retrieved span overlapping some evidence span, 0.0 if none does."""
    for rank, span in enumerate(retrieved, start=1):
        if _overlaps_any(span, evidence):
            return 1.0 / rank
    return 0.0


def crag_score(correct: bool, abstained: bool) -> int:
    """CRAG truthfulness score: +1 correct, 0 abstained, -1 wrong (hallucinated)."""
    if correct:
        return 1
    return 0 if abstained else -1


def percentile(values: Sequence[float], q: float) -> float:
    """q-th percentile (0-100) with linear interpolation, like numpy's default; nan if empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within [0, 100], got {q}")
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def median(values: Sequence[float]) -> float:
    """50th percentile; nan if empty."""
    return percentile(values, 50)


@dataclass(frozen=True)
class Row:
    """Everything summarize needs about one answered (or refused) question."""

    answerable: bool
    correct: bool  # the answer contains a gold answer; always False when unanswerable
    exact: float
    f1: float
    abstained: bool
    retrieved: tuple[Span, ...]  # ranked, best first
    evidence: tuple[Span, ...]
    cited: tuple[Span, ...]  # chunk spans of the answer's citations
    retrieval_s: float
    first_token_s: float | None
    total_s: float
    generated_tokens: int
    generation_s: float


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, nan when the denominator is zero."""
    return numerator / denominator if denominator else math.nan


def _mean(values: Sequence[float]) -> float:
    """Arithmetic mean, nan if empty."""
    return _ratio(sum(values), len(values))


def summarize(rows: Sequence[Row], ks: Sequence[int] = (1, 3, 5, 10)) -> dict[str, float | int]:
    """Aggregate rows into flat metrics: counts as ints, the rest as floats rounded to 4 places.

    Retrieval metrics use answerable questions that have evidence; answer and citation
    metrics use answerable questions. "crag_score" follows CRAG over all questions: an
    answerable question scores +1 correct, 0 abstained, -1 wrong; an unanswerable one
    scores +1 if abstained and -1 if answered (refusing is its correct answer). Every
    metric whose denominator is zero is nan rather than 0.
    """
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    with_evidence = [r for r in answerable if r.evidence]
    correct = [r for r in answerable if r.correct]
    citations = [_overlaps_any(span, r.evidence) for r in answerable for span in r.cited]
    first_tokens = [r.first_token_s for r in rows if r.first_token_s is not None]

    floats: dict[str, float] = {}
    for k in ks:
        floats[f"hit@{k}"] = _mean([hit_at_k(r.retrieved, r.evidence, k) for r in with_evidence])
    floats["mrr"] = _mean([reciprocal_rank(r.retrieved, r.evidence) for r in with_evidence])
    floats["accuracy"] = _mean([float(r.correct) for r in answerable])
    floats["exact_match"] = _mean([r.exact for r in answerable])
    floats["f1"] = _mean([r.f1 for r in answerable])
    floats["citation_precision"] = _mean([float(ok) for ok in citations])
    floats["citation_recall"] = _mean(
        [float(any(_overlaps_any(span, r.evidence) for span in r.cited)) for r in correct]
    )
    floats["refusal_unanswerable"] = _mean([float(r.abstained) for r in unanswerable])
    floats["wrong_refusal_answerable"] = _mean([float(r.abstained) for r in answerable])
    floats["crag_score"] = _mean(
        [
            crag_score(r.correct, r.abstained) if r.answerable else crag_score(r.abstained, False)
            for r in rows
        ]
    )
    for name, values in (
        ("retrieval_s", [r.retrieval_s for r in rows]),
        ("first_token_s", first_tokens),
        ("total_s", [r.total_s for r in rows]),
    ):
        floats[f"{name}_median"] = median(values)
        floats[f"{name}_p95"] = percentile(values, 95)
    floats["tokens_per_s"] = _ratio(
        sum(r.generated_tokens for r in rows), sum(r.generation_s for r in rows)
    )

    counts: dict[str, float | int] = {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }
    return counts | {key: round(value, 4) for key, value in floats.items()}
