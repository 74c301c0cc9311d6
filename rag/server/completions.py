"""The OpenAI chat completions API over rag: the last user message is the question, earlier turns the history.

The content is the checked answer (markers that name backed sources, or the refusal), with the
checked citations in the extra field `citations` and a refusal's reason in `reason`. Streaming
therefore sends the content once the answer is checked: the reader's raw text may cite other
sources or be refused, so it is not shown; a keep-alive comment goes out per generated piece.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator

from pydantic import BaseModel, ConfigDict, Field

from ..settings import MAX_K
from ..types import Answer
from .problems import Problem
from .streaming import event


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict] | None = None


class ChatRequest(BaseModel):
    """OpenAI's request; options rag does not use (temperature, max_tokens…) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field("rag", description="`rag`, any name, or a reader rag knows (a bundled model or a server URL).")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    k: int | None = Field(None, ge=1, le=MAX_K, description="Chunks to retrieve (rag's extension).")


def text_of(message: ChatMessage) -> str:
    if isinstance(message.content, list):
        return "".join(part.get("text", "") for part in message.content if part.get("type") == "text")
    return message.content or ""


def split(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last message, a user's) and the earlier (question, answer) pairs; system messages are ignored."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise Problem(422, "messages: the last message must be the user's question")
    history, asked = [], None
    for message in turns[:-1]:
        if message.role == "user":
            asked = text_of(message)
        elif asked is not None:
            history.append((asked, text_of(message)))
            asked = None
    return text_of(turns[-1]), history


def extras(answer: Answer) -> dict:
    record = answer.to_dict()
    return {"citations": record["citations"], "reason": record["reason"], "reason_text": record["reason_text"]}


def usage(answer: Answer) -> dict:
    prompt, generated = answer.timings.prompt_tokens, answer.timings.generated_tokens
    return {"prompt_tokens": prompt, "completion_tokens": generated, "total_tokens": prompt + generated}


def completion(answer: Answer, model: str) -> dict:
    return {"id": _id(), "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                         "finish_reason": "stop"}],
            "usage": usage(answer), **extras(answer)}


async def chunks(events: AsyncIterator[str | Answer], model: str) -> AsyncIterator[str]:
    """The SSE stream of `chat.completion.chunk`s, ending with `[DONE]`."""
    ident, created = _id(), int(time.time())

    def chunk(delta: dict, finish: str | None = None, **more) -> str:
        return event({"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                      "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more})

    yield chunk({"role": "assistant", "content": ""})
    async for item in events:
        if not isinstance(item, Answer):
            yield ": generating\n\n"
            continue
        for piece in re.findall(r"\S+\s*|\s+", item.text):
            yield chunk({"content": piece})
        yield chunk({}, "stop", usage=usage(item), **extras(item))
    yield "data: [DONE]\n\n"


def _id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"
