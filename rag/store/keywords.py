"""BM25 over the chunk texts (bm25s): built when an index is saved, stored beside it, mapped when opened.

Building BM25 over a million chunks takes minutes; loading the saved arrays with mmap takes
milliseconds, and a query reads only the posting lists of its own words. An index saved before
keyword indexes were stored gets one built in memory by each process that searches it.

`words` is the one tokeniser of both stores: PostgreSQL keeps each chunk's words as bm25s splits
them, so its BM25 in SQL ranks chunks as this index does. Equal scores rank by position, in both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

# Our record of the index beside bm25s's files: how many texts it covers (bm25s keeps none
# when no text has a word that is not a stopword).
_COUNT = "count.json"


def words(texts: Sequence[str]) -> list[list[str]]:
    """Each text's words as BM25 counts them: lowercased, two characters or more, English stopwords out."""
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", return_ids=False, show_progress=False)


class KeywordIndex:
    """BM25 over the chunk texts: `build` it from texts, or `load` a saved one; `count` texts."""

    def __init__(self, bm25, count: int) -> None:
        self._bm25 = bm25
        self.count = count

    @classmethod
    def build(cls, texts: Sequence[str]) -> "KeywordIndex":
        import bm25s

        tokens = bm25s.tokenize(list(texts), stopwords="en", show_progress=False)
        if not tokens.vocab:
            return cls(None, len(texts))
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        return cls(bm25, len(texts))

    @classmethod
    def load(cls, folder: Path) -> "KeywordIndex":
        count = int(json.loads((folder / _COUNT).read_text())["count"])
        if not (folder / "params.index.json").is_file():
            return cls(None, count)
        import bm25s

        return cls(bm25s.BM25.load(str(folder), mmap=True), count)

    def save(self, folder: Path) -> None:
        """Write the index's files into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)
        (folder / _COUNT).write_text(json.dumps({"count": self.count}))

    def search(self, query: str, k: int) -> list[int]:
        """Positions of the best `k` chunks that share a word with `query`, best first."""
        import numpy as np

        if self._bm25 is None or k < 1:
            return []
        known = [t for t in words([query])[0] if t in self._bm25.vocab_dict]
        if not known:
            return []
        scores = self._bm25.get_scores(known)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[scores[hits] >= np.partition(scores[hits], -k)[-k]]
        # bm25s's own top-k leaves equal scores in no set order; by position they match PostgreSQL's.
        return hits[np.lexsort((hits, -scores[hits]))][:k].tolist()
