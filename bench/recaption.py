"""Benchmark: the recaption backends against bare loops doing the same work, same run.

1. ``openai`` backend: requests/s of ``OpenAICaptioner.generate`` (payload building, bounded
   concurrency, retry bookkeeping, reply parsing) against a plain asyncio loop (one aiohttp
   session, a semaphore, the same pre-encoded payloads, ``json.loads`` of each reply), both
   against the same loopback chat-completions server with a fixed latency per request, running
   in its own process. Goal: ratio >= 0.9.
2. ``transformers`` backend with the tiny random LLaVA: generated tokens/s of
   ``TransformersCaptioner.generate`` (decoding, processor, batching, token accounting) against a
   bare loop of ``processor.apply_chat_template`` + ``model.generate`` over the same images,
   prompts and batch size. Goal: ratio >= 0.9.

Each side runs ``--repeats`` times, alternating, and the best time counts (the machine is
shared). Prints one JSON line at the end; ``ours``/``baseline``/``ratio`` are the openai
figures, the ``transformers`` object holds the second comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from recaption.captioner import CaptionRequest  # noqa: E402


def image_bytes(i: int, size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, ((i * 37) % 256, (i * 91) % 256, 128)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _serve(latency: float, ports) -> None:
    from recaption.testing import ChatServer

    with ChatServer(latency_s=latency) as server:
        ports.put(server.port)
        while True:
            time.sleep(3600)


def bench_openai(args) -> dict:
    from recaption.backends.openai_backend import OpenAICaptioner

    ports = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(target=_serve, args=(args.latency, ports), daemon=True)
    proc.start()
    try:
        port = ports.get(timeout=120)
        base = f"http://127.0.0.1:{port}/v1"
        requests = [CaptionRequest(image_bytes(i), f"Caption image {i}.", 32) for i in range(args.requests)]
        ours = OpenAICaptioner("bench-vlm", base_url=base, concurrency=args.concurrency)
        ours.generate(requests[: args.concurrency])  # warm: connections, loop
        best_ours = best_base = float("inf")
        for _ in range(args.repeats):
            started = time.perf_counter()
            gens = ours.generate(requests)
            best_ours = min(best_ours, time.perf_counter() - started)
            assert all(g.error is None for g in gens), [g.error for g in gens if g.error][:3]
            elapsed, texts = asyncio.run(plain_client(f"{base}/chat/completions", requests, args.concurrency))
            best_base = min(best_base, elapsed)
            assert len(texts) == len(requests) and all(texts)
        ours.close()
    finally:
        proc.terminate()
        proc.join(10)
    ours_rps, base_rps = args.requests / best_ours, args.requests / best_base
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "latency_s": args.latency,
        "ours_rps": round(ours_rps, 1),
        "baseline_rps": round(base_rps, 1),
        "ratio": round(ours_rps / base_rps, 3),
        "ideal_rps": round(args.concurrency / args.latency, 1),
    }


async def plain_client(url: str, requests: list[CaptionRequest], concurrency: int) -> tuple[float, list[str]]:
    """The baseline: the least a client can do for the same requests (base64 image, JSON body,
    one POST each, parse the reply). Warmed like ours (connections open), then timed."""
    import aiohttp

    slots = asyncio.Semaphore(concurrency)
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one(req: CaptionRequest) -> str:
            image = base64.b64encode(req.image).decode("ascii")
            content = [
                {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{image}"}},
                {"type": "text", "text": req.prompt},
            ]
            body = {
                "model": "bench-vlm",
                "messages": [{"role": "user", "content": content}],
                "max_tokens": req.max_new_tokens,
                "temperature": 0.0,
                "seed": 0,
            }
            async with slots, session.post(url, data=json.dumps(body), headers=headers) as resp:
                return json.loads(await resp.read())["choices"][0]["message"]["content"]

        await asyncio.gather(*(one(r) for r in requests[:concurrency]))
        started = time.perf_counter()
        texts = list(await asyncio.gather(*(one(r) for r in requests)))
        return time.perf_counter() - started, texts


def bench_transformers(args) -> dict:
    import torch

    from recaption.backends.transformers_backend import TransformersCaptioner, _decode
    from recaption.models import CAPTIONER_TINY

    torch.set_num_threads(max(1, torch.get_num_threads()))
    requests = [
        CaptionRequest(image_bytes(i), "describe the image in one sentence", args.max_new_tokens)
        for i in range(args.images)
    ]
    ours = TransformersCaptioner(CAPTIONER_TINY, batch_size=args.batch, device=args.device)
    ours.setup()
    model, processor = ours._model, ours._processor
    images = [_decode(r.image)[0] for r in requests]
    eos = model.generation_config.eos_token_id
    pad = model.generation_config.pad_token_id

    def bare() -> int:
        tokens = 0
        for start in range(0, len(images), args.batch):
            chunk = images[start : start + args.batch]
            conversations = [
                [
                    {
                        "role": "user",
                        "content": [{"type": "image", "image": im}, {"type": "text", "text": requests[0].prompt}],
                    }
                ]
                for im in chunk
            ]
            inputs = processor.apply_chat_template(
                conversations,
                add_generation_prompt=True,
                tokenize=True,
                return_dict=True,
                return_tensors="pt",
                processor_kwargs={"padding": True},
            ).to(ours._device)
            with torch.inference_mode():
                out = model.generate(**inputs, max_new_tokens=args.max_new_tokens, do_sample=False)
            new = out[:, inputs["input_ids"].shape[1] :]
            tokens += int(((new != pad) & (new != eos)).sum())
        return tokens

    ours.generate(requests[: args.batch])  # warm both paths
    bare()
    best_ours = best_base = float("inf")
    ours_tokens = base_tokens = 0
    for _ in range(args.repeats):
        started = time.perf_counter()
        gens = ours.generate(requests)
        elapsed = time.perf_counter() - started
        if elapsed < best_ours:
            best_ours, ours_tokens = elapsed, sum(g.tokens for g in gens)
        started = time.perf_counter()
        tokens = bare()
        elapsed = time.perf_counter() - started
        if elapsed < best_base:
            best_base, base_tokens = elapsed, tokens
    ours_tps, base_tps = ours_tokens / best_ours, base_tokens / best_base
    return {
        "device": ours._device,
        "images": args.images,
        "batch": args.batch,
        "max_new_tokens": args.max_new_tokens,
        "ours_tokens": ours_tokens,
        "baseline_tokens": base_tokens,
        "ours_tps": round(ours_tps, 1),
        "baseline_tps": round(base_tps, 1),
        "ratio": round(ours_tps / base_tps, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05, help="server seconds per request")
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--device", default=None, help="transformers device (default: cuda if any)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip", choices=["openai", "transformers"], default=None)
    args = parser.parse_args()
    result: dict = {"bench": "recaption"}
    if args.skip != "openai":
        served = bench_openai(args)
        result.update(
            ours=served["ours_rps"],
            baseline=served["baseline_rps"],
            ratio=served["ratio"],
            unit="requests/s",
            openai=served,
        )
    if args.skip != "transformers":
        local = bench_transformers(args)
        result["transformers"] = local
        if args.skip == "openai":
            result.update(ours=local["ours_tps"], baseline=local["baseline_tps"], ratio=local["ratio"], unit="tokens/s")
    result["baseline_name"] = "plain asyncio aiohttp loop / bare generate() loop"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
