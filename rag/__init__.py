"""rag: local, offline question answering over a folder of documents, with checkable citations."""

from .answer.decision import REFUSAL
from .answer.record import Record
from .errors import ConfigError, IndexStateError, InputError, ModelError, RagError
from .pipeline import RAG, IndexReport
from .settings import Settings
from .types import Answer, Chunk, Citation, Document, Hit, Timings

__all__ = [
    "RAG", "Settings", "IndexReport", "REFUSAL", "Record",
    "Answer", "Chunk", "Citation", "Document", "Hit", "Timings",
    "RagError", "ConfigError", "IndexStateError", "InputError", "ModelError",
]
