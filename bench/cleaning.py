"""What each PDF cleaning step does to retrieval: hit@k on the seed articles converted to multi-page PDFs.

    python -m bench --only cleaning

The five seeds become PDFs (`bench.converted`: A5 pages, running header and footer, words
hyphenated at line ends) and are read with no cleaning, each step alone, and all steps. For
each reading the chunks are embedded with MiniLM and every answerable question of
eval/seeds.jsonl searched (dense, k = 1 and 4): a hit is a retrieved chunk that holds the start
or end of the question's evidence quote (compared on letters and digits only, so a hyphen or a
line break inside a word does not count against a reading).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from tests.builders import convert
from .measure import ROOT, table

VARIANTS = {"none": (), "headers": ("headers",), "hyphens": ("hyphens",), "paragraphs": ("paragraphs",),
            "all": ("headers", "hyphens", "paragraphs")}
_EDGE = 40  # letters of a quote's start or end that a chunk must hold


def _letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def run(options) -> str:
    import numpy as np

    from rag.chunking import chunk_documents
    from rag.documents import make_document
    from rag.embeddings import SentenceTransformerEmbedder
    from rag.evaluate import load_gold
    from rag.loaders import pdf

    gold = [q for q in load_gold(ROOT / "eval" / "seeds.jsonl", ROOT / "seeds") if q.answerable]
    quotes = {q.id: [_letters(Path(s.source).read_text()[s.start:s.end]) for s in q.evidence] for q in gold}
    embedder = SentenceTransformerEmbedder()
    questions = embedder.embed([q.question for q in gold])
    rows = []
    with tempfile.TemporaryDirectory(prefix="rag-cleaning-") as scratch:
        files = sorted(convert(ROOT / "seeds", Path(scratch))["pdf"].glob("*.pdf"))
        for name, steps in VARIANTS.items():
            documents = [make_document(pdf.read(path, steps=steps), source=path.stem) for path in files]
            chunks = chunk_documents(documents, count_tokens=embedder.count_tokens, chunk_tokens=128, chunk_overlap=24)
            vectors = embedder.embed([c.text for c in chunks])
            ranked = np.argsort(-(questions @ vectors.T), axis=1)
            hits = {1: 0, 4: 0}
            for row, question in enumerate(gold):
                for k in hits:
                    found = [_letters(chunks[i].text) for i in ranked[row, :k]
                             if chunks[i].source == Path(question.evidence[0].source).stem]
                    hits[k] += any(q[:_EDGE] in text or q[-_EDGE:] in text for q in quotes[question.id] for text in found)
            rows.append((name, len(chunks), f"{hits[1] / len(gold):.3f}", f"{hits[4] / len(gold):.3f}"))
    return (f"## cleaning: retrieval by PDF cleaning step ({len(gold)} answerable questions, dense MiniLM)\n\n"
            + table(["steps", "chunks", "hit@1", "hit@4"], rows))
