"""`rag serve` on the real stack, over HTTP on loopback: curl's view, OpenAI's client, the page in
Debian's chromium driven by Playwright, a dropped stream, and a remote reader behind llama-cpp-python's
own server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bench.measure import free_port, start_server, stop_server
from rag import RAG

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "runs" / "serve-page.png"
# The tiny model answers this one with a citation (eval/seeds.jsonl).
QUESTION = "In which Ukrainian region are the villages Rivnopillia and Mala Tokmachka that Russia said it captured?"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(real_rag, real_env, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    process = start_server([sys.executable, "-m", "rag", "serve", "--port", str(port)], real_env,
                           f"http://127.0.0.1:{port}/health", log)
    yield f"http://127.0.0.1:{port}"
    stop_server(process)


def _check_cited(answer: dict) -> None:
    assert not answer["abstained"] and answer["citations"], answer
    for citation in answer["citations"]:
        text = Path(citation["source"]).read_text(encoding="utf-8")
        assert text[citation["start"]:citation["end"]] == citation["text"]
        assert f"[{citation['number']}]" in answer["text"]


def test_curl_on_ask_gets_a_cited_answer(server):
    result = subprocess.run(["curl", "-sS", "-H", "Content-Type: application/json", "-d",
                             f'{{"question": "{QUESTION}", "k": 4}}', f"{server}/v1/ask"],
                            capture_output=True, text=True, timeout=300)
    import json

    answer = json.loads(result.stdout)
    _check_cited(answer)
    assert "Zaporizhzhia" in " ".join(c["text"] for c in answer["citations"])


def test_the_openai_client_gets_a_cited_answer(server):
    from openai import OpenAI

    client = OpenAI(base_url=f"{server}/v1", api_key="unused", timeout=300)
    reply = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": QUESTION}])
    content = reply.choices[0].message.content
    assert reply.citations and all(f"[{c['number']}]" in content for c in reply.citations)
    streamed = client.chat.completions.create(model="rag", stream=True, messages=[{"role": "user", "content": QUESTION}])
    assert "".join(c.choices[0].delta.content or "" for c in streamed).strip()


def test_a_dropped_stream_then_a_normal_request(server):
    with httpx.Client(base_url=server, timeout=300) as client:
        with client.stream("POST", "/v1/ask", json={"question": QUESTION, "stream": True}) as response:
            assert response.status_code == 200
            next(line for line in response.iter_lines() if line.startswith("data:"))
        _check_cited(client.post("/v1/ask", json={"question": QUESTION}).json())


def test_the_page_in_a_real_browser(server, tmp_path):
    from playwright.sync_api import sync_playwright

    # Not a skip: a skipped browser test passed unnoticed in CI while setup did not install chromium.
    assert Path(CHROMIUM).exists(), "needs Debian's chromium: run make setup, which installs it"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 760})
        try:
            page = browser.new_page()
            page.goto(server)
            page.wait_for_selector("#model:has-text('model smollm2-135m')")
            page.fill("#question", QUESTION)
            page.click("#ask")
            citation = page.wait_for_selector(".answer .cite", timeout=300_000)
            assert not page.query_selector(".answer.draft")
            citation.click()
            quoted = page.text_content("#source blockquote")
            assert "Rivnopillia" in quoted or "Zaporizhzhia" in quoted
            assert ".txt" in page.text_content("#source dl")
            # A follow-up goes out with the history; its answer (or refusal, with its reason) shows.
            page.fill("#question", "and when did it say so?")
            page.click("#ask")
            page.wait_for_function("document.querySelectorAll('.answer:not(.draft)').length == 2", timeout=300_000)
            assert page.text_content(".answer >> nth=1").strip()
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000


def test_a_remote_reader_through_llama_cpp_server(real_rag, real_env, tmp_path):
    model = real_rag.generator.path
    port = free_port()
    process = start_server([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                            "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2-135m"], {},
                           f"http://127.0.0.1:{port}/v1/models", tmp_path / "llama-server.log")
    try:
        remote = RAG(settings=real_rag.settings.with_updates(model=f"http://127.0.0.1:{port}/v1#smollm2-135m"),
                     embedder=real_rag.embedder)
        answer = remote.ask(QUESTION)
        _check_cited(answer.to_dict())
        assert answer.model.startswith("http://127.0.0.1")
        # The server's log-probabilities reached the check.
        assert 0.0 <= answer.signals.judge <= 1.0
        # Counted by the server's tokenizer: as llama.cpp counts locally, give or take the template. (With
        # no system message SmolLM2's template adds its own; rag always sends one.)
        messages = [{"role": "system", "content": "Answer from the sources."}, {"role": "user", "content": QUESTION}]
        assert abs(remote.generator.count_tokens(messages) - real_rag.generator.count_tokens(messages)) <= 12
    finally:
        stop_server(process)
