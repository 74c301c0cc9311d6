"""Incremental indexing: what is embedded again, what keeps its ids, what leaves the index."""

import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fakes import FakeEmbedder
from rag.errors import IndexStateError
from rag.store.folder import IndexSpec, VectorIndex
from rag.store import FolderStore
from rag.store.indexing import update_index

SPEC = IndexSpec(embedder=FakeEmbedder.name, dimension=FakeEmbedder.dimension, chunk_tokens=128, chunk_overlap=24)


@pytest.fixture
def corpus(tmp_path, seeds):
    return shutil.copytree(seeds, tmp_path / "corpus")


def _run(directory, paths, embedder, spec=SPEC, **kwargs):
    return update_index(FolderStore(directory), paths, embedder, spec, **kwargs)


def _embedded(embedder):
    return [text for call in embedder.calls for text in call]


def test_an_unchanged_corpus_is_not_embedded_again_nor_rewritten(tmp_path, corpus):
    embedder = FakeEmbedder()
    first, report = _run(tmp_path / "index", [corpus], embedder)
    assert len(_embedded(embedder)) == report.chunks == report.embedded == len(first.chunks)
    live = (tmp_path / "index" / "CURRENT").read_text()
    embedder.calls.clear()
    again, report = _run(tmp_path / "index", [corpus], embedder)
    assert embedder.calls == []
    assert (report.changed, report.embedded, report.dropped) == (0, 0, 0)
    assert (tmp_path / "index" / "CURRENT").read_text() == live
    assert again.chunks == first.chunks


def test_one_changed_file_re_embeds_only_its_chunks_and_the_rest_keep_their_ids(tmp_path, corpus):
    embedder = FakeEmbedder()
    before, _ = _run(tmp_path / "index", [corpus], embedder)
    changed = corpus / "002_cd1b89ea49e7bc27.txt"
    changed.write_text(changed.read_text() + "\nA late paragraph about the talks in Geneva.\n")
    embedder.calls.clear()
    after, report = _run(tmp_path / "index", [corpus], embedder)

    source = str(changed.resolve())
    new_chunks = [c for c in after.chunks if c.source == source]
    assert _embedded(embedder) == [c.text for c in new_chunks]
    assert (report.changed, report.embedded, report.dropped) == (1, len(new_chunks), 1)
    old_rest = [c for c in before.chunks if c.source != source]
    assert [c for c in after.chunks if c.source != source] == old_rest
    assert not {c.id for c in before.chunks if c.source == source} & {c.id for c in new_chunks}
    # The reused rows are the very vectors embedded the first time.
    rows_before = {c.id: before.vectors[i] for i, c in enumerate(before.chunks)}
    for i, chunk in enumerate(after.chunks):
        if chunk.source != source:
            assert np.array_equal(after.vectors[i], rows_before[chunk.id])


def test_an_update_gives_the_same_index_as_a_rebuild(tmp_path, corpus):
    _run(tmp_path / "a", [corpus], FakeEmbedder())
    (corpus / "000_38b3d92c6adbb77d.txt").unlink()
    (corpus / "new.md").write_text("# Added later\n\nA new note about Kupiansk and the front line.\n")
    (corpus / "003_7dc6964e6ae93ba4.txt").write_text("Rewritten entirely: talks resume in Istanbul.\n")
    updated, _ = _run(tmp_path / "a", [corpus], FakeEmbedder())
    rebuilt, _ = _run(tmp_path / "b", [corpus], FakeEmbedder())
    assert updated.chunks == rebuilt.chunks
    assert np.allclose(updated.vectors, rebuilt.vectors)
    reopened = VectorIndex.open(tmp_path / "a", SPEC)
    assert reopened.chunks == rebuilt.chunks


def test_a_moved_file_keeps_its_vectors_and_takes_its_new_path(tmp_path, corpus):
    embedder = FakeEmbedder()
    before, _ = _run(tmp_path / "index", [corpus], embedder)
    original = corpus / "004_fd0a840546b0e701.txt"
    moved_id = next(c.doc_id for c in before.chunks if c.source == str(original.resolve()))
    moved = corpus / "sub" / "renamed.txt"
    moved.parent.mkdir()
    original.rename(moved)
    embedder.calls.clear()
    after, report = _run(tmp_path / "index", [corpus], embedder)
    assert embedder.calls == [] and (report.changed, report.dropped) == (0, 0)
    assert [c.id for c in after.chunks] == [c.id for c in before.chunks]
    assert {c.source for c in after.chunks if c.doc_id == moved_id} == {str(moved.resolve())}


def test_the_index_mirrors_the_paths_given(tmp_path, corpus):
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("A note about the Donbas and the talks in Moscow.\n")
    _run(tmp_path / "index", [corpus], FakeEmbedder())
    index, report = _run(tmp_path / "index", [other], FakeEmbedder())
    assert {c.source for c in index.chunks} == {str((other / "note.txt").resolve())}
    assert (report.documents, report.dropped) == (1, 5)


def test_rebuild_embeds_everything_and_other_settings_require_it(tmp_path, corpus):
    embedder = FakeEmbedder()
    _, first = _run(tmp_path / "index", [corpus], embedder)
    embedder.calls.clear()
    _, report = _run(tmp_path / "index", [corpus], embedder, rebuild=True)
    assert len(_embedded(embedder)) == report.embedded == first.chunks
    smaller = IndexSpec(embedder=SPEC.embedder, dimension=SPEC.dimension, chunk_tokens=64, chunk_overlap=8)
    embedder.calls.clear()
    with pytest.raises(IndexStateError, match=r"chunks of 128 tokens.*rag index --rebuild"):
        _run(tmp_path / "index", [corpus], embedder, spec=smaller)
    assert embedder.calls == []
    index, _ = _run(tmp_path / "index", [corpus], embedder, spec=smaller, rebuild=True)
    assert VectorIndex.open(tmp_path / "index", smaller).chunks == index.chunks


def test_a_second_writer_is_turned_away_before_it_embeds(tmp_path, corpus):
    directory = tmp_path / "index"
    directory.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fcntl, sys, time
        handle = open({str(directory / '.lock')!r}, "w")
        fcntl.flock(handle, fcntl.LOCK_EX)
        print("locked", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        embedder = FakeEmbedder()
        with pytest.raises(IndexStateError, match=r"another `rag index` is writing to .*wait for it to finish"):
            _run(directory, [corpus], embedder)
        assert embedder.calls == []
    finally:
        holder.communicate("")
    _run(directory, [corpus], FakeEmbedder())  # the lock died with its holder


def test_generations_left_by_a_crash_are_removed_by_the_next_run(tmp_path, corpus):
    _run(tmp_path / "index", [corpus], FakeEmbedder())
    crashed = tmp_path / "index" / "gen-20250101T000000-deadbeef"
    crashed.mkdir()
    (crashed / "vectors.npy").write_bytes(b"half a file")
    _run(tmp_path / "index", [corpus], FakeEmbedder())
    live = (tmp_path / "index" / "CURRENT").read_text()
    assert [p.name for p in (tmp_path / "index").glob("gen-*")] == [live]
