"""`RAG`: the one entry point that owns the settings, the embedder, the index and the generator.

`RAG` holds the resources (models, checker, index, the warm-up thread) and runs the answering
steps of `rag.answer.steps` over one `Record` per question. The CLI, the chat REPL, the server and
the eval harness are thin layers over `index`, `ask`, `stream` and `run`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import retrieval
from .answer import steps
from .answer.decision import REFUSAL, falls_back
from .answer.prompt import build_prompt, check_preamble, preamble
from .answer.record import Record
from .documents import read_options
from .embeddings import Embedder, load_embedder
from .errors import InputError
from .generation import Generator, Message, open_reader
from .settings import MAX_K, Settings
from .store import Index, IndexSpec, Store, open_store
from .store.indexing import IndexReport, update_index
from .types import Answer, Hit


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
        self.settings.validate()
        self._embedder = embedder
        self._generator = generator
        self._readers: dict[tuple, Generator] = {}
        self._checker: Generator | None = None
        self._index: Index | None = None
        self._store: Store | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.embedder)
        return self._embedder

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = self._load_reader(self.settings.model, prefix=preamble())
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
                reader = self.generator
                self._checker = reader.fork(check_preamble()) if reader.can_fork else reader
        return self._checker

    @property
    def fallback(self) -> Generator | None:
        """The reader asked again when the first one's answer is refused."""
        name = self.settings.fallback_model
        return self._load_reader(name, prefix=preamble()) if name else None

    def _load_reader(self, name: str, *, prefix: Sequence[Message]) -> Generator:
        """The one place readers are made (main, checker, fallback), each with its preamble's saved state."""
        key = (name, json.dumps(prefix))
        if key not in self._readers:
            self._readers[key] = open_reader(name, self.settings, prefix=prefix)
        return self._readers[key]

    @property
    def store(self) -> Index:
        """The open index; raises `IndexStateError` when there is none or it does not match."""
        if self._index is None:
            self._index = self.backend.open(self._spec())
        return self._index

    @property
    def backend(self) -> Store:
        """Where the index lives: the `store` setting (a folder, or a PostgreSQL URL), else `index_dir`."""
        if self._store is None:
            self._store = open_store(self.settings.store or self.settings.index_dir, self.settings.collection)
        return self._store

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
                    reader.load()
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

    def check(self) -> Index:
        """The index opened with every file hashed and every record parsed, whatever the stamps say."""
        self._index = self.backend.open(self._spec(), full=True)
        return self._index

    def has_index(self) -> bool:
        return self.backend.exists()

    def index(self, paths: Iterable[str | Path], *, rebuild: bool = False,
              progress: Callable[[int, int], None] | None = None) -> IndexReport:
        """Index the documents under `paths`, embedding only new and changed ones (all with `rebuild`).

        The index then mirrors `paths`: documents not under them are dropped. The new index is
        swapped in atomically, so an interrupted run leaves the previous one whole.
        """
        self._index, report = update_index(self.backend, paths, self.embedder, self._spec(),
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

    def stream(self, question: str, **kwargs: Any) -> Iterator[str | Answer]:
        """Yield the answer's text as it is generated, then the final `Answer`; keywords as for `run`.

        The streamed text is the reader's raw output; the `Answer` holds the checked text, whose
        markers name only sources that back their sentence, or the refusal, with its reason.
        """
        for event in self.run(question, **kwargs):
            yield event.answer() if isinstance(event, Record) else event

    def run(self, question: str, *, k: int | None = None, history: Sequence[tuple[str, str]] = (),
            query: str | None = None) -> Iterator[str | Record]:
        """Run the answering steps, yielding the reader's text as it comes, then the question's `Record`.

        `k` is how many chunks to retrieve (default: the top_k setting), `history` the conversation
        so far as (question, answer) pairs, and `query` what to search for when it differs from the
        question (a follow-up made standalone). Options are per call: the settings are never changed.
        """
        s = self.settings
        record = Record(question=_check_question(question), query="", k=_check_k(k, s.top_k),
                        history=tuple(history), model=s.model, started=time.perf_counter())
        record.query = query or record.question
        # A question too long for the context window is an error, whatever retrieval finds.
        build_prompt(record.question, [], self.generator, answer_tokens=s.max_answer_tokens)
        steps.retrieve(record, self.retrieve)
        if steps.gate(record, min_score=s.min_score):
            yield REFUSAL
        else:
            steps.select_evidence(record, self.embedder, sentences=s.context_sentences, neighbours=s.context_neighbours)
            yield from self._read(record, self.generator)
            if falls_back(record.decision, has_fallback=bool(s.fallback_model)):
                yield "\n"
                record.model = s.fallback_model
                yield from self._read(record, self.fallback)
        record.finished = time.perf_counter()
        yield record

    def _read(self, record: Record, reader: Generator) -> Iterator[str]:
        """One reader's turn: prompt, read (streaming), cite, complete, constrain, measure, check, decide."""
        s = self.settings
        steps.prompt(record, reader, answer_tokens=s.max_answer_tokens)
        yield from steps.read(record, reader, max_tokens=s.max_answer_tokens)
        steps.cite(record, support_threshold=s.support_threshold)
        steps.complete(record)
        steps.constrain(record)
        steps.measure(record, reader)
        steps.check(record, self.checker)
        steps.decide(record, threshold=s.answer_threshold)

    def _spec(self) -> IndexSpec:
        return IndexSpec(embedder=self.embedder.name, dimension=self.embedder.dimension,
                         chunk_tokens=self.settings.chunk_tokens, chunk_overlap=self.settings.chunk_overlap)


# Control characters (tab and newline aside) and lone surrogates: invisible, mangled by terminals
# and tokenizers, and a surrogate cannot even be encoded to reach the model.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _check_question(question: str) -> str:
    question = _UNPRINTABLE.sub("", question or "").strip()
    if not question:
        raise InputError("the question is empty: type a question")
    return question


def _check_k(k: int | None, default: int) -> int:
    if k is None:
        return default
    if not 1 <= k <= MAX_K:
        raise InputError(f"k must be from 1 to {MAX_K}, not {k}")
    return k
