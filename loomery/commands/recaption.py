"""``loomery recaption prompts`` and ``loomery recaption try IMAGE ...``.

``prompts`` lists the registered prompt templates with their versions. ``try`` captions a few
local image files with one backend and prompt and prints one JSON line per image (the cleaned
caption, its status and provenance), to check a model or an endpoint before a long run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    """Add the ``recaption`` command with its ``prompts`` and ``try`` subcommands."""
    parser = subparsers.add_parser("recaption", help="list caption prompts, try a captioner")
    sub = parser.add_subparsers(dest="recaption_command", required=True)

    prompts = sub.add_parser("prompts", help="the registered prompt templates")
    prompts.set_defaults(func=run_prompts)

    trying = sub.add_parser("try", help="caption local image files and print JSON lines")
    trying.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    trying.add_argument("--prompt", default="short", help="prompt id or id@version")
    trying.add_argument("--alt-text", default=None, help="alt-text for alt_text prompts")
    trying.add_argument("--backend", choices=["transformers", "openai"], default="transformers")
    trying.add_argument("--models", default="default", help="model set for transformers")
    trying.add_argument("--model", default=None, help="registered model name, or served model")
    trying.add_argument("--url", default="http://127.0.0.1:8000/v1", help="openai base URL")
    trying.add_argument("--api-key-env", default="OPENAI_API_KEY")
    trying.set_defaults(func=run_try)


def run_prompts(args: argparse.Namespace) -> int:
    from recaption.prompts import get_prompt, prompt_ids

    for ref in prompt_ids():
        prompt = get_prompt(ref)
        print(f"{ref:<16} max_new_tokens={prompt.max_new_tokens:<4} {prompt.description}")
    return 0


def run_try(args: argparse.Namespace) -> int:
    from engine.models import MissingWeights, get, model_for
    from recaption import models as _models  # noqa: F401  (registers the captioner specs)
    from recaption.backends.openai_backend import OpenAICaptioner
    from recaption.backends.transformers_backend import TransformersCaptioner
    from recaption.stage import Recaption

    if args.backend == "openai":
        if not args.model:
            print("error: --backend openai needs --model (the served model name)", file=sys.stderr)
            return 2
        captioner = OpenAICaptioner(args.model, base_url=args.url, api_key_env=args.api_key_env)
    else:
        spec = get(args.model) if args.model else model_for(args.models, "captioner")
        captioner = TransformersCaptioner(spec)
    stage = Recaption(captioner, {"try": args.prompt})
    import pyarrow as pa

    batch = pa.table(
        {
            "key": [f"{i:024x}" for i in range(len(args.images))],
            "caption": [args.alt_text] * len(args.images),
            "image": [p.read_bytes() for p in args.images],
        }
    )
    try:
        out = stage(batch)
    except MissingWeights as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path, text, status, meta in zip(
        args.images,
        out["caption_try"].to_pylist(),
        out["caption_try_status"].to_pylist(),
        out["caption_try_meta"].to_pylist(),
        strict=True,
    ):
        print(json.dumps({"image": str(path), "caption": text, "status": status, "meta": json.loads(meta)}))
    captioner.close()
    return 0
