"""One suite over every store (the FAISS folder and PostgreSQL): what the pipeline may count on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fakes import FakeEmbedder
from postgres import pg_url, postgres_server  # noqa: F401 - fixtures
from rag import RAG
from rag.errors import IndexStateError
from rag.store import FolderStore, IndexSpec, open_store
from rag.store.indexing import update_index
from rag.store.postgres import PostgresStore

SPEC = IndexSpec(embedder=FakeEmbedder.name, dimension=FakeEmbedder.dimension, chunk_tokens=128, chunk_overlap=24)


@pytest.fixture(params=["folder", "postgres"])
def store(request, tmp_path):
    if request.param == "folder":
        yield open_store(tmp_path / "index")
        return
    made = open_store(request.getfixturevalue("pg_url"))
    yield made
    made.close()


@pytest.fixture
def corpus(tmp_path, seeds):
    return shutil.copytree(seeds, tmp_path / "corpus")


def _embedded(embedder):
    return [text for call in embedder.calls for text in call]


def test_open_store_picks_the_store_from_the_setting(tmp_path):
    assert isinstance(open_store(tmp_path / "idx"), FolderStore)
    assert isinstance(open_store("postgresql://u@h/db", "team"), PostgresStore)
    assert open_store("postgres://u:secret@h/db").location == "postgres://u:***@h/db (collection default)"


def test_a_new_store_holds_no_index_and_says_how_to_make_one(store):
    assert not store.exists()
    with pytest.raises(IndexStateError, match="no index .* run `rag index"):
        store.open(SPEC)


def test_indexed_documents_are_listed_counted_and_found(store, corpus):
    embedder = FakeEmbedder()
    index, report = update_index(store, [corpus], embedder, SPEC)
    assert store.exists()
    documents = index.list_documents()
    assert [d["source"] for d in documents] == sorted(str(p.resolve()) for p in corpus.iterdir())
    assert sum(d["chunks"] for d in documents) == report.chunks == len(index.chunks) == len(_embedded(embedder))
    assert index.documents == report.documents == 5
    chunks = list(index.chunks)
    assert sorted(c.id for c in chunks) == sorted(c.id for c in store.open(SPEC).chunks)
    for chunk in chunks[:: max(1, len(chunks) // 8)]:
        vector = FakeEmbedder().embed([chunk.text])[0]
        key, score = index.search(vector, 3)[0]
        assert index.chunks[key].text == chunk.text and score == pytest.approx(1.0, abs=1e-4)
        assert index.similarity(vector, key) == pytest.approx(score, abs=1e-4)
        assert corpus.joinpath(chunk.source.rsplit("/", 1)[1]).read_text()[chunk.start:chunk.end] == chunk.text


def test_keyword_search_finds_a_rare_name(store, corpus):
    index, _ = update_index(store, [corpus], FakeEmbedder(), SPEC)
    found = index.keywords.search("Rivnopillia", 5)
    assert found and all("Rivnopillia" in index.chunks[key].text for key in found)
    assert index.keywords.search("zzzqqq", 5) == [] and index.keywords.search("?!", 5) == []


def test_an_unchanged_corpus_is_not_embedded_again(store, corpus):
    update_index(store, [corpus], FakeEmbedder(), SPEC)
    embedder = FakeEmbedder()
    index, report = update_index(store, [corpus], embedder, SPEC)
    assert embedder.calls == [] and (report.changed, report.embedded, report.dropped) == (0, 0, 0)


def test_a_changed_file_is_embedded_alone_and_a_removed_one_leaves(store, corpus):
    first, _ = update_index(store, [corpus], FakeEmbedder(), SPEC)
    before = {c.id for c in first.chunks}
    changed = corpus / "002_cd1b89ea49e7bc27.txt"
    changed.write_text(changed.read_text() + "\nA late paragraph about the talks in Geneva.\n")
    gone = sorted(corpus.iterdir())[0]
    gone_source = str(gone.resolve())
    gone.unlink()
    embedder = FakeEmbedder()
    index, report = update_index(store, [corpus], embedder, SPEC)
    new_chunks = [c for c in index.chunks if c.source == str(changed.resolve())]
    assert sorted(_embedded(embedder)) == sorted(c.text for c in new_chunks)
    assert (report.changed, report.dropped, report.documents) == (1, 2, 4)
    assert not any(c.source == gone_source for c in index.chunks)
    assert {c.id for c in index.chunks if c.source != str(changed.resolve())} <= before
    assert any("Geneva" in c.text for c in new_chunks)


def test_a_moved_file_is_not_embedded_again(store, corpus, tmp_path):
    update_index(store, [corpus], FakeEmbedder(), SPEC)
    moved = sorted(corpus.iterdir())[1]
    moved.rename(corpus / "renamed.txt")
    embedder = FakeEmbedder()
    index, report = update_index(store, [corpus], embedder, SPEC)
    assert embedder.calls == []
    assert any(c.source == str((corpus / "renamed.txt").resolve()) for c in index.chunks)
    assert not any(c.source == str(moved.resolve()) for c in index.chunks)


def test_another_embedder_is_refused_until_a_rebuild(store, corpus):
    update_index(store, [corpus], FakeEmbedder(), SPEC)
    other = IndexSpec(embedder="other", dimension=SPEC.dimension, chunk_tokens=128, chunk_overlap=24)
    with pytest.raises(IndexStateError, match="built with embedder fake-embedder .* rebuild it: rag index --rebuild"):
        update_index(store, [corpus], FakeEmbedder(), other)
    with pytest.raises(IndexStateError, match="built with embedder fake-embedder"):
        store.open(other)
    index, report = update_index(store, [corpus], FakeEmbedder(), other, rebuild=True)
    assert store.open(other).spec == other and report.embedded == len(index.chunks)


def test_a_full_check_passes_on_a_whole_index(store, corpus):
    update_index(store, [corpus], FakeEmbedder(), SPEC)
    assert len(store.open(SPEC, full=True).chunks) > 0


def test_the_pipeline_retrieves_the_same_dense_hits_from_either_store(tmp_path, pg_url, seeds):
    questions = ["Who is Yuri Ushakov?", "Which villages did Russia say it captured?", "What happened in Geneva?"]
    results = []
    for where in (tmp_path / "index", pg_url):
        rag = RAG(store=str(where), embedder=FakeEmbedder(), min_score=0.0, retrieval="dense")
        rag.index([seeds])
        results.append([[hit.chunk.id for hit in rag.retrieve(q)] for q in questions])
        rag.backend.close()
    assert results[0] == results[1]
    assert all(results[0])


def test_both_stores_rank_the_same_chunks_by_keywords_for_every_gold_question(tmp_path, pg_url, seeds):
    import json

    gold = Path(__file__).parents[1] / "eval" / "seeds.jsonl"
    questions = [json.loads(line)["question"] for line in gold.read_text().splitlines() if line.strip()]
    rankings = []
    for store in (open_store(tmp_path / "index"), open_store(pg_url)):
        index, _ = update_index(store, [seeds], FakeEmbedder(), SPEC)
        rankings.append([[index.chunks[key].id for key in index.keywords.search(q, 20)] for q in questions])
        store.close()
    assert len(questions) > 100 and all(rankings[0])
    assert rankings[0] == rankings[1]


@pytest.mark.parametrize("command", ["index", "ask", "chat", "serve", "eval", "check", "models"])
def test_every_command_takes_store_and_collection(command):
    from click.testing import CliRunner

    from rag.cli import cli

    shown = CliRunner().invoke(cli, [command, "--help"]).output
    assert "--store DIR|URL" in shown and "--collection NAME" in shown


def test_the_store_flag_reaches_the_pipeline(tmp_path, monkeypatch, capsys):
    import sys

    from rag.cli import main

    monkeypatch.setattr(sys, "argv", ["rag", "check", "--store", str(tmp_path / "elsewhere"), "--collection", "x"])
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    assert exited.value.code == 1 and f"no index at {tmp_path / 'elsewhere'}" in err


def test_a_store_url_never_shows_its_password():
    from rag.settings import Settings

    settings = Settings().with_updates(store="postgresql://team:hunter2@db.internal/rag")
    shown = [str(settings.store), f"{settings.store}", repr(settings), json_of(settings)]
    assert all("hunter2" not in text for text in shown) and "team:***@db.internal" in shown[0]
    assert open_store(settings.store).url == "postgresql://team:hunter2@db.internal/rag"


def json_of(settings) -> str:
    import json

    return json.dumps({k: str(v) for k, v in vars(settings).items()})
