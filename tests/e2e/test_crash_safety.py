"""`rag index` killed with SIGKILL at random moments leaves an index that opens and answers.

The real CLI (MiniLM embeddings) indexes a corpus whose changing files flip between two states,
so every run has chunks to embed and an index to write. Kill times are drawn over the phases a
measured run goes through, read from its `-v` log: anywhere from the start, during embedding,
and during the write. After each kill the index must open, hold exactly the old state or the new
one (never a mix), and answer; a last run must complete and leave a single generation.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fakes import FakeGenerator
from rag import RAG
from rag.documents import load_documents
from rag.store.folder import VectorIndex

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
KILLS = 20
PHASES = {"anywhere": 6, "embedding": 6, "writing": 8}


class Run:
    """A `rag index -v` process whose log lines are timed as they arrive."""

    def __init__(self, env, *args):
        self.started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, "-m", "rag", "index", "-v", *args], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[tuple[float, str]] = []
        self._events: dict[str, threading.Event] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.append((time.perf_counter() - self.started, line.rstrip("\n")))
            for marker, event in list(self._events.items()):
                if line.startswith(marker):
                    event.set()

    def wait_for(self, marker: str, timeout: float = 300) -> bool:
        event = self._events.setdefault(marker, threading.Event())
        if any(line.startswith(marker) for _, line in self.lines):
            event.set()
        return event.wait(timeout)

    def at(self, marker: str) -> float:
        return next(t for t, line in self.lines if line.startswith(marker))

    def finish(self) -> int:
        code = self.process.wait(timeout=600)
        self._reader.join(timeout=10)
        return code

    def phase(self) -> str:
        """Where the process was, from the last progress line it wrote."""
        last = self.lines[-1][1] if self.lines else ""
        if last.startswith("writing the index"):
            return "writing"
        if last.startswith(("embedding", "embedded")):
            return "embedding"
        if last.endswith("is live"):
            return "after the swap"
        return "starting"


def _variant(words, rng, state):
    sentences = [" ".join(rng.choices(words, k=18)).capitalize() + "." for _ in range(40)]
    return f"Field report, version {state}.\n\n" + "\n\n".join(" ".join(sentences[i:i + 4]) for i in range(0, 40, 4))


@pytest.fixture
def corpus(tmp_path):
    """seeds/ plus four files whose text differs between state A and state B."""
    folder = shutil.copytree(SEEDS, tmp_path / "corpus")
    words = " ".join(p.read_text() for p in SEEDS.glob("*.txt")).split()
    states = {}
    for state in "AB":
        rng = random.Random(state)
        states[state] = {folder / f"variant_{i}.txt": _variant(words, rng, state) for i in range(4)}
    return folder, states


def _write(states, state):
    for path, text in states[state].items():
        path.write_text(text)


def _expected(folder):
    """The chunks' documents and texts an index of `folder` as it is now must hold."""
    documents, _ = load_documents([folder])
    return {(d.source, d.id): d.text for d in documents}


def _check(rag, spec, index_dir, expected):
    """Open the index, say which state it holds, and have it answer."""
    index = VectorIndex.open(index_dir, spec)
    held = {(c.source, c.doc_id) for c in index.chunks}
    states = [name for name, documents in expected.items() if held == set(documents)]
    assert len(states) == 1, f"the index holds neither state whole: {sorted(held)[:3]}…"
    documents = expected[states[0]]
    for chunk in index.chunks:
        assert documents[(chunk.source, chunk.doc_id)][chunk.start:chunk.end] == chunk.text
    rag._index = rag._keyword_index = None  # read the index from disk again
    question = "How many people remain in Pokrovsk?"
    top = rag.retrieve(question)[0].chunk
    rag.generator.enqueue(top.text.split("\n")[0][:300] + " [1]")
    answer = rag.ask(question)
    assert answer.hits and all((h.chunk.source, h.chunk.doc_id) in documents for h in answer.hits)
    for citation in answer.citations:
        assert documents[(citation.source, citation.doc_id)][citation.start:citation.end] == citation.text
    return states[0]


def test_index_survives_sigkill_at_random_moments(real_rag, real_env, corpus, tmp_path):
    folder, variants = corpus
    index_dir = tmp_path / "index"
    env = {**os.environ, **real_env, "RAG_INDEX_DIR": str(index_dir), "PYTHONUNBUFFERED": "1"}
    rag = RAG(index_dir=index_dir, embedder=real_rag.embedder, generator=FakeGenerator(), min_score=0.0)
    spec = rag._spec()
    expected = {}
    for state in "AB":
        _write(variants, state)
        expected[state] = _expected(folder)

    # The first run is paused while it embeds, holding the lock, and a second writer is turned away.
    _write(variants, "A")
    first = Run(env, str(folder))
    assert first.wait_for("embedding")
    first.process.send_signal(signal.SIGSTOP)
    try:
        second = subprocess.run([sys.executable, "-m", "rag", "index", str(folder)], env=env, capture_output=True,
                                text=True, timeout=300)
    finally:
        first.process.send_signal(signal.SIGCONT)
    assert first.finish() == 0, first.lines
    assert second.returncode == 1 and second.stderr.count("\n") == 1
    assert second.stderr.startswith(f"error: another `rag index` is writing to {index_dir}; wait for it to finish")
    assert _check(rag, spec, index_dir, expected) == "A"
    # A run from A to B, whose log gives the phases' times.
    _write(variants, "B")
    measured = Run(env, str(folder))
    assert measured.finish() == 0, measured.lines
    live = _check(rag, spec, index_dir, expected)
    assert live == "B"
    embedding, writing, live_at = measured.at("embedding"), measured.at("writing the index"), measured.at("gen-")
    windows = {"anywhere": (0.0, measured.lines[-1][0]), "embedding": (embedding, writing),
               "writing": (writing, live_at + 0.2 * (live_at - writing))}

    rng = random.Random(7)
    schedule = [phase for phase, count in PHASES.items() for _ in range(count)]
    rng.shuffle(schedule)
    kills, survived, partial, landed = 0, 0, 0, {}
    for phase in schedule * 2:  # runs that end before their kill do not count; try again
        if kills == KILLS:
            break
        target = "A" if live == "B" else "B"
        _write(variants, target)
        before = {p.name for p in index_dir.glob("gen-*")}
        run = Run(env, str(folder))
        start, end = windows[phase]
        if phase == "anywhere":
            time.sleep(rng.uniform(start, end))
        else:
            marker = "embedding" if phase == "embedding" else "writing the index"
            assert run.wait_for(marker)
            time.sleep(rng.uniform(0, end - start))
        if run.process.poll() is not None:
            run.finish()
            live = _check(rag, spec, index_dir, expected)
            continue
        run.process.send_signal(signal.SIGKILL)
        assert run.finish() == -signal.SIGKILL
        kills += 1
        landed[run.phase()] = landed.get(run.phase(), 0) + 1
        # A generation this run began and did not make live: the kill landed inside the write.
        partial += bool({p.name for p in index_dir.glob("gen-*")} - before - {(index_dir / "CURRENT").read_text()})
        state = _check(rag, spec, index_dir, expected)
        assert state in (live, target)
        survived += 1
        live = state

    target = "A" if live == "B" else "B"
    _write(variants, target)
    last = Run(env, str(folder))
    assert last.finish() == 0, last.lines
    assert _check(rag, spec, index_dir, expected) == target
    assert [p.name for p in index_dir.glob("gen-*")] == [(index_dir / "CURRENT").read_text()]
    print(f"\nkills survived {survived}/{kills}; landed {landed}; "
          f"{partial} left a partial generation (cleaned up by the last run); run of {windows['anywhere'][1]:.1f} s, "
          f"embedding {writing - embedding:.1f} s, write {live_at - writing:.3f} s")
    assert kills == survived == KILLS
    assert landed.get("embedding", 0) >= 3 and landed.get("writing", 0) >= 3
