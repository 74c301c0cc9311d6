"""One settings object; precedence is keyword/CLI flag > `RAG_*` variable > config file > default.

The config file is TOML (`$RAG_CONFIG`, else `~/.config/rag/config.toml`) with the same keys
as the fields below; an unknown key there or as a keyword is an error rather than silently
ignored. An unknown `RAG_*` variable only warns (once, naming the closest setting): other tools
share the prefix.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
import sys
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


class Secret(str):
    """A string that never shows itself: printed, logged or hashed into a digest it reads `***`."""

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"

    def __str__(self) -> str:
        return "***" if self else ""

    def reveal(self) -> str:
        return str.__str__(self)


class Location(str):
    """Where the index lives: a folder or a database URL, printed, logged and hashed without its password."""

    def __str__(self) -> str:
        return redact_url(str.__str__(self))

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731 - f-strings call __format__

    def __repr__(self) -> str:
        return f"Location({str(self)!r})"


def redact_url(url: str) -> str:
    """`url` with its password, if any, shown as ***."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.password:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}"))


@dataclass(frozen=True)
class Settings:
    """Every knob of the pipeline, with defaults that work on a 2-core laptop."""

    index_dir: Path = _doc("Where the index lives.", default_factory=lambda: _data_home() / "index")
    store: Location = _doc("Where the index lives when not index_dir: a folder, or a PostgreSQL URL "
                      "(postgresql://user:password@host/db) shared by a team's `rag serve` processes.",
                           default=Location(""))
    collection: str = _doc("The collection in a PostgreSQL store: separate corpora in one database.",
                           default="default")
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
    context_neighbours: int = _doc("Sentences either side of each selected sentence the model reads with it.",
                                   default=0)
    retrieval: str = _doc("`hybrid` (dense + BM25, fused by rank, plus BM25's two best) or `dense` only.", default="hybrid")
    # On eval/seeds.jsonl with MiniLM the weakest answerable question scores 0.35 and off-topic
    # questions at most 0.22; another embedder needs its own value.
    min_score: float = _doc("Refuse without asking the model when no chunk is this similar.", default=0.3)
    support_threshold: float = _doc("Share of a sentence's content words a source must contain to back it.",
                                    default=0.5)
    # From the cross-validated trade-off over the four gold sets (eval/runs/2026-12-07-issue25b/curve.md):
    # .20 and .25 both refuse at most .08 of any set's answerable questions there (held-out's outright
    # refusals alone are .09), and .30 is a cliff; the real 1.5B run at .25 refused .09 of seeds'
    # answerable questions (two right answers at .22 and .24), so the default keeps a step of margin:
    # .20 (eval/runs/2026-12-08-issue25-final).
    answer_threshold: float = _doc("The decision's estimated probability that an answer is right below which it "
                                   "is refused: higher refuses more (rag.answer.decision); 0 keeps every cited answer.",
                                   default=0.20)
    check_model: str = _doc("The model that checks each answer (a yes/no question on the cited sources); "
                            "empty: the reader checks itself.", default="")
    fallback_model: str = _doc("A second reader, asked when the first one's answer is refused; empty: none.",
                               default="")
    context_window: int = _doc("Tokens the model sees: prompt plus answer.", default=4096)
    max_answer_tokens: int = _doc("Room left for the answer.", default=256)
    temperature: float = _doc("0 decodes greedily, so runs are reproducible.", default=0.0)
    seed: int = _doc("Sampling seed, used when temperature > 0.", default=0)
    threads: int = _doc("CPU threads for generation; 0 means all cores.", default=0)
    # Scans and images (rag.loaders.ocr).
    ocr: bool = _doc("Read scanned PDF pages and images (PNG, JPEG, TIFF) with Tesseract; false skips them.",
                     default=True)
    ocr_max_pages: int = _doc("Most pages of one file read by OCR; a file that needs more is skipped.", default=200)
    ocr_page_seconds: float = _doc("Longest OCR of one page; a page that takes longer is left out.", default=60.0)
    # `rag serve` (rag.server).
    host: str = _doc("Address `rag serve` listens on; any but loopback needs api_key.", default="127.0.0.1")
    port: int = _doc("Port `rag serve` listens on.", default=8000)
    api_key: Secret = _doc("Bearer token `rag serve` asks of every /v1 request; empty: none (loopback only). "
                           "POST /v1/index needs it always.", default=Secret(""))
    queue_size: int = _doc("Questions `rag serve` holds waiting for the reader; past it, 503 with Retry-After.",
                           default=8)
    max_request_bytes: int = _doc("Largest request body `rag serve` reads.", default=65536)
    max_question_chars: int = _doc("Longest question `rag serve` accepts.", default=2000)
    serve_paths: tuple[Path, ...] = _doc("Folders POST /v1/index may index (`:`-separated in RAG_SERVE_PATHS); "
                                         "empty: only corpus.", default=())

    def with_updates(self, **changes: Any) -> "Settings":
        """A copy with `changes` applied; None values leave a field as it is."""
        changes = {k: v for k, v in changes.items() if v is not None}
        _check_keys(changes, "keyword")
        return dataclasses.replace(self, **{k: _coerce(k, v) for k, v in changes.items()})

    def validate(self) -> "Settings":
        """These settings, or a `ConfigError` naming the first bad value: the one check every entry point runs."""
        if self.top_k < 1:
            raise ConfigError("top_k must be at least 1")
        if not 0 < self.chunk_tokens or self.chunk_overlap >= self.chunk_tokens:
            raise ConfigError(f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                              f"chunk_tokens ({self.chunk_tokens})")
        if self.retrieval not in RETRIEVAL_MODES:
            raise ConfigError(f"retrieval must be one of {', '.join(RETRIEVAL_MODES)}, not {self.retrieval!r}")
        if self.max_answer_tokens >= self.context_window:
            raise ConfigError("max_answer_tokens must be smaller than context_window")
        return self

    def check_serving(self) -> None:
        """Refuse to listen beyond this machine without an API key."""
        if self.host not in LOOPBACK and not self.api_key:
            raise ConfigError(f"refusing to listen on {self.host} without an API key: set RAG_API_KEY "
                              "(clients send it as `Authorization: Bearer KEY`), or serve on 127.0.0.1")

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
        for name in sorted(set(env) - set(FIELDS)):
            _warn_unknown_variable(name)
            del env[name]
        return settings.with_updates(**env).with_updates(**overrides)


FIELDS = {f.name: f for f in fields(Settings)}
RETRIEVAL_MODES = ("hybrid", "dense")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# The most chunks one question may retrieve: the bound on a per-call `k` (chat's /k, the server's `k`).
MAX_K = 50


def check_chunks_fit(chunk_tokens: int, embedder_tokens: int, embedder_name: str) -> None:
    """Chunks must fit the embedder: it adds two special tokens and silently truncates past its maximum."""
    if chunk_tokens + 2 > embedder_tokens:
        raise ConfigError(f"chunk_tokens ({chunk_tokens}) must be at most {embedder_tokens - 2} for {embedder_name}")
_warned: set[str] = set()


def _warn_unknown_variable(name: str) -> None:
    if name in _warned:
        return
    _warned.add(name)
    close = difflib.get_close_matches(name, FIELDS, n=1)
    hint = f"; did you mean RAG_{close[0].upper()}?" if close else ""
    print(f"warning: RAG_{name.upper()} is not a setting, ignored{hint}", file=sys.stderr)


def _check_keys(values: dict, origin: str) -> None:
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r} in {origin}; known settings: {', '.join(FIELDS)}")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


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
        if kind == "Location":
            return value if isinstance(value, Location) else Location(value)
        if kind == "bool":
            return _boolean(value)
        if kind == "Secret":
            return value if isinstance(value, Secret) else Secret(value)
        if kind == "tuple[Path, ...]":
            items = value.split(os.pathsep) if isinstance(value, str) else value
            return tuple(Path(item).expanduser().resolve() for item in items if str(item))
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad value {value!r} for setting {name}: {exc}") from exc
