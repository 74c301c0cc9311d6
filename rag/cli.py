"""The `rag` command: index, ask, chat, serve, mcp, eval, check, models. A thin layer over `RAG`.

Heavy libraries (faiss, llama.cpp, numpy) load only inside the commands that need them. Without
`-v`, the libraries' progress bars and log lines are switched off before they are imported.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

import click

from .errors import RagError

log = logging.getLogger("rag")


def _common(command: Callable) -> Callable:
    """The options every command takes."""
    command = click.option("-v", "--verbose", count=True, help="Progress detail (-vv for more).")(command)
    command = click.option("--model", metavar="NAME|PATH|URL",
                           help="Bundled model name, GGUF in models/, a path, or an OpenAI-compatible server "
                                "(http://host:port/v1[#model]).")(command)
    command = click.option("--index", "index_dir", metavar="DIR", type=click.Path(path_type=Path),
                           help="Index directory.")(command)
    for flag, metavar, text in _STORE_OPTIONS:
        command = click.option(flag, metavar=metavar, expose_value=False, callback=_remember, help=text)(command)
    return command


# Passed to `RAG` through the click context, so no command's signature has to carry them.
_STORE_OPTIONS = (
    ("--store", "DIR|URL", "Where the index lives: a folder, or postgresql://user@host/db shared by a team "
                           "(RAG_STORE).  [default: --index]"),
    ("--collection", "NAME", "The collection in a PostgreSQL store (RAG_COLLECTION).  [default: default]"),
)


def _remember(ctx: click.Context, param: click.Parameter, value):
    if value is not None:
        ctx.meta.setdefault("rag.store", {})[param.name] = value
    return value


# Read by the libraries when they are imported: transformers, huggingface_hub, tqdm and bm25s.
_QUIET_ENV = {"TRANSFORMERS_VERBOSITY": "error", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
              "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TQDM_DISABLE": "1", "DISABLE_TQDM": "1"}
_LIBRARIES = r"(transformers|sentence_transformers|torch|huggingface_hub|bm25s|faiss|llama_cpp|tokenizers)(\.|$)"


def _quiet_libraries() -> None:
    for name, value in _QUIET_ENV.items():
        os.environ.setdefault(name, value)
    warnings.filterwarnings("ignore", module=_LIBRARIES)


def _rag(index_dir: Path | None, model: str | None, verbose: int, **overrides):
    if not verbose:
        _quiet_libraries()
    from .pipeline import RAG

    # -v shows this project's progress; -vv also the libraries' own chatter. The level sits on the
    # handler because some libraries (bm25s) set their own loggers to DEBUG.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.setLevel((logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)])
    if verbose < 2:
        # Libraries warn about what rag already reports in its own words (trafilatura's "discarding
        # data" for a page that is all script, skipped with its reason): theirs wait for -vv.
        handler.addFilter(lambda record: record.name == "rag" or record.name.startswith("rag."))
    logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.WARNING, handlers=[handler])
    log.setLevel(logging.INFO if verbose else logging.WARNING)
    context = click.get_current_context(silent=True)
    stored = context.meta.get("rag.store", {}) if context else {}
    return RAG(index_dir=index_dir, model=model, **stored, **overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rag")
def cli() -> None:
    """Ask questions about your documents, offline, with citations you can check."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Embed everything again instead of only new and changed files.")
@click.option("--watch", "keep_watching", is_flag=True,
              help="Then keep watching PATHS and index again when a file is added, changed or removed (Ctrl-C stops).")
@_common
def index(paths: tuple[Path, ...], rebuild: bool, keep_watching: bool, index_dir: Path | None, model: str | None,
          verbose: int) -> None:
    """Index the documents under PATHS (text, Markdown, PDF, HTML, Word, PowerPoint, Excel, CSV, EPUB,
    images); the index then mirrors them.

    Only new and changed files are embedded; files no longer under PATHS leave the index.
    """
    rag = _rag(index_dir, model, verbose)
    _report(_index_with_progress(rag, paths, rebuild=rebuild))
    if keep_watching:
        from .watch import watch

        def again() -> None:
            try:
                _report(rag.index(list(paths)))
            except RagError as exc:  # the last index stays; the next change tries again
                click.echo(f"warning: {exc}", err=True)

        click.echo(f"watching {', '.join(map(str, paths))} for changes (Ctrl-C stops)", err=True)
        watch(list(paths), again)


def _report(report) -> None:
    for skipped in report.skipped:
        click.echo(f"warning: skipped {skipped.path}: {skipped.reason}", err=True)
    click.echo(f"indexed {report.documents} documents ({report.chunks} chunks) into "
               f"{report.index_dir} in {report.seconds:.1f} s: {report.changed} new or changed "
               f"({report.embedded} chunks embedded), {report.dropped} dropped")


@cli.command()
@click.argument("questions", nargs=-1)
@click.option("--file", "question_file", type=click.File("r"), help="Questions, one per line ('-' for stdin).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per answer.")
@click.option("-k", "--top-k", type=int, help="Chunks to retrieve per question.")
@_common
def ask(questions: tuple[str, ...], question_file, as_json: bool, top_k: int | None,
        index_dir: Path | None, model: str | None, verbose: int) -> None:
    """Answer QUESTIONS (or those in --file) with cited sources."""
    from .display import sources_block
    from .errors import InputError

    asked = [*questions, *(line.strip() for line in question_file or () if line.strip())]
    if not asked:
        raise InputError("no question given: rag ask \"your question\" (or --file FILE)")
    if any(not q.strip() for q in asked):
        raise InputError("a question is empty: give a question with words in it")
    rag = _rag(index_dir, model, verbose, top_k=top_k)
    rag.generator  # a bad --model fails now, not after indexing or on the first answerable question
    ensure_index(rag)
    rag.warm_up()  # the reader loads while the embedder and the index do
    for number, question in enumerate(asked, 1):
        answer = rag.ask(question)
        log.info("retrieved %s in %.3f s; answered in %.2f s",
                 ", ".join(f"{Path(h.chunk.source).name}:{h.chunk.start} ({h.score:.2f})" for h in answer.hits),
                 answer.timings.retrieval, answer.timings.total)
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
            continue
        if len(asked) > 1:
            click.echo(("\n" if number > 1 else "") + f"Q: {question}")
        click.echo(answer.text)
        if answer.abstained:
            click.echo(f"(why: {answer.reason_text})")
        block = sources_block(answer)
        if block:
            click.echo(block)


@cli.command()
@_common
def chat(index_dir: Path | None, model: str | None, verbose: int) -> None:
    """Talk with your documents: streamed answers, sources, follow-up questions."""
    from .chat import run_chat

    rag = _rag(index_dir, model, verbose)
    rag.generator  # a bad --model fails now, not after indexing
    ensure_index(rag)
    run_chat(rag, verbose=verbose)


@cli.command()
@click.option("--host", help="Address to listen on (anything but loopback needs RAG_API_KEY).  [default: 127.0.0.1]")
@click.option("--port", type=int, help="Port to listen on.  [default: 8000]")
@click.option("--watch", "watched", multiple=True, type=click.Path(exists=True, path_type=Path), metavar="PATH",
              help="Index PATH at start and again whenever a file under it changes; repeat for more paths.")
@_common
def serve(host: str | None, port: int | None, watched: tuple[Path, ...], index_dir: Path | None, model: str | None,
          verbose: int) -> None:
    """Serve the HTTP API, the OpenAI-compatible chat endpoint and the chat page at http://HOST:PORT/."""
    from .server import serve as run

    rag = _rag(index_dir, model, verbose, host=host, port=port)
    rag.settings.check_serving()
    rag.generator  # a bad --model fails now, before the port opens
    click.echo(f"rag serve: http://{rag.settings.host}:{rag.settings.port}/ (API docs at /docs, MCP at /mcp); "
               "loading the models, /health says when they are ready", err=True)
    run(rag, log_level="info" if verbose else "warning", watch=watched)


@cli.command()
@_common
def mcp(index_dir: Path | None, model: str | None, verbose: int) -> None:
    """Serve rag to agents (Claude Desktop, VS Code...) over MCP on stdin/stdout; logs go to stderr."""
    from .mcp_server import run_stdio

    rag = _rag(index_dir, model, verbose)
    rag.generator  # a bad --model fails now, before the client is told the server is up
    run_stdio(rag)


@cli.command("eval")
@click.option("--gold", "golds", multiple=True, metavar="FILE[:CORPUS]",
              help="Gold questions (JSONL), with the folder their sources are in after a colon (default: "
                   "--corpus, else seeds/); repeat for several sets.  [default: eval/seeds.jsonl]")
@click.option("--corpus", type=click.Path(path_type=Path), help="Folder the evidence sources are relative to.")
@click.option("-k", "--top-k", type=int, help="Chunks retrieved per question.")
@click.option("--out", type=click.Path(path_type=Path), help="Output folder (a subfolder per set when several).  "
                                                             "[default: runs/<time>-<model>]")
@click.option("--limit", type=int, help="Only the first N questions of each set.")
@click.option("--compare", nargs=2, type=click.Path(path_type=Path), metavar="RUN_A RUN_B",
              help="Print two runs' metrics side by side instead of running.")
@click.option("--min-accuracy", type=float, help="Exit 1 when accuracy is below this.")
@click.option("--min", "minimums", multiple=True, metavar="METRIC=VALUE", help="Exit 1 when METRIC is below VALUE.")
@_common
def eval_(golds: tuple[str, ...], corpus: Path | None, top_k: int | None, out: Path | None, limit: int | None,
          compare: tuple[Path, Path] | None, min_accuracy: float | None, minimums: tuple[str, ...],
          index_dir: Path | None, model: str | None, verbose: int) -> None:
    """Score answers against gold questions: retrieval, answers, citations, refusals, speed.

    Each set's corpus is indexed into its own index in the cache (only what changed is embedded
    again), unless --index names one; several sets print one table with a row per set.
    """
    import time

    from . import evaluate
    from .documents import read_options
    from .errors import InputError
    from .pipeline import RAG
    from .settings import PROJECT_DIR

    if compare:
        click.echo(evaluate.compare(*compare))
        return
    bars = _parse_minimums(minimums) | ({"accuracy": min_accuracy} if min_accuracy is not None else {})
    rag = _rag(index_dir, model, verbose, top_k=top_k)
    sets = [evaluate.parse_set(spec, corpus or rag.settings.corpus)
            for spec in golds or [str(PROJECT_DIR / "eval" / "seeds.jsonl")]]
    if index_dir and len(sets) > 1:
        raise InputError("--index names one index, but several gold sets need one each: leave --index out")
    reading = read_options(rag.settings)
    questions = {gold_set: evaluate.load_gold(gold_set.gold, gold_set.corpus, reading)[:limit] for gold_set in sets}
    rag.generator
    out = out or PROJECT_DIR / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{rag.settings.model.replace('/', '_')}"
    results, failed = [], []
    for gold_set, asked in questions.items():
        # One embedder and one reader for every set; each set reads its own corpus's index.
        runner = rag if index_dir else RAG(settings=rag.settings.with_updates(**_set_store(rag.settings, gold_set)),
                                           embedder=rag.embedder, generator=rag.generator)
        if index_dir:
            ensure_index(runner)
        else:
            _index_with_progress(runner, [gold_set.corpus])
        runner.warm_up()
        stamp = evaluate.stamp(runner, gold_set.gold)  # before the run: the code may change while it goes on
        started = time.perf_counter()
        with _progress(f"{gold_set.name}: questions", len(asked)) as advance:
            records = evaluate.run(runner, asked, progress=advance)
        summary = evaluate.score(records)
        stamp["wall_seconds"] = round(time.perf_counter() - started, 1)
        folder = out / gold_set.name if len(sets) > 1 else out
        evaluate.write(folder, records, summary, stamp)
        results.append((gold_set, summary))
        if len(sets) == 1:
            click.echo(evaluate.report(records, summary, stamp).split("\n## Wrong")[0].rstrip())
        click.echo(f"\nwrote {folder}/rows.jsonl, summary.json, report.md", err=len(sets) > 1)
        prefix = f"{gold_set.name}: " if len(sets) > 1 else ""
        failed += [f"{prefix}{key} {summary.get(key)} < {bar}" for key, bar in bars.items()
                   if not isinstance(summary.get(key), (int, float)) or summary[key] < bar]
    if len(sets) > 1:
        table = evaluate.sets_table(results, model=rag.settings.model)
        (out / "sets.md").write_text(table + "\n", encoding="utf-8")
        click.echo(table)
        click.echo(f"\nwrote {out}/sets.md")
    if failed:
        raise InputError("below the bar: " + "; ".join(failed))


def _set_store(settings, gold_set) -> dict:
    """Where one gold set's corpus is indexed: a collection of its own in PostgreSQL, else a cache folder."""
    from . import evaluate
    from .store.postgres import is_url

    if is_url(settings.store):
        return {"collection": f"{settings.collection}-{gold_set.name}"}
    return {"store": "", "index_dir": evaluate.index_for(gold_set.corpus, settings.cache_dir)}


def _parse_minimums(minimums: tuple[str, ...]) -> dict[str, float]:
    from .errors import InputError
    from .scoring import summarize

    known = set(summarize([]))
    bars = {}
    for item in minimums:
        key, _, value = item.partition("=")
        try:
            bars[key] = float(value)
        except ValueError:
            raise InputError(f"--min takes METRIC=VALUE, like --min citation_precision=0.9; got {item!r}") from None
        if key not in known:
            raise InputError(f"--min: unknown metric {key!r}; known: {', '.join(sorted(known))}")
    return bars


@cli.command()
@_common
def check(index_dir: Path | None, model: str | None, verbose: int) -> None:
    """Check the index and the model file in full: every checksum, every record.

    Opening the index for a question hashes only the files that changed on disk since they were
    last verified; this hashes everything (in PostgreSQL: every document has all its chunks). Exits 1 with what to do when something is damaged.
    """
    import time

    from .models import check_model

    rag = _rag(index_dir, model, verbose)
    started = time.perf_counter()
    store = rag.check()
    click.echo(f"index {rag.backend.location}: ok, {len(store.chunks)} chunks, checked in full "
               f"({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    status = check_model(rag.settings.model, cache_dir=rag.settings.cache_dir, models_dir=rag.settings.models_dir)
    click.echo(f"model {rag.settings.model}: {status} ({time.perf_counter() - started:.1f} s)")


@cli.command()
@_common
def models(index_dir: Path | None, model: str | None, verbose: int) -> None:
    """List the models --model can name, with size and verification status."""
    from .models import list_models
    from .settings import Settings

    settings = Settings.load(index_dir=index_dir, model=model)
    for row in list_models(cache_dir=settings.cache_dir, models_dir=settings.models_dir):
        size = f"{row.size / 1e6:,.0f} MB" if row.size else "?"
        mark = "*" if row.name == settings.model else " "
        click.echo(f"{mark} {row.name:<22} {size:>9}  {row.status}")
        click.echo(f"  {'':<22} {'':>9}  {row.description}" + (f" — {row.path}" if row.path else ""))


def ensure_index(rag) -> None:
    """Index the default corpus first when there is no index yet, and say so."""
    if rag.has_index():
        return
    corpus = rag.settings.corpus
    if not corpus.exists():
        from .errors import IndexStateError

        raise IndexStateError(f"no index at {rag.backend.location}: run `rag index PATH` first")
    click.echo(f"No index at {rag.backend.location} yet: indexing {corpus} first.", err=True)
    report = _index_with_progress(rag, [corpus])
    click.echo(f"Indexed {report.documents} documents ({report.chunks} chunks) in {report.seconds:.1f} s.", err=True)


def _index_with_progress(rag, paths: Iterable[Path], rebuild: bool = False):
    with _progress("embedding chunks") as update:
        return rag.index(list(paths), rebuild=rebuild,
                         progress=lambda done, total: update(completed=done, total=total))


@contextmanager
def _progress(label: str, total: int | None = None):
    """A progress bar on stderr (done/total, rate, time left); yields the function that moves it."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:.2f}/s" if task.speed else "-/s")

    console = Console(stderr=True)
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), Rate(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=total)

        def update(**fields) -> None:
            bar.update(task, advance=0 if fields else 1, **fields)

        yield update


def main() -> None:
    """Console entry point: user-fixable errors print one line and exit 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RagError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
