"""Pick the sentences of the retrieved chunks that bear on the question: the context the model reads.

A small model answers better from six relevant sentences than from four whole chunks, where
the answer sits beside a dozen sentences about something else; the prompt is also a third as
long, so the first token comes sooner. Each sentence is scored by its cosine to the question
plus how much of the question's vocabulary it holds, rare words weighing more. Chosen sentences
that follow each other in a chunk are joined into one passage, so every passage is still one
contiguous span of its document. This module does not rewrite or summarize any text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..embeddings import Embedder
from ..types import Hit
from ..text import content_words, sentence_spans

# Shared vocabulary counts double the cosine: names and numbers are what questions over news
# turn on, and MiniLM blurs them. Chosen over eval/seeds.jsonl (answer in the top sentences).
LEXICAL_WEIGHT = 2.0


@dataclass(frozen=True)
class _Sentence:
    hit: Hit
    index: int  # position among its chunk's sentences
    start: int  # offsets inside the chunk's text
    end: int


def select(question: str, hits: Sequence[Hit], embedder: Embedder, *, sentences: int, neighbours: int = 0) -> list[Hit]:
    """The best `sentences` sentences of `hits`, each with `neighbours` sentences either side in its chunk,
    as passages (hits narrowed to a span), best first."""
    candidates = [_Sentence(hit, i, start, end) for hit in hits
                  for i, (start, end) in enumerate(sentence_spans(hit.chunk.text))]
    if len(candidates) <= sentences:
        return list(hits)
    texts = [c.hit.chunk.text[c.start:c.end] for c in candidates]
    vectors = embedder.embed([question, *texts])
    lexical = _lexical_scores(question, texts)
    scores = [float(vectors[i + 1] @ vectors[0]) + LEXICAL_WEIGHT * lexical[i] for i in range(len(texts))]
    best = sorted(range(len(candidates)), key=lambda i: -scores[i])[:sentences]
    # A neighbour is scored as the sentence it stands beside, so its passage keeps that sentence's rank.
    chosen = {}
    for i in best:
        for j in range(i - neighbours, i + neighbours + 1):
            if 0 <= j < len(candidates) and candidates[j].hit is candidates[i].hit:
                chosen[j] = max(chosen.get(j, -math.inf), scores[i])
    return _passages([candidates[j] for j in chosen], [chosen[j] for j in chosen])


def _lexical_scores(question: str, texts: Sequence[str]) -> list[float]:
    """The share of the question's words each text holds, each word weighted by its rarity among `texts`."""
    words = [content_words(text) for text in texts]
    frequency = Counter(w for found in words for w in found)
    weight = {w: math.log(1 + len(texts) / (1 + frequency[w])) for w in content_words(question)}
    total = sum(weight.values())
    if not total:
        return [0.0] * len(texts)
    return [sum(v for w, v in weight.items() if w in found) / total for found in words]


def _passages(chosen: Sequence[_Sentence], scores: Sequence[float]) -> list[Hit]:
    """Chosen sentences joined where they are neighbours in one chunk, ordered by their best sentence."""
    best_score = {id(s): score for s, score in zip(chosen, scores)}
    runs: list[list[_Sentence]] = []
    for sentence in sorted(chosen, key=lambda s: (s.hit.rank, s.index)):
        last = runs[-1][-1] if runs else None
        if last and last.hit is sentence.hit and sentence.index == last.index + 1:
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    runs.sort(key=lambda run: -max(best_score[id(s)] for s in run))
    passages = []
    for rank, run in enumerate(runs, 1):
        hit, start, end = run[0].hit, run[0].start, run[-1].end
        chunk = replace(hit.chunk, start=hit.chunk.start + start, end=hit.chunk.start + end,
                        text=hit.chunk.text[start:end])
        passages.append(Hit(chunk=chunk, score=hit.score, rank=rank))
    return passages
