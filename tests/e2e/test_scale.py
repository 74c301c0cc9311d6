"""Scale: a 50 MB text file and 10,000 small files are indexed in bounded time and memory.

They run here, with the slower tests, because they take half a minute between them; they embed
with the fake embedder (MiniLM would need an hour for 90,000 chunks on two cores), so what they
measure is this project's own loading, chunking, index building and writing.
"""

import json
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from fakes import FakeEmbedder
from rag.store.folder import IndexSpec
from rag.store import FolderStore
from rag.store.indexing import update_index

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
TESTS = Path(__file__).resolve().parents[1]
SPEC = IndexSpec(embedder=FakeEmbedder.name, dimension=FakeEmbedder.dimension, chunk_tokens=128, chunk_overlap=24)


def test_a_50_mb_file_is_indexed_in_bounded_memory(tmp_path):
    words = (SEEDS / "000_38b3d92c6adbb77d.txt").read_text().split()
    rng = random.Random(0)
    block = "".join(" ".join(rng.choices(words, k=90)) + ".\n\n" for _ in range(2000))
    big = tmp_path / "corpus" / "big.txt"
    big.parent.mkdir()
    with open(big, "w") as handle:
        for _ in range(50 * 2**20 // len(block) + 1):
            handle.write(block)
    size = big.stat().st_size
    script = textwrap.dedent(f"""
        import json, re, sys, time
        sys.path.insert(0, {str(TESTS)!r})
        from pathlib import Path
        from fakes import FakeEmbedder
        from rag.store.folder import IndexSpec, VectorIndex
        from rag.store import FolderStore
        from rag.store.indexing import update_index

        started = time.perf_counter()
        spec = IndexSpec(FakeEmbedder.name, FakeEmbedder.dimension, 128, 24)
        index, report = update_index(FolderStore(Path({str(tmp_path / 'index')!r})), [{str(big.parent)!r}], FakeEmbedder(), spec)
        seconds = time.perf_counter() - started
        del index
        reopened = VectorIndex.open(Path({str(tmp_path / 'index')!r}), spec)
        print(json.dumps({{"seconds": seconds, "chunks": report.chunks,
                          "reopened": len(reopened.chunks),
                          "peak": int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text())[1]) * 1024}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    # The child's own peak from its memory map: getrusage would report the pytest process's peak,
    # which a forked child inherits, and RUSAGE_CHILDREN the largest of every earlier test's children.
    peak = figures["peak"]
    print(f"{size / 2**20:.0f} MB file: {figures['chunks']} chunks in {figures['seconds']:.1f} s, "
          f"peak memory {peak / 2**20:.0f} MB")
    assert size >= 50 * 2**20
    assert figures["chunks"] == figures["reopened"] > 50_000
    # The text, the chunks, the vectors and FAISS's copy of them: about 14 times the file here.
    assert peak < 20 * size


def test_ten_thousand_small_files_are_all_indexed(tmp_path):
    folder = tmp_path / "many"
    for group in range(100):
        (folder / f"{group:03d}").mkdir(parents=True)
        for item in range(100):
            (folder / f"{group:03d}" / f"{item:03d}.txt").write_text(f"Note {group}-{item}: the front moved near Kupiansk.\n")
    started = time.perf_counter()
    index, report = update_index(FolderStore(tmp_path / "index"), [folder], FakeEmbedder(), SPEC)
    took = time.perf_counter() - started
    assert (report.documents, report.chunks, report.skipped) == (10_000, 10_000, ())
    assert len({c.doc_id for c in index.chunks}) == 10_000
    print(f"10,000 files indexed in {took:.1f} s")  # shown with -s, for the closing note
    embedder = FakeEmbedder()
    _, again = update_index(FolderStore(tmp_path / "index"), [folder], embedder, SPEC)
    assert embedder.calls == [] and again.documents == 10_000
