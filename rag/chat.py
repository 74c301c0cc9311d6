"""`rag chat`: a REPL over `Conversation`, streaming answers with their sources.

On a terminal it has line editing, a history file, colour (unless NO_COLOR is set) and
Ctrl-C to stop an answer. Piped, it reads one question a line and prints plain answers.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.text import Text

from .conversation import Conversation
from .display import passage, sources_block
from .errors import RagError
from .pipeline import RAG
from .settings import MAX_K
from .types import Answer

HELP = """Commands:
  /help       this help
  /sources    the full passages behind the last answer, cited or not
  /k N        retrieve N chunks per question (now {k})
  /model      the model in use
  /reset      forget the conversation
  /quit       leave (also: exit, quit, Ctrl-D)
Ctrl-C stops an answer; at the prompt, press it twice to leave."""


class Loader:
    """Runs a slow start-up step in a thread; `wait` returns once it is done, or raises its error."""

    def __init__(self, step) -> None:
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(step,), daemon=True)
        self._thread.start()

    def _run(self, step) -> None:
        try:
            step()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread by wait()
            self.error = exc

    def wait(self) -> None:
        self._thread.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


class ChatSession:
    """The REPL's state: the conversation, the console, and what the last answer used."""

    def __init__(self, rag: RAG, *, console: Console, verbose: int = 0) -> None:
        self.rag = rag
        self.console = console
        self.verbose = verbose
        self.conversation = Conversation(rag)
        self.k = rag.settings.top_k  # chunks per question, for this session only (/k)
        self.last: Answer | None = None
        self.loader: Loader | None = None

    def banner(self) -> str:
        store = self.rag.store
        return (f"rag chat · model {self.rag.settings.model} · {store.documents} documents, "
                f"{len(store.chunks)} chunks · /help for commands, Ctrl-D to leave")

    def handle(self, line: str) -> bool:
        """Run one line of input; False means leave."""
        line = line.strip()
        if not line:
            return True
        if line.lower() in ("exit", "quit", "/quit", "/exit"):
            return False
        try:
            if self.loader:
                self.loader.wait()
            if line.startswith("/"):
                self.command(line)
                return True
            self.answer(line)
        except RagError as exc:
            self.console.print(Text(f"error: {exc}", style="red"))
        return True

    def command(self, line: str) -> None:
        name, _, argument = line.partition(" ")
        if name == "/help":
            self.console.print(HELP.format(k=self.k), markup=False, highlight=False)
        elif name == "/sources":
            self.show_passages()
        elif name == "/k":
            self.set_k(argument)
        elif name == "/model":
            generator = self.rag.generator
            self.console.print(f"{self.rag.settings.model} ({generator.path or generator.name}), "
                               f"context window {generator.context_window} tokens", markup=False)
        elif name == "/reset":
            self.conversation.reset()
            self.last = None
            self.console.print("Conversation forgotten.", style="dim")
        else:
            self.console.print(Text(f"unknown command {name}: /help lists them", style="red"))

    def set_k(self, argument: str) -> None:
        try:
            k = int(argument)
            if not 1 <= k <= MAX_K:
                raise ValueError
        except ValueError:
            self.console.print(Text(f"usage: /k N, with N from 1 to {MAX_K}", style="red"))
            return
        self.k = k
        self.console.print(f"Retrieving {k} chunks per question.", style="dim")

    def answer(self, question: str) -> None:
        """Stream the answer, then put the checked text (markers that match the sources list) in its place."""
        events = self.conversation.stream(question, k=self.k)
        answer, streamed = None, ""
        live = Live(Text(""), console=self.console, auto_refresh=False, vertical_overflow="visible",
                    transient=True) if self.console.is_terminal else None
        try:
            if live:
                live.start()
            for event in events:
                if isinstance(event, Answer):
                    answer = event
                else:
                    streamed += event
                    if live:
                        live.update(Text(streamed), refresh=True)
        except KeyboardInterrupt:
            events.close()
            if live:
                live.stop()
            self.console.print(Text(streamed + "\n[stopped]", style="yellow"))
            return
        finally:
            if live and live.is_started:
                live.stop()
        if answer.abstained:
            # The streamed text was the reader's; what stands is the refusal, and why.
            self.console.print(Text(answer.text, style="yellow"))
            self.console.print(Text(f"(why: {answer.reason_text})", style="dim"))
        else:
            self.console.print(_linked(answer.text))
        self.last = answer
        if self.verbose:
            timings = answer.timings
            first = f"{timings.first_token:.2f}" if timings.first_token is not None else "-"
            self.console.print(Text(f"searched: {answer.query}\nfirst token {first} s, total {timings.total:.2f} s",
                                    style="dim"))
        self.show_sources(answer)

    def show_sources(self, answer: Answer) -> None:
        block = Text(sources_block(answer))
        block.highlight_regex(r"(?m)^\[\d+\]", "bold cyan")
        block.highlight_regex(r"(?m)^    “.*$", "dim")
        block.highlight_regex(r"(?m)^unsupported by the sources: .*$", "yellow")
        if block.plain:
            self.console.print(block)

    def show_passages(self) -> None:
        if self.last is None:
            self.console.print("No answer yet.", style="dim")
            return
        cited = {c.chunk_id for c in self.last.citations}
        for number, hit in enumerate(self.last.hits, 1):
            self.console.print(passage(number, hit, hit.chunk.id in cited), markup=False, highlight=False)


def _linked(text: str) -> Text:
    """The answer with its [n] markers in the colour of the sources list."""
    styled = Text(text)
    styled.highlight_regex(r"\[\d+\]", "bold cyan")
    return styled


def run_chat(rag: RAG, *, verbose: int = 0) -> None:
    """The REPL on a terminal, or plain question-per-line answering when piped."""
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    # Rich already leaves out colour when stdout is not a terminal or NO_COLOR is set.
    console = Console(highlight=False, soft_wrap=True)
    session = ChatSession(rag, console=console, verbose=verbose)
    if not interactive:
        for line in sys.stdin:
            if not session.handle(line):
                break
        return
    console.print(Text(session.banner(), style="bold"))
    # The models load while the person types the first question; that question waits for them.
    session.loader = Loader(rag.warm_up)
    _loop(session)


def _loop(session: ChatSession) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history = _history_file()
    prompt = PromptSession(history=FileHistory(str(history)))
    interrupted = False
    while True:
        try:
            line = prompt.prompt("› ")
        except KeyboardInterrupt:
            if interrupted:
                return
            interrupted = True
            session.console.print("(Ctrl-C again or Ctrl-D to leave)", style="dim")
            continue
        except EOFError:
            return
        interrupted = False
        try:
            if not session.handle(line):
                return
        except KeyboardInterrupt:  # outside an answer, say during a /command: the session goes on
            session.console.print()


def _history_file() -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "rag"
    base.mkdir(parents=True, exist_ok=True)
    return base / "chat_history"
