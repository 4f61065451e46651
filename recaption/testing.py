"""A loopback OpenAI-compatible chat-completions server, for tests and benchmarks.

It answers ``POST /v1/chat/completions`` with image inputs on 127.0.0.1 (an ephemeral port) from
a background thread. Each reply can be scripted per prompt text, attempt by attempt: ``ok``,
``slow`` (sleep, then answer), ``error`` (HTTP 500), ``rate_limit`` (429 + ``Retry-After``),
``status`` (any HTTP status), ``malformed`` (a 200 whose body is not a completion) and ``length``
(a reply cut at the token budget). It records every request it saw and how many were in flight.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Behaviour:
    """How the server answers one attempt: ``kind`` plus its argument."""

    kind: str = "ok"
    seconds: float = 0.0  # slow: delay; rate_limit: the Retry-After value
    status: int = 500
    text: str | None = None


@dataclass
class Seen:
    """What the server received: request bodies, auth headers, decoded images, concurrency."""

    bodies: list[dict] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0


class ChatServer:
    """Start with ``with ChatServer(...) as server:``; ``server.base_url`` ends in ``/v1``.

    ``plan`` maps a prompt text to the behaviours of its successive attempts (later attempts,
    and unplanned prompts, get ``ok``). ``latency_s`` delays every answer; ``reply`` is the text.
    """

    def __init__(
        self,
        *,
        reply: str = "A brown dog runs along a sandy beach.",
        latency_s: float = 0.0,
        plan: dict[str, list[Behaviour]] | None = None,
    ):
        self.reply = reply
        self.latency_s = latency_s
        self.plan = {k: list(v) for k, v in (plan or {}).items()}
        self.seen = Seen()
        self._attempts: dict[str, int] = defaultdict(int)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> ChatServer:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("chat server did not start")
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        from aiohttp import web

        self._stop = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    async def _handle(self, request):
        from aiohttp import web

        seen = self.seen
        seen.in_flight += 1
        seen.max_in_flight = max(seen.max_in_flight, seen.in_flight)
        try:
            body = await request.json()
            prompt, image = _prompt_and_image(body)
            seen.bodies.append(body)
            seen.auth.append(request.headers.get("Authorization"))
            seen.times.append(self._loop.time())
            if image is not None:
                seen.images.append(image)
            attempt = self._attempts[prompt]
            self._attempts[prompt] += 1
            steps = self.plan.get(prompt, [])
            step = steps[attempt] if attempt < len(steps) else Behaviour()
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            if step.kind == "slow":
                await asyncio.sleep(step.seconds)
            if step.kind == "error":
                return web.json_response({"error": {"message": "boom"}}, status=500)
            if step.kind == "status":
                return web.json_response({"error": {"message": "nope"}}, status=step.status)
            if step.kind == "rate_limit":
                headers = {"Retry-After": f"{step.seconds:g}"}
                return web.json_response({"error": "slow down"}, status=429, headers=headers)
            if step.kind == "malformed":
                return web.Response(text='{"choices": [{"mess', content_type="application/json")
            text = step.text if step.text is not None else self.reply
            finish = "length" if step.kind == "length" else "stop"
            return web.json_response(_completion(body, text, finish))
        finally:
            seen.in_flight -= 1


def _prompt_and_image(body: dict) -> tuple[str, bytes | None]:
    prompt, image = "", None
    for message in body.get("messages", []):
        content = message.get("content")
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        for part in parts:
            if part.get("type") == "text":
                prompt += part.get("text") or ""
            elif part.get("type") == "image_url":
                url = part["image_url"]["url"]
                image = base64.b64decode(url.split(",", 1)[1])
    return prompt, image


def _completion(body: dict, text: str, finish: str) -> dict:
    words = text.split()
    if finish == "length":
        words = words[: max(1, int(body.get("max_tokens", 16)))]
        text = " ".join(words)
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "model": body.get("model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": len(words), "total_tokens": 10},
    }
