"""The ``openai`` captioner: any OpenAI-compatible chat-completions endpoint.

vLLM, SGLang, TGI and hosted APIs speak the same protocol. Images go inline as base64 data URLs;
requests run concurrently on one asyncio loop per worker, at most ``concurrency`` in flight.
Timeouts, connection errors, 429 and 5xx replies are retried with exponential back-off, honouring
``Retry-After``; other 4xx replies and malformed bodies fail at once. Every failure is recorded
on its own caption, never raised. The API key is read from the environment variable named by
``api_key_env`` at setup time and never stored in the stage's config or provenance.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import io
import json
import os
import random
import time
from typing import Any

from recaption.captioner import Captioner, CaptionRequest, Generation
from recaption.hygiene import BAD_IMAGE

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


class OpenAICaptioner(Captioner):
    """Chat-completions client: ``model`` at ``base_url`` (ending in ``/v1``).

    ``revision`` names the served weights for provenance (the endpoint cannot tell us).
    ``sampling`` defaults to greedy decoding (``temperature=0``, ``seed=0``).
    """

    backend = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str = "http://127.0.0.1:8000/v1",
        revision: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 16,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        sampling: dict[str, Any] | None = None,
    ):
        if concurrency < 1 or max_retries < 0:
            raise ValueError("concurrency must be >= 1 and max_retries >= 0")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.revision = revision
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.sampling = dict(sampling or {"temperature": 0.0, "seed": 0})
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session = None
        self._headers: dict[str, str] = {}

    def __getstate__(self):
        # The loop and session belong to one worker; a copy shipped elsewhere opens its own.
        return {**self.__dict__, "_loop": None, "_session": None, "_headers": {}}

    def setup(self) -> None:
        if self._loop is not None:
            return
        self._loop = asyncio.new_event_loop()
        key = os.environ.get(self.api_key_env)
        self._headers = {"Content-Type": "application/json"}
        if key:
            self._headers["Authorization"] = f"Bearer {key}"

    def identity(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "revision": self.revision,
            "random_init": False,
            "params": dict(sorted(self.sampling.items())),
        }

    def models(self, stage: str | None = None) -> list[dict[str, Any]]:
        return [
            {
                "name": self.model,
                "kind": "openai",
                "source": self.base_url,
                "revision": self.revision,
                "random_init": False,
                "stage": stage,
            }
        ]

    def generate(self, requests: list[CaptionRequest]) -> list[Generation]:
        self.setup()
        return self._loop.run_until_complete(self._generate_all(requests))

    def close(self) -> None:
        if self._loop is None:
            return
        if self._session is not None:
            self._loop.run_until_complete(self._session.close())
        self._loop.close()
        self._loop = self._session = None

    async def _generate_all(self, requests: list[CaptionRequest]) -> list[Generation]:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.concurrency),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            )
        slots = asyncio.Semaphore(self.concurrency)

        async def one(req: CaptionRequest) -> Generation:
            payload, error = self._payload(req)
            if payload is None:
                return Generation(None, error=error, error_status=BAD_IMAGE)
            async with slots:
                return await self._post_with_retries(payload)

        return list(await asyncio.gather(*(one(r) for r in requests)))

    def _payload(self, req: CaptionRequest) -> tuple[bytes | None, str | None]:
        mime, error = image_mime(req.image)
        if mime is None:
            return None, error
        url = f"data:{mime};base64,{base64.b64encode(req.image).decode('ascii')}"
        body = {
            "model": self.model,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": url}},
                        {"type": "text", "text": req.prompt},
                    ],
                }
            ],
            "max_tokens": req.max_new_tokens,
            **self.sampling,
        }
        return json.dumps(body).encode(), None

    async def _post_with_retries(self, payload: bytes) -> Generation:
        import aiohttp

        url = f"{self.base_url}/chat/completions"
        started = time.perf_counter()
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            retry_after = None
            try:
                async with self._session.post(url, data=payload, headers=self._headers) as resp:
                    body = await resp.read()
                    if resp.status == 200:
                        return parse_reply(body, time.perf_counter() - started)
                    last = f"HTTP {resp.status}: {body[:160].decode('utf-8', 'replace')}"
                    if resp.status not in RETRYABLE_STATUS:
                        break
                    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            except (TimeoutError, aiohttp.ClientError) as exc:
                last = f"{type(exc).__name__}: {exc}"[:200]
            if attempt == self.max_retries:
                break
            await asyncio.sleep(self._delay(attempt, retry_after))
        return Generation(
            None,
            seconds=time.perf_counter() - started,
            error=f"{last} (after {attempt + 1} attempt(s))",
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff_s)
        # Full jitter keeps many workers that failed together from retrying together.
        return random.uniform(0.5, 1.0) * min(self.backoff_s * 2**attempt, self.max_backoff_s)


def image_mime(data: bytes | None) -> tuple[str | None, str | None]:
    """The MIME type of an encoded image from its header, or (None, why) for unusable bytes."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        return None, "no image bytes"
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        return None, f"cannot read image header: {type(exc).__name__}"
    if fmt not in _MIME:
        return None, f"image format {fmt} is not accepted by chat-completions endpoints"
    return _MIME[fmt], None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def parse_reply(body: bytes, seconds: float) -> Generation:
    """A Generation from a chat-completions reply body; a malformed body is a failed one."""
    try:
        reply = json.loads(body)
        choice = reply["choices"][0]
        content = choice["message"]["content"]
        if isinstance(content, list):  # some servers return content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if content is not None and not isinstance(content, str):
            raise TypeError(f"content is {type(content).__name__}")
        usage = reply.get("usage") or {}
        tokens = int(usage.get("completion_tokens") or 0)
        finish = choice.get("finish_reason")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        excerpt = body[:120].decode("utf-8", "replace")
        return Generation(None, seconds=seconds, error=f"malformed reply ({exc!r}): {excerpt}")
    return Generation(content, hit_token_limit=finish == "length", tokens=tokens, seconds=seconds)
