"""The remote reader against a scripted OpenAI-compatible server: streaming, the yes/no check, counting."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from rag import RAG
from rag.errors import ModelError
from rag.generation import RemoteGenerator, is_remote, open_reader
from rag.settings import Settings

MESSAGES = [{"role": "user", "content": "Is the sky blue?"}]


class Server:
    """An OpenAI-compatible server in a transport: replies stream word by word; every request is kept."""

    def __init__(self, *, reply: str = "", top: list[tuple[str, float]] | None = None, tokenize: bool = True):
        self.reply, self.top, self.tokenize = reply, top, tokenize
        self.requests: list[tuple[str, dict]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.requests.append((request.url.path, body))
        if request.url.path == "/extras/tokenize/count":
            return httpx.Response(200, json={"count": len(body["input"].split())}) if self.tokenize else httpx.Response(404)
        if request.url.path == "/tokenize":
            return httpx.Response(404)
        if body.get("stream"):
            words = [w + " " for w in self.reply.split()]
            lines = [f"data: {json.dumps({'choices': [{'delta': {'content': w}}]})}\n\n" for w in words]
            return httpx.Response(200, text="".join(lines) + "data: [DONE]\n\n",
                                  headers={"content-type": "text/event-stream"})
        logprobs = None if self.top is None else {"content": [{"token": "x", "logprob": 0.0, "top_logprobs": [
            {"token": token, "logprob": value} for token, value in self.top]}]}
        return httpx.Response(200, json={"choices": [{"message": {"content": "Yes"}, "logprobs": logprobs}]})


def _reader(server: Server, **kwargs) -> RemoteGenerator:
    return RemoteGenerator("http://gpu-box:8080/v1#served-model", client=httpx.Client(transport=httpx.MockTransport(server)),
                           **kwargs)


def test_a_url_names_a_remote_reader_with_the_served_model_after_the_hash():
    assert is_remote("http://gpu-box:8080/v1") and is_remote("https://x/v1") and not is_remote("qwen2.5-coder-0.5b")
    reader = open_reader("http://gpu-box:8080/v1/#qwen2.5-coder-0.5b", Settings(), prefix=())
    assert isinstance(reader, RemoteGenerator)
    assert (reader.base_url, reader.served_name) == ("http://gpu-box:8080/v1", "qwen2.5-coder-0.5b")
    assert RAG(model="http://gpu-box:8080/v1").generator.name == "http://gpu-box:8080/v1"


def test_stream_sends_the_chat_and_yields_the_deltas():
    server = Server(reply="Five hours [1].")
    assert "".join(_reader(server, temperature=0.0, seed=3).stream(MESSAGES, max_tokens=7)) == "Five hours [1]. "
    path, body = server.requests[-1]
    assert path == "/v1/chat/completions"
    assert body | {"messages": None} == {"model": "served-model", "messages": None, "max_tokens": 7,
                                         "temperature": 0.0, "seed": 3, "stream": True}
    assert body["messages"] == MESSAGES


def test_yes_probability_reads_the_first_tokens_top_logprobs():
    server = Server(top=[("Yes", math.log(0.6)), (" yes", math.log(0.1)), ("No", math.log(0.1)), ("Maybe", -1.0)])
    assert _reader(server).yes_probability(MESSAGES) == pytest.approx(0.7 / 0.8)
    _, body = server.requests[-1]
    assert (body["max_tokens"], body["logprobs"], body["top_logprobs"], body["stream"]) == (1, True, 20, False)
    assert _reader(Server(top=None)).yes_probability(MESSAGES) is None
    assert _reader(Server(top=[("Maybe", -0.1)])).yes_probability(MESSAGES) == 0.5


def test_tokens_are_counted_by_the_server_else_locally_with_a_margin():
    counted = _reader(Server()).count_tokens(MESSAGES)
    assert counted == 4 + 8 + 4  # four words, the template's tokens per message and the reply cue
    local = _reader(Server(tokenize=False), local_tokenizer=lambda text: 10 * len(text.split()))
    assert local.count_tokens(MESSAGES) == 46 + 8 + 4
    assert local.count_tokens(MESSAGES) == 46 + 8 + 4
    with pytest.raises(ModelError, match="cannot count tokens"):
        _reader(Server(tokenize=False)).count_tokens(MESSAGES)


def test_an_unreachable_server_is_one_clear_error():
    def refuse(request):
        raise httpx.ConnectError("connection refused")

    reader = RemoteGenerator("http://127.0.0.1:9/v1", client=httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(ModelError, match=r"cannot reach the reader at http://127.0.0.1:9/v1 .*is the server running"):
        list(reader.stream(MESSAGES, max_tokens=4))


def test_the_pipeline_answers_through_a_remote_reader_with_checked_citations(tmp_path, seeds, fake_embedder):
    server = Server(reply="Russia claimed Rivnopillia and Mala Tokmachka [1].", top=[("Yes", -0.05), ("No", -3.0)])
    rag = RAG(index_dir=tmp_path / "index", embedder=fake_embedder, generator=_reader(server), min_score=0.0)
    rag.index([seeds])
    answer = rag.ask("Which villages in the Zaporizhzhia region did Russia claim to capture?")
    assert not answer.abstained and answer.citations
    assert "Mala Tokmachka" in answer.citations[0].text
    # The reader checked itself through the server's log-probabilities.
    assert answer.signals.judge == pytest.approx(1 / (1 + math.exp(-2.95)))
