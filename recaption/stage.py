"""The ``Recaption`` stage: several synthetic caption variants per record, each with provenance.

For each variant (a column name and a prompt template) the stage adds four columns:

- ``caption_<variant>``: the cleaned caption, null when it failed;
- ``caption_<variant>_status``: ``ok`` or why it failed (see :mod:`recaption.hygiene`);
- ``caption_<variant>_meta``: JSON provenance: backend, model, revision, random_init, prompt id
  and version, generation parameters, token budget, tokens, seconds, creation time, detail;
- ``caption_<variant>_prov``: a hash of what determines the caption besides the image.

For documents (an ``images`` list column) the caption and status columns are lists parallel to
``images`` (null at text positions), the prompt may use the surrounding text items, and the meta
lists each image's status; a document is reused or recaptioned as a whole.

A failed caption never rejects its record. A rerun skips the captions already present with the
same provenance hash, in the batch itself or in an ``existing`` Parquet set (an earlier run's
``shards/*.parquet``), unless their status is ``error``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from engine.stage import Resources, Stage, set_columns
from recaption.captioner import Captioner, CaptionRequest, Generation, provenance_hash
from recaption.existing import Columns, is_final, load_existing
from recaption.hygiene import clean_caption
from recaption.prompts import PromptTemplate, get_prompt

CONTEXT_CHARS = 300  # characters taken from each neighbouring text item of a document image


class Recaption(Stage):
    """Caption every image with each variant's prompt through one captioner.

    ``variants`` maps a variant name (the column suffix) to a prompt reference (``id`` or
    ``id@version``); a plain list of prompt ids names each variant after its prompt.
    ``timestamps=False`` leaves wall-clock fields out of the meta, for byte-identical reruns.
    """

    name = "recaption"
    resources = Resources(num_cpus=1, batch_size=16, concurrency=1)

    def __init__(
        self,
        captioner: Captioner,
        variants: dict[str, str] | list[str] = ("short",),
        *,
        existing: str | list[str] | None = None,
        timestamps: bool = True,
        name: str | None = None,
        resources: Resources | None = None,
    ):
        super().__init__(name=name, resources=resources)
        pairs = variants.items() if isinstance(variants, dict) else [(v, v) for v in variants]
        self._variants: dict[str, PromptTemplate] = {}
        for variant, ref in pairs:
            if not re.fullmatch(r"[a-z0-9_]+", variant):
                raise ValueError(f"variant name {variant!r} must be lowercase letters, digits, _")
            self._variants[variant] = get_prompt(ref)
        if not self._variants:
            raise ValueError("Recaption needs at least one variant")
        self._captioner = captioner
        self._identity = captioner.identity()
        self._prov = {v: provenance_hash(self._identity, p.ref) for v, p in self._variants.items()}
        self._existing_paths = existing
        self._reuse: dict[str, dict[str, tuple]] | None = None
        # Public attributes are what the manifest records (Stage.config).
        self.variants = [f"{v}={p.ref}" for v, p in self._variants.items()]
        self.backend = self._identity["backend"]
        self.model = self._identity["model"]
        self.existing = existing if isinstance(existing, str) else None
        self.timestamps = timestamps

    def setup(self) -> None:
        """Load the captioner's model or client and the earlier run's captions, once per worker."""
        self._captioner.setup()
        if self._reuse is None:
            paths = self._existing_paths
            self._reuse = load_existing(paths, self._prov) if paths else {}

    def models(self) -> list[dict[str, Any]]:
        return self._captioner.models(self.name)

    def provenance(self, variant: str) -> str:
        """The provenance hash this stage writes for ``variant``."""
        return self._prov[variant]

    def __call__(self, batch: pa.Table) -> pa.Table:
        self.setup()
        if "images" in batch.column_names and "image" not in batch.column_names:
            return self._documents(batch)
        return self._pairs(batch)

    # Pairs: one image per row, the ``caption`` column is the alt-text.
    def _pairs(self, batch: pa.Table) -> pa.Table:
        keys = batch["key"].to_pylist()
        images = batch["image"].to_pylist()
        alts = batch["caption"].to_pylist() if "caption" in batch.column_names else [None] * len(keys)
        plan: list[tuple[str, int]] = []
        requests: list[CaptionRequest] = []
        columns: dict[str, dict[str, list]] = {}
        for variant, prompt in self._variants.items():
            old = self._previous(batch, variant)
            columns[variant] = {"caption": [], "status": [], "meta": []}
            for row, key in enumerate(keys):
                reused = self._reused(variant, key, old, row)
                if reused is None:
                    plan.append((variant, row))
                    requests.append(
                        CaptionRequest(images[row], prompt.render(alt_text=alts[row]), prompt.max_new_tokens)
                    )
                    reused = (None, None, None)
                for field, value in zip(("caption", "status", "meta"), reused, strict=True):
                    columns[variant][field].append(value)
        for (variant, row), gen in zip(plan, self._run(requests), strict=True):
            cleaned = clean_caption(gen.text, hit_token_limit=gen.hit_token_limit)
            status = gen.error_status if gen.error else cleaned.status
            detail = gen.error or cleaned.detail
            col = columns[variant]
            col["caption"][row] = cleaned.text if not gen.error else None
            col["status"][row] = status
            col["meta"][row] = self._meta(variant, status=status, detail=detail, gen=gen)
        return self._write(batch, columns, pa.string())

    # Documents: captions are lists parallel to ``images``; prompts may use the nearby text.
    def _documents(self, batch: pa.Table) -> pa.Table:
        keys = batch["key"].to_pylist()
        images = batch["images"].to_pylist()
        texts = batch["texts"].to_pylist() if "texts" in batch.column_names else None
        plan: list[tuple[str, int, int]] = []
        requests: list[CaptionRequest] = []
        columns: dict[str, dict[str, list]] = {}
        for variant, prompt in self._variants.items():
            old = self._previous(batch, variant)
            columns[variant] = {"caption": [], "status": [], "meta": []}
            for row, key in enumerate(keys):
                doc_images = images[row] or []
                reused = self._reused(variant, key, old, row)
                if reused is not None and len(reused[0] or []) != len(doc_images):
                    reused = None  # the document changed shape since: caption it afresh
                if reused is None:
                    n = len(doc_images)
                    reused = ([None] * n, [None] * n, None)
                    for pos, image in enumerate(doc_images):
                        if image is None:
                            continue
                        context = _context(texts[row] if texts else None, pos)
                        plan.append((variant, row, pos))
                        requests.append(CaptionRequest(image, prompt.render(context=context), prompt.max_new_tokens))
                for field, value in zip(("caption", "status", "meta"), reused, strict=True):
                    columns[variant][field].append(value)
        items: dict[tuple[str, int], list[dict]] = {}
        for (variant, row, pos), gen in zip(plan, self._run(requests), strict=True):
            cleaned = clean_caption(gen.text, hit_token_limit=gen.hit_token_limit)
            status = gen.error_status if gen.error else cleaned.status
            col = columns[variant]
            col["caption"][row][pos] = cleaned.text if not gen.error else None
            col["status"][row][pos] = status
            items.setdefault((variant, row), []).append(
                {
                    "pos": pos,
                    "status": status,
                    "detail": gen.error or cleaned.detail,
                    "tokens": gen.tokens,
                    **self._clock(gen),
                }
            )
        for variant, col in columns.items():
            for row, meta in enumerate(col["meta"]):
                if meta is None:  # captioned now (possibly a document without images)
                    col["meta"][row] = self._meta(variant, items=items.get((variant, row), []))
        return self._write(batch, columns, pa.list_(pa.string()))

    def _run(self, requests: list[CaptionRequest]) -> list[Generation]:
        if not requests:
            return []
        gens = self._captioner.generate(requests)
        if len(gens) != len(requests):
            raise RuntimeError(f"{self.backend} returned {len(gens)} captions for {len(requests)}")
        return gens

    def _previous(self, batch: pa.Table, variant: str) -> dict[str, list] | None:
        """This variant's columns already in the batch (a rerun over captioned shards)."""
        cols = Columns.for_variant(variant)
        names = batch.column_names
        if not all(c in names for c in (cols.caption, cols.status, cols.meta, cols.prov)):
            return None
        return {f: batch[getattr(cols, f)].to_pylist() for f in ("caption", "status", "meta", "prov")}

    def _reused(self, variant: str, key: str, old: dict | None, row: int) -> tuple | None:
        if old is not None and old["prov"][row] == self._prov[variant] and is_final(old["status"][row]):
            return old["caption"][row], old["status"][row], old["meta"][row]
        return (self._reuse or {}).get(variant, {}).get(key)

    def _meta(self, variant: str, gen: Generation | None = None, **fields) -> str:
        prompt = self._variants[variant]
        meta = {
            **self._identity,
            "prompt": prompt.id,
            "prompt_version": prompt.version,
            "max_new_tokens": prompt.max_new_tokens,
            "provenance": self._prov[variant],
            "stage": self.name,
            **fields,
        }
        if gen is not None:
            meta["tokens"] = gen.tokens
            meta.update(self._clock(gen))
        if self.timestamps:
            meta["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        return json.dumps(meta, sort_keys=True)

    def _clock(self, gen: Generation) -> dict[str, float]:
        return {"seconds": round(gen.seconds, 4)} if self.timestamps else {}

    def _write(self, batch: pa.Table, columns: dict, value_type: pa.DataType) -> pa.Table:
        new = {}
        for variant, col in columns.items():
            cols = Columns.for_variant(variant)
            new[cols.caption] = pa.array(col["caption"], value_type)
            new[cols.status] = pa.array(col["status"], value_type)
            new[cols.meta] = pa.array(col["meta"], pa.string())
            new[cols.prov] = pa.array([self._prov[variant]] * batch.num_rows, pa.string())
        return set_columns(batch, new)


def _context(texts: list | None, pos: int) -> str | None:
    """The nearest text items before and after position ``pos`` of a document."""
    if not texts:
        return None
    before = next((t for t in reversed(texts[:pos]) if t), None)
    after = next((t for t in texts[pos + 1 :] if t), None)
    parts = []
    if before:
        parts.append(before[-CONTEXT_CHARS:])
    if after:
        parts.append(after[:CONTEXT_CHARS])
    return " … ".join(parts) or None
