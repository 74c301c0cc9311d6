"""One settings object; precedence is keyword/CLI flag > `RAG_*` variable > config file > default.

The config file is TOML (`$RAG_CONFIG`, else `~/.config/rag/config.toml`) with the same keys
as the fields below; an unknown key anywhere is an error rather than silently ignored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .models import DEFAULT_MODEL

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "rag"


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag"


def _doc(text: str, **kwargs: Any) -> Any:
    return field(metadata={"doc": text}, **kwargs)


@dataclass(frozen=True)
class Settings:
    """Every knob of the pipeline, with defaults that work on a 2-core laptop."""

    index_dir: Path = _doc("Where the index lives.", default_factory=lambda: _data_home() / "index")
    cache_dir: Path = _doc("Where assembled model files are kept.", default_factory=_cache_home)
    models_dir: Path = _doc("A folder searched for GGUF files by name.", default=PROJECT_DIR / "models")
    corpus: Path = _doc("What `ask`/`chat` index when no index exists yet.", default=PROJECT_DIR / "seeds")
    model: str = _doc("A bundled model name, a GGUF in models_dir, or a path to a GGUF.", default=DEFAULT_MODEL)
    embedder: str = _doc("`all-MiniLM-L6-v2` (bundled) or a sentence-transformers folder.", default="all-MiniLM-L6-v2")
    chunk_tokens: int = _doc("Chunk size in embedder word pieces (MiniLM reads at most 256).", default=128)
    chunk_overlap: int = _doc("Word pieces shared by neighbouring chunks.", default=24)
    top_k: int = _doc("Chunks retrieved per question.", default=4)
    context_sentences: int = _doc("Sentences of the retrieved chunks the model reads; 0 gives it the whole chunks.",
                                  default=6)
    retrieval: str = _doc("`hybrid` (dense + BM25, fused by rank, plus BM25's two best) or `dense` only.", default="hybrid")
    # On eval/seeds.jsonl with MiniLM the weakest answerable question scores 0.35 and off-topic
    # questions at most 0.22; another embedder needs its own value.
    min_score: float = _doc("Refuse without asking the model when no chunk is this similar.", default=0.3)
    support_threshold: float = _doc("Share of a sentence's content words a source must contain to back it.",
                                    default=0.5)
    answer_threshold: float = _doc("The decision's estimated probability that an answer is right below which it "
                                   "is refused: higher refuses more (rag.decision); 0 keeps every cited answer.",
                                   default=0.25)
    check_model: str = _doc("The model that checks each answer (a yes/no question on the cited sources); "
                            "empty: the reader checks itself.", default="")
    fallback_model: str = _doc("A second reader, asked when the first one's answer is refused; empty: none.",
                               default="")
    context_window: int = _doc("Tokens the model sees: prompt plus answer.", default=4096)
    max_answer_tokens: int = _doc("Room left for the answer.", default=256)
    temperature: float = _doc("0 decodes greedily, so runs are reproducible.", default=0.0)
    seed: int = _doc("Sampling seed, used when temperature > 0.", default=0)
    threads: int = _doc("CPU threads for generation; 0 means all cores.", default=0)

    def with_updates(self, **changes: Any) -> "Settings":
        """A copy with `changes` applied; None values leave a field as it is."""
        changes = {k: v for k, v in changes.items() if v is not None}
        _check_keys(changes, "keyword")
        return dataclasses.replace(self, **{k: _coerce(k, v) for k, v in changes.items()})

    def digest(self) -> str:
        """A short hash of the settings, stamped on every result."""
        record = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:12]

    @classmethod
    def load(cls, **overrides: Any) -> "Settings":
        """Settings from the config file, then `RAG_*` variables, then `overrides`."""
        settings = cls()
        config = Path(os.environ.get("RAG_CONFIG") or Path.home() / ".config" / "rag" / "config.toml")
        if config.is_file():
            try:
                table = tomllib.loads(config.read_text())
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"cannot read config {config}: {exc}; fix or remove the file") from exc
            _check_keys(table, f"config file {config}")
            settings = settings.with_updates(**table)
        env = {name[4:].lower(): value for name, value in os.environ.items()
               if name.startswith("RAG_") and name != "RAG_CONFIG"}
        _check_keys(env, "environment variable RAG_")
        return settings.with_updates(**env).with_updates(**overrides)


FIELDS = {f.name: f for f in fields(Settings)}


def _check_keys(values: dict, origin: str) -> None:
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r} in {origin}; known settings: {', '.join(FIELDS)}")


def _coerce(name: str, value: Any) -> Any:
    kind = FIELDS[name].type
    try:
        if kind == "Path":
            return Path(value).expanduser()
        if kind == "int":
            number = int(value)
            if number < 0:
                raise ValueError("must not be negative")
            return number
        if kind == "float":
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad value {value!r} for setting {name}: {exc}") from exc
