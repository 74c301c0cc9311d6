"""Turn texts into unit-length vectors; the bundled all-MiniLM-L6-v2 is the default.

The `Embedder` protocol is all the pipeline needs, so tests hand in a fake and users can plug in
another backend. `load_embedder` picks the adapter: a BERT model with mean pooling (MiniLM) runs
in numpy (`bert`), which loads in a fraction of a second; anything else goes through
sentence-transformers (`sbert`), which imports torch. Both give the same vectors for MiniLM.
Nothing here downloads: a model is a local folder.
"""

from __future__ import annotations

from .base import BUNDLED_EMBEDDER, Embedder, bundled_embedder_dir, embedder_folder


def load_embedder(model: str = BUNDLED_EMBEDDER) -> Embedder:
    """The embedder for a model setting: numpy for a mean-pooled BERT, sentence-transformers otherwise."""
    from .bert import BertEmbedder, is_plain_bert

    folder, name = embedder_folder(model)
    if is_plain_bert(folder):
        return BertEmbedder(folder, name=name)
    from .sbert import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model)


def __getattr__(name: str):
    # `from rag.embeddings import SentenceTransformerEmbedder` keeps working without importing it up front.
    if name == "SentenceTransformerEmbedder":
        from .sbert import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder
    raise AttributeError(name)


__all__ = ["BUNDLED_EMBEDDER", "Embedder", "bundled_embedder_dir", "embedder_folder", "load_embedder",
           "SentenceTransformerEmbedder"]
