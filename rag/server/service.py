"""What the HTTP layer asks of `RAG`: answers with a conversation's history, indexing, the document list.

Every call here runs on the generation thread (rag.server.worker), one at a time. Per-request
options (`k`, the history) are arguments of the call; the served settings never change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from ..conversation import follow_up_query
from ..generation import is_remote
from ..store.indexing import IndexReport
from ..models import BUNDLED
from ..pipeline import RAG
from ..types import Answer

log = logging.getLogger(__name__)

# Names a chat client may send as `model` that mean "whatever rag serves".
SERVED_ALIASES = ("rag", "")


class Service:
    """The served `RAG`, and the other readers a chat client may name, loaded on first use."""

    def __init__(self, rag: RAG, *, corpus: Sequence[Path] | None = None) -> None:
        self.rag = rag
        self.corpus = corpus or [rag.settings.corpus]  # what `prepare` indexes when there is no index
        self._others: dict[str, RAG] = {}

    @property
    def model(self) -> str:
        return self.rag.settings.model

    def prepare(self) -> None:
        """Index the corpus when there is no index yet, then load the index and the models."""
        if not self.rag.has_index() and all(path.exists() for path in self.corpus):
            log.warning("no index at %s yet: indexing %s first", self.rag.settings.index_dir,
                        ", ".join(map(str, self.corpus)))
            self.rag.index(self.corpus)
        self.rag.warm_up()

    def knows(self, model: str | None) -> bool:
        """True when `model` names a reader other than the served one that rag can load."""
        return bool(model) and model != self.model and (model in BUNDLED or is_remote(model))

    def answer(self, question: str, *, history: Sequence[tuple[str, str]] = (), k: int | None = None,
               model: str | None = None) -> Iterator[str | Answer]:
        """As `RAG.stream`; follow-ups are searched with the earlier questions, as `rag chat` does."""
        query = follow_up_query(question, [asked for asked, _ in history])
        yield from self._rag_for(model).stream(question, k=k or None, history=list(history), query=query)

    def index(self, paths: Sequence[Path], *, rebuild: bool = False) -> IndexReport:
        report = self.rag.index(paths, rebuild=rebuild)
        self._others.clear()  # they hold the previous index open
        return report

    def documents(self) -> list[dict]:
        """One record per indexed document: its source, title, date and chunk count."""
        return self.rag.store.list_documents()

    def _rag_for(self, model: str | None) -> RAG:
        if not self.knows(model):
            return self.rag
        if model not in self._others:
            # Same embedder and settings; only the reader differs.
            self._others[model] = RAG(settings=replace(self.rag.settings, model=model), embedder=self.rag.embedder)
        return self._others[model]
