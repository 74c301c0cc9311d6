"""The pipeline's contract on the real models: exact spans, citations that point to retrieved
chunks, the refusal path, and JSON output that parses. Answer quality is the eval's job."""

import json
import os
import subprocess
import sys
from pathlib import Path

from rag import REFUSAL, Answer
from rag.answer.decision import REASONS
from rag.documents import load_documents

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUESTIONS = [
    "Which two villages in the Zaporizhzhia region did Russia claim to capture on November 16, 2025?",
    "How many people remain in Pokrovsk?",
    "Who attended the Moscow talks with Putin for the United States?",
]


def test_index_chunks_are_exact_spans_that_minilm_reads_whole(real_rag):
    documents = {d.id: d for d in load_documents([SEEDS])[0]}
    chunks = real_rag.store.chunks
    assert len({c.doc_id for c in chunks}) == 5
    for chunk in chunks:
        assert documents[chunk.doc_id].text[chunk.start:chunk.end] == chunk.text
        assert real_rag.embedder.count_tokens(chunk.text) + 2 <= real_rag.embedder.max_tokens


def test_retrieval_finds_the_document_that_holds_the_answer(real_rag):
    hits = real_rag.retrieve(QUESTIONS[0])
    assert Path(hits[0].chunk.source).name == "000_38b3d92c6adbb77d.txt"
    assert "Rivnopillia" in hits[0].chunk.text


def test_answers_cite_only_retrieved_chunks_with_exact_text(real_rag):
    documents = {d.id: d for d in load_documents([SEEDS])[0]}
    for question in QUESTIONS:
        answer = real_rag.ask(question)
        assert answer.text.strip()
        assert answer.abstained or answer.citations
        for citation in answer.citations:
            source = answer.hits[citation.number - 1].chunk
            assert citation.chunk_id == source.id
            assert source.start <= citation.start < citation.end <= source.end
            assert documents[citation.doc_id].text[citation.start:citation.end] == citation.text
            assert f"[{citation.number}]" in answer.text
        assert answer.timings.prompt_tokens <= real_rag.settings.context_window - real_rag.settings.max_answer_tokens


def test_stream_gives_text_then_the_answer(real_rag):
    events = list(real_rag.stream(QUESTIONS[1]))
    assert all(isinstance(e, str) for e in events[:-1]) and len(events) > 2
    assert isinstance(events[-1], Answer)
    assert events[-1].timings.first_token is not None


def test_off_topic_question_is_refused(real_rag):
    answer = real_rag.ask("Who won the 1998 football World Cup?")
    assert (answer.text, answer.abstained, answer.citations) == (REFUSAL, True, ())


def _cli(real_env, *args, stdin=None):
    env = {**os.environ, **real_env}
    return subprocess.run([sys.executable, "-m", "rag", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=600)


def test_cli_json_prints_one_parsable_answer_per_question(real_rag, real_env):
    result = _cli(real_env, "ask", "--json", QUESTIONS[0], "--file", "-", stdin="Who won the 1998 football World Cup?\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    assert first["question"] == QUESTIONS[0] and first["text"]
    assert first["abstained"] or first["citations"]  # an answer is backed by a source, or refused
    assert set(first["timings"]) >= {"retrieval", "first_token", "total"}
    assert all({"source", "start", "end", "text"} <= set(c) for c in first["citations"])
    assert second["abstained"] is True and second["text"] == REFUSAL
    # Every refusal says why, in a code and a line; an answer has neither.
    for answer in (first, second):
        assert (answer["reason"] is None) == (answer["reason_text"] is None) == (not answer["abstained"])
    assert second["reason"] in REASONS and second["reason_text"] == REASONS[second["reason"]]


def test_cli_errors_are_one_line_with_a_fix(real_rag, real_env, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 1000)
    cases = {
        ("ask", "   "): "question is empty",
        ("ask", "--model", str(tmp_path / "missing.gguf"), "hello"): "no model",
        ("ask", "--model", str(broken), "Who is Yuri Ushakov?"): "cannot load",
        ("index", str(tmp_path / "nowhere")): "no such file or folder",
        ("ask", "--index", str(tmp_path / "empty-index"), "--model", "smollm2-135m", "hi"): None,
    }
    for args, message in cases.items():
        result = _cli(real_env, *args)
        if message is None:  # no index: the default corpus is indexed first, and it says so
            assert result.returncode == 0 and "indexing" in result.stderr, result.stderr
            continue
        assert result.returncode == 1, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], (args, result.stderr)
