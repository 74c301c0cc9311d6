"""`RAG`: the one entry point that owns the settings, the embedder, the index and the generator.

The CLI, the chat REPL and the eval harness are thin layers over `index`, `ask` and `stream`.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import evidence, retrieval
from .citations import is_refusal, normalize_markers
from .decision import MODELS, Decision, Signals, decide
from .documents import read_options
from .embeddings import Embedder, load_embedder
from .errors import ConfigError, InputError
from .generation import Generator, Message, open_reader
from .index import IndexSpec, VectorIndex
from .indexing import IndexReport, update_index
from .prompting import REFUSAL, Prompt, build_prompt, check_messages, check_preamble, merge_overlapping
from .settings import Settings
from .verification import Verified, addresses, restates, strip_markers, verify
from .types import Answer, Hit, Timings


class RAG:
    """Index documents, then answer questions about them with cited sources.

    >>> rag = RAG(index_dir="/tmp/idx", model="qwen2.5-coder-0.5b")
    >>> rag.index(["seeds/"])                # doctest: +SKIP
    >>> rag.ask("Who is Yuri Ushakov?")      # doctest: +SKIP

    Settings come as keywords (any field of `Settings`), over `RAG_*` variables and the config
    file. `embedder` and `generator` take objects that follow the protocols, for tests or other
    backends; by default the bundled MiniLM and the configured GGUF load on first use.
    """

    def __init__(self, *, settings: Settings | None = None, embedder: Embedder | None = None,
                 generator: Generator | None = None, **overrides: Any) -> None:
        self.settings = (settings or Settings.load()).with_updates(**overrides)
        _validate(self.settings)
        self._embedder = embedder
        self._generator = generator
        self._readers: dict[tuple, Generator] = {}
        self._checker: Generator | None = None
        self._index: VectorIndex | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.embedder)
        return self._embedder

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = self._load_reader(self.settings.model)
        return self._generator

    @property
    def checker(self) -> Generator:
        """The model that checks answers: `check_model`, else the reader's own model in a context of its own.

        A reader that cannot fork (a server, a test's fake) checks in its own context.
        """
        if self._checker is None:
            name = self.settings.check_model
            if name:
                self._checker = self._load_reader(name, prefix=check_preamble())
            else:
                fork = getattr(self.generator, "fork", None)
                self._checker = fork(check_preamble()) if fork else self.generator
        return self._checker

    @property
    def fallback(self) -> Generator | None:
        """The reader asked again when the first one's answer is refused."""
        name = self.settings.fallback_model
        return self._load_reader(name) if name else None

    def _load_reader(self, name: str, *, prefix: Sequence[Message] | None = None) -> Generator:
        """The one place readers are made (main, checker, fallback), each with its preamble's saved state."""
        key = (name, json.dumps(prefix))
        if key not in self._readers:
            self._readers[key] = open_reader(name, self.settings, prefix=prefix)
        return self._readers[key]

    @property
    def store(self) -> VectorIndex:
        """The open index; raises `IndexStateError` when there is none or it does not match."""
        if self._index is None:
            self._index = VectorIndex.open(self.settings.index_dir, self._spec())
        return self._index

    def warm_up(self) -> None:
        """Load the index and both models now, so the first question is not slowed by it.

        The reader loads in a thread while the embedder and the index load here: llama.cpp and
        numpy release the GIL while they read and compute, so the two overlap.
        """
        readers = [self.generator, self.checker, *(r for r in (self.fallback,) if r is not None)]
        failures: list[BaseException] = []

        def load_readers() -> None:
            try:
                for reader in readers:
                    load = getattr(reader, "load", None)
                    if load is not None:
                        load()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
                failures.append(exc)

        thread = threading.Thread(target=load_readers, name="rag-load-readers", daemon=True)
        thread.start()
        try:
            self.store
            self.embedder.embed(["warm up"])
        finally:
            thread.join()
        if failures:
            raise failures[0]

    def check(self) -> VectorIndex:
        """The index opened with every file hashed and every record parsed, whatever the stamps say."""
        self._index = VectorIndex.open(self.settings.index_dir, self._spec(), full=True)
        return self._index

    def has_index(self) -> bool:
        return (self.settings.index_dir / "CURRENT").is_file()

    def index(self, paths: Iterable[str | Path], *, rebuild: bool = False,
              progress: Callable[[int, int], None] | None = None) -> IndexReport:
        """Index the documents under `paths`, embedding only new and changed ones (all with `rebuild`).

        The index then mirrors `paths`: documents not under them are dropped. The new index is
        swapped in atomically, so an interrupted run leaves the previous one whole.
        """
        self._index, report = update_index(self.settings.index_dir, paths, self.embedder, self._spec(),
                                           rebuild=rebuild, progress=progress, options=read_options(self.settings))
        return report

    def retrieve(self, question: str, k: int | None = None) -> list[Hit]:
        """The chunks that best match `question`, best first."""
        vector = self.embedder.embed([_check_question(question)])[0]
        keywords = self.store.keywords if self.settings.retrieval == "hybrid" else None
        return retrieval.search(self.store, keywords, question, vector, k or self.settings.top_k)

    def ask(self, question: str, **kwargs: Any) -> Answer:
        """Answer `question` from the index, with citations, or refuse; keywords as for `stream`."""
        *_, answer = self.stream(question, **kwargs)
        return answer

    def stream(self, question: str, *, history: Sequence[tuple[str, str]] = (),
               query: str | None = None) -> Iterator[str | Answer]:
        """Yield the answer's text as it is generated, then the final `Answer`.

        `history` is the conversation so far as (question, answer) pairs, and `query` what to
        search for when it differs from the question (a follow-up made standalone). The streamed
        text is the reader's raw output; the `Answer` holds the checked text, whose markers name
        only sources that back their sentence, or the refusal, with its reason.
        """
        started = time.perf_counter()
        question = _check_question(question)
        query = query or question
        # A question too long for the context window is an error, whatever retrieval finds.
        build_prompt(question, [], self.generator, answer_tokens=self.settings.max_answer_tokens)
        hits = self.retrieve(query)
        retrieved = time.perf_counter()
        if not hits or hits[0].score < self.settings.min_score:
            yield REFUSAL
            timings = Timings(retrieval=retrieved - started, total=time.perf_counter() - started)
            yield Answer(question=question, text=REFUSAL, abstained=True, hits=tuple(hits), model=self.settings.model,
                         query=query, timings=timings, reason="no_relevant_passage")
            return
        sources = merge_overlapping(hits)
        if self.settings.context_sentences:
            sources = evidence.select(query, sources, self.embedder, sentences=self.settings.context_sentences,
                                      neighbours=self.settings.context_neighbours)
        reading = yield from self._read(self.generator, question, query, sources, history, hits[0].score)
        model = self.settings.model
        if self.settings.fallback_model and not reading.decision.answer:
            # The stronger reader, only for what the first one could not answer with confidence.
            yield "\n"
            retry = yield from self._read(self.fallback, question, query, sources, history, hits[0].score)
            reading = replace(retry, first_token=reading.first_token, generated=reading.generated + retry.generated)
            model = self.settings.fallback_model
        finished = time.perf_counter()
        decision, checked = reading.decision, reading.checked
        if decision.answer:
            text, citations, unsupported = checked.text, checked.citations, checked.unsupported
        else:
            text, citations, unsupported = REFUSAL, (), ()
        timings = Timings(
            retrieval=retrieved - started,
            first_token=None if reading.first_token is None else reading.first_token - started,
            generation=finished - retrieved, total=finished - started,
            prompt_tokens=reading.prompt.tokens, generated_tokens=reading.generated)
        yield Answer(question=question, text=text, abstained=not decision.answer, citations=citations,
                     unsupported=unsupported, hits=reading.prompt.sources, timings=timings, model=model,
                     query=query, raw=reading.raw, reason=decision.reason, confidence=decision.confidence,
                     signals=reading.signals)

    def _read(self, reader: Generator, question: str, query: str, sources: Sequence[Hit],
              history: Sequence[tuple[str, str]], retrieval_score: float) -> Iterator[str]:
        """Ask one reader, streaming its text; returns (as the generator's value) the checked `_Reading`."""
        prompt = build_prompt(question, sources, reader, answer_tokens=self.settings.max_answer_tokens,
                              history=history)
        pieces: list[str] = []
        first_token = None
        for piece in reader.stream(prompt.messages, max_tokens=self.settings.max_answer_tokens):
            if first_token is None:
                first_token = time.perf_counter()
            pieces.append(piece)
            yield piece
        raw = "".join(pieces).strip()
        checked = verify(normalize_markers(raw, len(prompt.sources)), prompt.sources,
                         threshold=self.settings.support_threshold, question=query)
        declined = not raw or is_refusal(raw)
        restated = restates(checked.text, question)
        # The judge costs a model call; an answer the decision refuses outright is not worth one.
        outright = declined or not checked.citations or restated
        signals = Signals(
            declined=declined, cited=bool(checked.citations), restates=restated,
            overlap=max((addresses(query, c.text) for c in checked.citations), default=0.0),
            retrieval=retrieval_score,
            judge=None if outright else self._check(prompt, checked, question),
            answer_probability=_geometric_mean(getattr(reader, "last_probabilities", None)))
        decision = decide(signals, threshold=self.settings.answer_threshold, models=MODELS)
        return _Reading(prompt=prompt, raw=raw, checked=checked, signals=signals, decision=decision,
                        first_token=first_token, generated=len(pieces))

    def _check(self, prompt: Prompt, checked: Verified, question: str) -> float | None:
        """The checker's probability that the cited sources state the answer.

        The checker reads only the cited passages, the question and the answer, after worked
        verdicts of its own: a reader asked in its own conversation confirms what it just wrote
        (the 1.5B's P(yes) over the four gold sets: AUC .58 in its own conversation, .71 asked
        afresh, eval/runs/2026-12-02-decision; .74 after the worked verdicts, against .70 without,
        eval/runs/2026-12-07-quality).
        """
        ask = getattr(self.checker, "yes_probability", None)
        if ask is None:
            return None
        cited = sorted({c.number for c in checked.citations})
        passages = "\n\n".join(prompt.sources[n - 1].chunk.text for n in cited)
        return ask(check_messages(passages, question, strip_markers(checked.text)))

    def _spec(self) -> IndexSpec:
        return IndexSpec(embedder=self.embedder.name, dimension=self.embedder.dimension,
                         chunk_tokens=self.settings.chunk_tokens, chunk_overlap=self.settings.chunk_overlap)


# Control characters (tab and newline aside) and lone surrogates: invisible, mangled by terminals
# and tokenizers, and a surrogate cannot even be encoded to reach the model.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class _Reading:
    """One reader's answer to one question, checked, with the decision on it."""

    prompt: Prompt
    raw: str
    checked: Verified
    signals: Signals
    decision: Decision
    first_token: float | None
    generated: int


def _geometric_mean(probabilities) -> float | None:
    if not probabilities:
        return None
    return math.exp(sum(math.log(max(p, 1e-12)) for p in probabilities) / len(probabilities))


def _check_question(question: str) -> str:
    question = _UNPRINTABLE.sub("", question or "").strip()
    if not question:
        raise InputError("the question is empty: type a question")
    return question


def _validate(settings: Settings) -> None:
    if settings.top_k < 1:
        raise ConfigError("top_k must be at least 1")
    if not 0 < settings.chunk_tokens or settings.chunk_overlap >= settings.chunk_tokens:
        raise ConfigError(f"chunk_overlap ({settings.chunk_overlap}) must be smaller than "
                          f"chunk_tokens ({settings.chunk_tokens})")
    if settings.retrieval not in retrieval.MODES:
        raise ConfigError(f"retrieval must be one of {', '.join(retrieval.MODES)}, not {settings.retrieval!r}")
    if settings.max_answer_tokens >= settings.context_window:
        raise ConfigError("max_answer_tokens must be smaller than context_window")
