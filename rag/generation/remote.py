"""A reader behind any OpenAI-compatible server (llama.cpp's, vLLM, Ollama…): the remote `Generator`.

`--model http://gpu-box:8080/v1` names it, with the server's model name after `#` when the
server serves several. Replies stream from `/chat/completions`; the yes/no check reads one
token's log-probabilities. Tokens are counted by the server where it offers a tokenize endpoint
(llama.cpp's and llama-cpp-python's do), else by a local GGUF's tokenizer, with a margin. It does
not sample on the server: temperature and seed are sent as the settings give them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence

import httpx

from ..errors import ModelError
from .protocol import Generator, Message

# Tokens a chat template adds around each message and before the reply, and the share by which
# another model's tokenizer may count short: a local count over-estimates rather than overflows.
_TEMPLATE_TOKENS, _REPLY_TOKENS, _MARGIN = 8, 4, 1.15


def is_remote(spec: str) -> bool:
    """True when a model setting names a server rather than a model file."""
    return spec.startswith(("http://", "https://"))


class RemoteGenerator(Generator):
    """Chat completions from an OpenAI-compatible server at `base_url` (the part that ends in `/v1`).

    It can be asked yes or no (through the first token's log-probabilities, None where the server
    gives none); it cannot fork, and its answers carry no token probabilities.
    """

    can_check = True

    def __init__(self, spec: str, *, context_window: int = 4096, temperature: float = 0.0, seed: int = 0,
                 local_tokenizer: Callable[[str], int] | None = None, api_key: str = "",
                 client: httpx.Client | None = None, timeout: float = 600.0) -> None:
        base, _, served = spec.partition("#")
        self.name = spec
        self.base_url = base.rstrip("/")
        self.served_name = served
        self.context_window = context_window
        self.temperature = temperature
        self.seed = seed
        self._local_tokenizer = local_tokenizer
        self._server_counts: bool | None = None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(headers=headers, timeout=httpx.Timeout(timeout, connect=10.0))

    def count_tokens(self, messages: Sequence[Message]) -> int:
        texts = [m["content"] for m in messages]
        counted = self._server_count(texts)
        if counted is None:
            if self._local_tokenizer is None:
                raise ModelError(f"{self.base_url} cannot count tokens and no local tokenizer was given")
            counted = math.ceil(sum(self._local_tokenizer(t) for t in texts) * _MARGIN)
        return counted + _TEMPLATE_TOKENS * len(messages) + _REPLY_TOKENS

    def stream(self, messages: Sequence[Message], *, max_tokens: int) -> Iterator[str]:
        body = self._body(messages, max_tokens=max_tokens, stream=True)
        try:
            with self._client.stream("POST", f"{self.base_url}/chat/completions", json=body) as response:
                self._raise_for(response)
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    choices = json.loads(data).get("choices") or [{}]
                    text = (choices[0].get("delta") or {}).get("content")
                    if text:
                        yield text
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc

    def yes_probability(self, messages: Sequence[Message]) -> float | None:
        """The probability that the reply opens with yes rather than no, from the first token's top 20; None without logprobs."""
        body = self._body(messages, max_tokens=1, stream=False) | {"logprobs": True, "top_logprobs": 20}
        try:
            response = self._client.post(f"{self.base_url}/chat/completions", json=body)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        if response.status_code >= 400:
            return None  # a server that rejects logprobs cannot check
        content = (((response.json().get("choices") or [{}])[0].get("logprobs") or {}).get("content")) or []
        if not content or not content[0].get("top_logprobs"):
            return None
        yes = no = 0.0
        for candidate in content[0]["top_logprobs"]:
            word = candidate.get("token", "").strip().lower()
            if word in ("yes", "no"):
                weight = math.exp(candidate["logprob"])
                yes, no = (yes + weight, no) if word == "yes" else (yes, no + weight)
        return yes / (yes + no) if yes + no > 0 else 0.5

    def _body(self, messages: Sequence[Message], *, max_tokens: int, stream: bool) -> dict:
        return {"model": self.served_name or "default", "messages": list(messages), "max_tokens": max_tokens,
                "temperature": self.temperature, "seed": self.seed, "stream": stream}

    def _server_count(self, texts: list[str]) -> int | None:
        """Tokens by the server's own tokenizer; None (and never asked again) when it has no endpoint for it."""
        if self._server_counts is False:
            return None
        root = self.base_url.removesuffix("/v1")
        total = 0
        try:
            for text in texts:
                # llama-cpp-python's server, then llama.cpp's own.
                response = self._client.post(f"{root}/extras/tokenize/count", json={"input": text})
                if response.status_code == 200 and "count" in response.json():
                    total += int(response.json()["count"])
                    continue
                response = self._client.post(f"{root}/tokenize", json={"content": text})
                if response.status_code == 200 and "tokens" in response.json():
                    total += len(response.json()["tokens"])
                    continue
                self._server_counts = False
                return None
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        except ValueError:  # not JSON
            self._server_counts = False
            return None
        self._server_counts = True
        return total

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            response.read()
            raise ModelError(f"the reader at {self.base_url} answered {response.status_code}: "
                             f"{response.text[:200].strip()}")

    def _unreachable(self, exc: Exception) -> ModelError:
        return ModelError(f"cannot reach the reader at {self.base_url} ({exc}); is the server running?")
