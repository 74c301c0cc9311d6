"""`rag eval`: run a gold question set through `RAG.ask` and score what comes back.

Answers go through the same `ask` path users get. Retrieval metrics use a separate, deeper
search (k = 10) of the same index. Writes rows.jsonl, summary.json and report.md, stamped with
the git commit, the model's sha256 and the settings' hash. Does not judge answers with a model:
scoring is string matching against the gold answers (see `rag.scoring`).
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import re
import subprocess
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .loaders import SUFFIXES, Options, Unreadable, load
from .models import BUNDLED, file_sha256
from .pipeline import RAG
from .scoring import Row, Span, contains_answer, exact_match, summarize, token_f1
from .settings import PROJECT_DIR

RETRIEVAL_DEPTH = 10
# Stems that say nothing about which set a file is (RGB's gold.jsonl, rejection.jsonl).
_GENERIC_STEMS = frozenset({"gold", "rejection", "questions", "test", "dev"})
_KEYS = {"id", "question", "answers", "evidence", "answerable", "type"}


@dataclass(frozen=True)
class GoldQuestion:
    """One line of a gold file, with its evidence quotes located in the corpus."""

    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[Span, ...]
    answerable: bool
    type: str


@dataclass(frozen=True)
class GoldSet:
    """A gold file, the folder its sources are in, and the name its results go under."""

    name: str
    gold: Path
    corpus: Path


def parse_set(spec: str, default_corpus: Path) -> GoldSet:
    """`FILE` or `FILE:CORPUS` as a `GoldSet`; the name is the file's stem, with its folder's when generic."""
    gold, _, corpus = spec.partition(":")
    path = Path(gold).expanduser()
    if not path.is_file():
        raise InputError(f"no gold file {gold}: give a JSONL file, e.g. eval/seeds.jsonl")
    folder = Path(corpus).expanduser() if corpus else default_corpus
    if not folder.is_dir():
        raise InputError(f"no corpus folder {folder} for {gold}: give it after a colon, FILE:CORPUS")
    project_set = path.resolve().parent == PROJECT_DIR / "eval"
    name = path.stem if project_set or path.stem not in _GENERIC_STEMS else f"{path.resolve().parent.name}-{path.stem}"
    return GoldSet(name=name, gold=path, corpus=folder)


def index_for(corpus: Path, cache_dir: Path) -> Path:
    """The eval's own index of `corpus`: one per folder, kept in the cache and updated incrementally."""
    resolved = corpus.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:10]
    return cache_dir / "eval-index" / f"{resolved.name}-{digest}"


def load_gold(path: Path, corpus: Path, options: Options = Options()) -> list[GoldQuestion]:
    """The questions in `path`; evidence sources are file paths relative to `corpus`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read gold file {path} ({exc.strerror}); give a JSONL file, see eval/README.md") from None
    texts: dict[str, str] = {}
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{where} is not JSON ({exc}); see eval/README.md") from None
        missing = _KEYS - set(record)
        if missing:
            raise InputError(f"{where} lacks {', '.join(sorted(missing))}; see eval/README.md")
        spans = []
        for evidence in record["evidence"]:
            if evidence["source"] not in texts:
                texts[evidence["source"]] = _source_text(corpus, evidence["source"], options)
            if texts[evidence["source"]] is None:
                raise InputError(f"{where}: evidence source {evidence['source']} is not in {corpus}; "
                                 f"pass the corpus with --corpus")
            file, text = texts[evidence["source"]]
            found = _find(text, evidence["quote"])
            if found is None:
                raise InputError(f"{where}: the quote is not verbatim in {evidence['source']}: {evidence['quote'][:60]!r}")
            spans.append(Span(str(file), *found))
        questions.append(GoldQuestion(id=str(record["id"]), question=record["question"],
                                      answers=tuple(record["answers"]), evidence=tuple(spans),
                                      answerable=bool(record["answerable"]), type=record["type"]))
    if not questions:
        raise InputError(f"{path} holds no questions")
    return questions


def _source_text(corpus: Path, name: str, options: Options) -> tuple[Path, str] | None:
    """The file a gold `source` names and its text as loaded; a converted copy (same stem, another format) will do."""
    file = corpus / name
    if not file.is_file():
        converted = sorted(p for p in corpus.glob(f"{glob.escape(Path(name).stem)}.*") if p.suffix.lower() in SUFFIXES)
        if not converted:
            return None
        file = converted[0]
    try:
        return file.resolve(), load(file, options).text  # options: a scan is read through the OCR cache
    except (OSError, Unreadable):
        return None


def _find(text: str, quote: str) -> tuple[int, int] | None:
    """Where `quote` is in `text`: verbatim, else with any run of whitespace for each of its own (a PDF breaks
    lines), else on letters and digits alone (OCR)."""
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    match = re.search(r"\s+".join(map(re.escape, quote.split())), text)
    if match:
        return match.span()
    # Text read by OCR: its dashes, quotes and stray dots may differ, its letters and digits not.
    kept = [i for i, char in enumerate(text) if char.isalnum()]
    wanted = "".join(char for char in quote if char.isalnum())
    at = "".join(text[i] for i in kept).find(wanted) if wanted else -1
    return (kept[at], kept[at + len(wanted) - 1] + 1) if at >= 0 else None


def run(rag: RAG, gold: Sequence[GoldQuestion], *, progress: Callable[[], None] | None = None) -> list[dict]:
    """Ask every question; one result record per question."""
    records = []
    for question in gold:
        answer = rag.ask(question.question)
        deep = rag.retrieve(question.question, k=RETRIEVAL_DEPTH)
        correct = question.answerable and not answer.abstained and contains_answer(answer.text, question.answers)
        records.append({
            "id": question.id, "type": question.type, "question": question.question,
            "answerable": question.answerable, "gold": list(question.answers),
            "answer": answer.text, "raw": answer.raw, "abstained": answer.abstained, "correct": correct,
            "reason": answer.reason, "confidence": answer.confidence,
            "signals": None if answer.signals is None else vars(answer.signals),
            # Whether what the reader wrote holds the answer, before the decision: separates reading from refusing.
            "raw_correct": question.answerable and contains_answer(answer.raw, question.answers),
            "exact": exact_match(answer.text, question.answers), "f1": token_f1(answer.text, question.answers),
            "citations": [{"number": c.number, "source": c.source, "start": c.start, "end": c.end,
                           "chunk_id": c.chunk_id} for c in answer.citations],
            "answer_chunks": [h.chunk.id for h in answer.hits],
            "passages": [h.chunk.text for h in answer.hits],
            "retrieved": [{"chunk_id": h.chunk.id, "source": h.chunk.source, "start": h.chunk.start,
                           "end": h.chunk.end, "score": round(h.score, 4)} for h in deep],
            "evidence": [{"source": s.source, "start": s.start, "end": s.end} for s in question.evidence],
            "timings": {"retrieval": answer.timings.retrieval, "first_token": answer.timings.first_token,
                        "generation": answer.timings.generation, "total": answer.timings.total,
                        "generated_tokens": answer.timings.generated_tokens,
                        "prompt_tokens": answer.timings.prompt_tokens},
        })
        if progress:
            progress()
    return records


def score(records: Sequence[dict]) -> dict:
    """The summary metrics of a run's records (see `rag.scoring.summarize`)."""
    rows = []
    for r in records:
        timings = r["timings"]
        rows.append(Row(
            answerable=r["answerable"], correct=r["correct"], exact=r["exact"], f1=r["f1"], abstained=r["abstained"],
            retrieved=tuple(_span(x) for x in r["retrieved"]), evidence=tuple(_span(x) for x in r["evidence"]),
            cited=tuple(_span(x) for x in r["citations"]), retrieval_s=timings["retrieval"],
            first_token_s=timings["first_token"], total_s=timings["total"],
            generated_tokens=timings["generated_tokens"], generation_s=timings["generation"]))
    summary = summarize(rows)
    answerable = [r for r in records if r["answerable"]]
    if answerable:
        summary["raw_accuracy"] = round(sum(bool(r.get("raw_correct")) for r in answerable) / len(answerable), 4)
    summary |= refusal_reasons(records)
    by_type: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_type[r["type"]].append(r)
    for kind, group in sorted(by_type.items()):
        hits = [r["abstained"] if not r["answerable"] else r["correct"] for r in group]
        summary[f"type:{kind}"] = round(sum(hits) / len(hits), 4)
    return summary


def refusal_reasons(records: Sequence[dict]) -> dict[str, int]:
    """Refusals counted by reason: `refused:right:<reason>` on unanswerable questions, `refused:wrong:<reason>` on answerable ones."""
    counts: dict[str, int] = {}
    for r in records:
        if r["abstained"]:
            key = f"refused:{'wrong' if r['answerable'] else 'right'}:{r.get('reason') or 'unknown'}"
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


# The sets table: what each column is, and which summary key gives it.
_SET_COLUMNS = (
    ("questions", "questions"), ("answerable right", "accuracy"), ("answerable refused", "wrong_refusal_answerable"),
    ("unanswerable refused", "refusal_unanswerable"), ("reader right (before the decision)", "raw_accuracy"),
    ("citation precision", "citation_precision"), ("CRAG", "crag_score"), ("first token p50 s", "first_token_s_median"),
    ("total p50 s", "total_s_median"),
)


def sets_table(results: Sequence[tuple[GoldSet, dict]], *, model: str) -> str:
    """One Markdown table with a row per gold set, then the refusals of each set by reason."""
    lines = [f"## {model}", "", "| set | " + " | ".join(c for c, _ in _SET_COLUMNS) + " |",
             "|---|" + "---|" * len(_SET_COLUMNS)]
    for gold_set, summary in results:
        lines.append(f"| {gold_set.name} | " + " | ".join(_fmt(summary.get(key)) for _, key in _SET_COLUMNS) + " |")
    reasons = sorted({key.split(":", 2)[2] for _, summary in results for key in summary if key.startswith("refused:")})
    if reasons:
        lines += ["", "Refusals by reason (right: the question is unanswerable; wrong: it is answerable):", "",
                  "| set | " + " | ".join(reasons) + " |", "|---|" + "---|" * len(reasons)]
        for gold_set, summary in results:
            cells = [f"{summary.get(f'refused:right:{r}', 0)} / {summary.get(f'refused:wrong:{r}', 0)}" for r in reasons]
            lines.append(f"| {gold_set.name} (right / wrong) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write(out: Path, records: Sequence[dict], summary: dict, stamp: dict) -> None:
    """rows.jsonl, summary.json and report.md in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "rows.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    (out / "summary.json").write_text(json.dumps({"stamp": stamp, "metrics": summary}, indent=2), encoding="utf-8")
    (out / "report.md").write_text(report(records, summary, stamp), encoding="utf-8")


def stamp(rag: RAG, gold_path: Path) -> dict:
    """What a run was made with, so two runs can be told apart."""
    settings = rag.settings
    return {"created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "git_commit": _git_commit(),
            "model": settings.model, "model_sha256": _model_sha256(rag), "settings_hash": settings.digest(),
            "settings": {k: str(v) for k, v in vars(settings).items()},
            "gold": str(gold_path), "wall_seconds": None}


def report(records: Sequence[dict], summary: dict, stamp: dict) -> str:
    """The run as Markdown: the stamp, the metrics, and the questions it got wrong."""
    lines = [f"# Eval: {stamp['model']} on {Path(stamp['gold']).name}", "",
             f"commit `{stamp['git_commit'][:12]}` · model sha256 `{stamp['model_sha256'][:12]}` · "
             f"settings `{stamp['settings_hash']}` · {stamp['created']} · wall {stamp['wall_seconds']} s", "",
             "| metric | value |", "|---|---|"]
    lines += [f"| {key} | {_fmt(value)} |" for key, value in summary.items()]
    wrong = [r for r in records if (r["answerable"] and not r["correct"]) or (not r["answerable"] and not r["abstained"])]
    lines += ["", f"## Wrong ({len(wrong)} of {len(records)})", ""]
    lines += [f"- `{r['id']}` ({r['type']}) {r['question']} → {r['answer'][:200]!r}"
              + (f" (gold: {r['gold'][0]!r})" if r["gold"] else "") for r in wrong]
    return "\n".join(lines) + "\n"


def compare(run_a: Path, run_b: Path) -> str:
    """Two runs' metrics side by side, with B minus A."""
    a, b = (_summary(run) for run in (run_a, run_b))
    width = max(map(len, a["metrics"] | b["metrics"]))
    lines = [f"{'metric':<{width}}  {'A':>9}  {'B':>9}  {'B-A':>9}",
             f"{'model':<{width}}  {a['stamp']['model'][:9]:>9}  {b['stamp']['model'][:9]:>9}"]
    for key in dict.fromkeys([*a["metrics"], *b["metrics"]]):
        va, vb = a["metrics"].get(key), b["metrics"].get(key)
        delta = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        lines.append(f"{key:<{width}}  {_fmt(va):>9}  {_fmt(vb):>9}  {_fmt(delta, signed=True):>9}")
    return "\n".join(lines)


def _summary(run: Path) -> dict:
    path = run / "summary.json" if run.is_dir() else run
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        raise InputError(f"no eval summary at {path}: give a folder written by `rag eval --out`") from None


def _fmt(value, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:+d}" if signed else str(value)
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _span(record: dict) -> Span:
    return Span(str(Path(record["source"]).resolve()), record["start"], record["end"])


def _git_commit() -> str:
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_DIR,
                           capture_output=True, text=True, timeout=5).stdout.strip()
    return (result.stdout.strip() + ("+dirty" if dirty else "")) if result.returncode == 0 else "unknown"


def _model_sha256(rag: RAG) -> str:
    bundled = BUNDLED.get(rag.settings.model)
    if bundled:
        return bundled.sha256
    path = rag.generator.path
    if path is None:
        return "unknown"
    return file_sha256(path)
