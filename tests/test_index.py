import hashlib
import json
import shutil

import numpy as np
import pytest

from rag.errors import IndexStateError
from rag.store.folder import IndexSpec, VectorIndex
from rag.types import Chunk

SPEC = IndexSpec(embedder="fake", dimension=3, chunk_tokens=10, chunk_overlap=2)


def _index() -> VectorIndex:
    chunks = [Chunk(id=f"d:{i}", doc_id="d", source="d.txt", title="T", date=None, start=i, end=i + 1, text=t)
              for i, t in enumerate("abc")]
    vectors = np.eye(3, dtype=np.float32)
    return VectorIndex.build(SPEC, chunks, vectors)


def test_search_ranks_by_cosine_and_round_trips(tmp_path):
    index = _index()
    query = np.array([0.1, 0.9, 0.3], dtype=np.float32)
    query /= np.linalg.norm(query)
    assert [index.chunks[p].text for p, _ in index.search(query, 2)] == ["b", "c"]
    assert index.similarity(query, 1) == pytest.approx(index.search(query, 1)[0][1])
    index.save(tmp_path)
    reopened = VectorIndex.open(tmp_path, SPEC)
    assert reopened.chunks == index.chunks
    assert reopened.search(query, 3) == index.search(query, 3)


def test_saving_again_replaces_the_generation_atomically(tmp_path):
    _index().save(tmp_path)
    first = (tmp_path / "CURRENT").read_text()
    _index().save(tmp_path)
    second = (tmp_path / "CURRENT").read_text()
    assert first != second
    assert sorted(p.name for p in tmp_path.glob("gen-*")) == [second]


def test_other_settings_or_embedder_is_a_clear_error(tmp_path):
    _index().save(tmp_path)
    other = IndexSpec(embedder="fake", dimension=3, chunk_tokens=20, chunk_overlap=2)
    with pytest.raises(IndexStateError, match="chunks of 10 tokens.*rag index"):
        VectorIndex.open(tmp_path, other)


def test_missing_and_damaged_indexes_are_detected(tmp_path):
    with pytest.raises(IndexStateError, match="no index at"):
        VectorIndex.open(tmp_path, SPEC)
    _index().save(tmp_path)
    generation = tmp_path / (tmp_path / "CURRENT").read_text()
    chunks = generation / "chunks.jsonl"
    chunks.write_text(chunks.read_text().replace('"b"', '"B"'))
    with pytest.raises(IndexStateError, match="damaged"):
        VectorIndex.open(tmp_path, SPEC)
    (generation / "meta.json").write_text("{")
    with pytest.raises(IndexStateError, match="damaged"):
        VectorIndex.open(tmp_path, SPEC)


def test_a_failed_save_leaves_the_previous_index(tmp_path, monkeypatch):
    _index().save(tmp_path)
    live = (tmp_path / "CURRENT").read_text()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("rag.store.folder.os.replace", crash)
    with pytest.raises(OSError):
        _index().save(tmp_path)
    assert (tmp_path / "CURRENT").read_text() == live
    assert [p.name for p in tmp_path.glob("gen-*")] == [live]
    assert json.loads((tmp_path / live / "meta.json").read_text())["chunks"] == 3


def _damage_cases(tmp_path):
    """Ways to damage each file of a saved index: (file, how, what to do to it)."""
    smaller = VectorIndex.build(SPEC, _index().chunks[:2], np.eye(3, dtype=np.float32)[:2])
    smaller.save(tmp_path / "smaller")
    other = tmp_path / "smaller" / (tmp_path / "smaller" / "CURRENT").read_text()

    def truncate(size):
        return lambda path: path.write_bytes(path.read_bytes()[:size(len(path.read_bytes()))])

    def flip(at):
        def apply(path):
            blob = bytearray(path.read_bytes())
            blob[at(len(blob))] ^= 0x20
            path.write_bytes(bytes(blob))
        return apply

    def edit_meta(change):
        def apply(path):
            meta = json.loads(path.read_text())
            change(meta)
            path.write_text(json.dumps(meta))
        return apply

    def swap_in_other_vectors(meta_path):
        # Files from another index, with checksums that match them: only the counts can tell.
        meta = json.loads(meta_path.read_text())
        for name in ("vectors.faiss", "vectors.npy"):
            shutil.copy(other / name, meta_path.parent / name)
            meta["sha256"][name] = hashlib.sha256((other / name).read_bytes()).hexdigest()
        meta_path.write_text(json.dumps(meta))

    common = {
        "truncated to half": truncate(lambda n: n // 2),
        "emptied": truncate(lambda n: 0),
        "last byte cut": truncate(lambda n: n - 1),
        "a byte flipped in the middle": flip(lambda n: n // 2),
        "garbage appended": lambda path: path.write_bytes(path.read_bytes() + b"\x00garbage"),
        "deleted": lambda path: path.unlink(),
    }
    cases = [(name, how, damage) for name in ("vectors.faiss", "vectors.npy", "chunks.jsonl", "chunks.offsets.npy",
                                              "keywords/count.json", "meta.json")
             for how, damage in common.items()]
    cases += [
        ("chunks.jsonl", "a chunk's text edited", lambda p: p.write_text(p.read_text().replace('"b"', '"B"'))),
        ("chunks.jsonl", "two lines swapped",
         lambda p: p.write_text("".join([p.read_text().splitlines(True)[i] for i in (1, 0, 2)]))),
        ("vectors.faiss", "replaced by another index's", lambda p: shutil.copy(other / "vectors.faiss", p)),
        ("meta.json", "chunk count changed", edit_meta(lambda m: m.update(chunks=4))),
        ("meta.json", "a checksum changed", edit_meta(lambda m: m["sha256"].update({"chunks.jsonl": "0" * 64}))),
        ("meta.json", "a key removed", edit_meta(lambda m: m.pop("sha256"))),
        ("meta.json", "spec dimension changed", edit_meta(lambda m: m["spec"].update(dimension=4))),
        ("meta.json", "format changed", edit_meta(lambda m: m.update(format=99))),
        ("meta.json", "not an object", lambda p: p.write_text("[]")),
        ("meta.json", "other vectors with matching checksums", swap_in_other_vectors),
        ("CURRENT", "emptied", truncate(lambda n: 0)),
        ("CURRENT", "names a missing generation", lambda p: p.write_text("gen-19700101T000000-00000000")),
        ("CURRENT", "garbage", lambda p: p.write_bytes(b"\xff\xfe../../etc")),
    ]
    return cases


def test_every_damaged_file_is_detected_on_open_with_the_fix(tmp_path):
    cases = _damage_cases(tmp_path)
    detected = []
    for number, (name, how, damage) in enumerate(cases):
        directory = tmp_path / f"index-{number}"
        _index().save(directory)
        generation = directory / (directory / "CURRENT").read_text()
        damage(directory / name if name == "CURRENT" else generation / name)
        try:
            # An update reads the raw vectors too; a search reads the rest.
            VectorIndex.open(directory, SPEC, with_vectors=True)
        except IndexStateError as exc:
            message = str(exc)
            if "rag index --rebuild" in message and "\n" not in message:
                detected.append((name, how))
    assert len(detected) == len(cases), sorted(set((n, h) for n, h, _ in cases) - set(detected))
    assert len(cases) >= 30


def test_a_search_does_not_need_the_raw_vectors(tmp_path):
    _index().save(tmp_path)
    (tmp_path / (tmp_path / "CURRENT").read_text() / "vectors.npy").write_bytes(b"damaged")
    assert VectorIndex.open(tmp_path, SPEC).chunks == _index().chunks
    with pytest.raises(IndexStateError, match="vectors.npy does not match its checksum"):
        VectorIndex.open(tmp_path, SPEC, with_vectors=True)


def test_an_index_opened_without_its_vectors_cannot_be_saved(tmp_path):
    _index().save(tmp_path / "a")
    with pytest.raises(ValueError, match="without its vectors"):
        VectorIndex.open(tmp_path / "a", SPEC).save(tmp_path / "b")


def test_the_cli_reports_a_damaged_index_in_one_line(tmp_path, monkeypatch, capsys):
    from rag.chunking import chunk_documents
    from rag.cli import main
    from rag.documents import load_documents
    from rag.embeddings import SentenceTransformerEmbedder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("A short note about the talks in Moscow.\n")
    minilm = SentenceTransformerEmbedder()  # its tokenizer and settings only; the weights never load
    spec = IndexSpec(embedder=minilm.name, dimension=minilm.dimension, chunk_tokens=128, chunk_overlap=24)
    chunks = chunk_documents(load_documents([corpus])[0], count_tokens=minilm.count_tokens,
                             chunk_tokens=128, chunk_overlap=24)
    vectors = np.ones((len(chunks), minilm.dimension), dtype=np.float32) / np.sqrt(minilm.dimension)
    VectorIndex.build(spec, chunks, vectors).save(tmp_path / "index")
    damaged = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text() / "vectors.faiss"
    damaged.write_bytes(damaged.read_bytes()[:100])
    monkeypatch.setattr("sys.argv", ["rag", "index", "--index", str(tmp_path / "index"), str(corpus)])
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert err.count("\n") == 1 and err.startswith("error: the index at ") and "rag index --rebuild" in err


def test_a_reader_that_races_a_writer_opens_the_new_generation(tmp_path, monkeypatch):
    _index().save(tmp_path)
    newer = VectorIndex.build(SPEC, _index().chunks[:2], np.eye(3, dtype=np.float32)[:2])
    load = VectorIndex._load.__func__
    read = []

    def racing_load(cls, directory, generation, expect, with_vectors, **options):
        if not read:
            newer.save(directory)  # between reading CURRENT and the files, a writer swaps and cleans up
        read.append(generation.name)
        return load(cls, directory, generation, expect, with_vectors, **options)

    monkeypatch.setattr(VectorIndex, "_load", classmethod(racing_load))
    assert len(VectorIndex.open(tmp_path, SPEC).chunks) == 2
    assert read[0] != read[1] == (tmp_path / "CURRENT").read_text()


def test_unchanged_files_are_not_hashed_again_but_changed_ones_are(tmp_path, monkeypatch):
    import rag.store.stamps

    monkeypatch.setattr(rag.store.stamps, "SETTLE_SECONDS", 0.0)
    _index().save(tmp_path)
    hashed = []
    real = rag.store.stamps.file_sha256
    monkeypatch.setattr(rag.store.stamps, "file_sha256", lambda path: hashed.append(path.name) or real(path))
    VectorIndex.open(tmp_path, SPEC)
    assert "vectors.faiss" in hashed and "chunks.jsonl" in hashed
    hashed.clear()
    VectorIndex.open(tmp_path, SPEC)
    assert hashed == []
    generation = tmp_path / (tmp_path / "CURRENT").read_text()
    chunks = generation / "chunks.jsonl"
    chunks.write_text(chunks.read_text().replace('"b"', '"B"'))
    with pytest.raises(IndexStateError, match="chunks.jsonl does not match its checksum"):
        VectorIndex.open(tmp_path, SPEC)


def test_a_file_changed_just_after_it_was_hashed_is_hashed_again(tmp_path):
    # Written, opened (hashed) and damaged within one timestamp tick: the stamp must not vouch for it.
    _index().save(tmp_path)
    VectorIndex.open(tmp_path, SPEC)
    faiss_file = tmp_path / (tmp_path / "CURRENT").read_text() / "vectors.faiss"
    blob = bytearray(faiss_file.read_bytes())
    blob[len(blob) // 2] ^= 0x20
    with open(faiss_file, "r+b") as handle:
        handle.write(bytes(blob))
    with pytest.raises(IndexStateError, match="vectors.faiss does not match its checksum"):
        VectorIndex.open(tmp_path, SPEC)


def test_the_full_check_hashes_what_a_stamp_vouches_for(tmp_path):
    _index().save(tmp_path)
    generation = tmp_path / (tmp_path / "CURRENT").read_text()
    from rag.store.stamps import fingerprint

    # Damage the stamps cannot see (as a failing disk would): a stamp vouching for the wrong content.
    chunks = generation / "chunks.jsonl"
    chunks.write_text(chunks.read_text().replace('"b"', '"B"'))
    meta = json.loads((generation / "meta.json").read_text())
    stamps = {name: {"fingerprint": fingerprint(generation / name), "sha256": meta["sha256"][name]}
              for name in meta["sha256"]}
    (generation / "verified.json").write_text(json.dumps(stamps))
    assert VectorIndex.open(tmp_path, SPEC).chunks[1].text == "B"
    with pytest.raises(IndexStateError, match="chunks.jsonl does not match its checksum"):
        VectorIndex.open(tmp_path, SPEC, full=True)


def test_chunk_records_are_read_when_asked_for_and_bm25_is_saved(tmp_path):
    from rag.store.folder import ChunkTable

    _index().save(tmp_path)
    opened = VectorIndex.open(tmp_path, SPEC)
    assert isinstance(opened.chunks, ChunkTable) and len(opened.chunks) == 3
    assert opened.chunks[-1] == _index().chunks[2] and opened.chunks[0:2] == _index().chunks[0:2]
    assert opened.keywords.count == 3
