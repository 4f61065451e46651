"""How a job adds recaptioning: ``stages_for(params)`` builds the stage from ``--param`` values.

Parameters (all optional):

- ``models``: the model set (``default`` or ``test-tiny``) whose ``captioner`` role is used;
- ``recaption``: ``auto`` (default: run when the captioner's weights are on this machine, else
  skip with a note), ``true`` (missing weights are an error) or ``false``;
- ``recaption_backend``: ``transformers`` (default), ``openai`` or ``vllm`` (vLLM's offline
  engine in the actor, when vllm is installed; 1 GPU per actor by default);
- ``recaption_variants``: comma-separated ``name=prompt`` or prompt ids (default ``short,alt_text``
  for pairs and ``short,context`` for documents);
- ``recaption_gpus``: GPUs per actor (default 0: CPU); above 0 uses the ``captioner_gpu`` role;
- ``recaption_workers``: actor pool size (default 1); ``recaption_batch``: records per call;
- ``recaption_max_tokens``: caps every prompt's token budget (default: none; 16 for random
  test models, whose captions are meaningless);
- ``recaption_existing``: an earlier run's Parquet shards, whose captions a rerun reuses;
- ``recaption_timestamps``: ``false`` leaves wall-clock fields (``created``, ``seconds``) out of
  the caption meta, so that two runs write byte-identical shards;
- for ``openai``: ``recaption_url``, ``recaption_model`` (required), ``recaption_revision``,
  ``recaption_concurrency``, ``recaption_api_key_env``, ``recaption_timeout``.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.job import Params
from engine.models import MissingWeights, ModelSpec, model_for
from engine.stage import Resources, Stage
from recaption import models as _models  # noqa: F401  (registers the captioner specs)
from recaption.backends import vllm_backend
from recaption.backends.openai_backend import OpenAICaptioner
from recaption.backends.transformers_backend import TransformersCaptioner, locate_weights
from recaption.captioner import Captioner
from recaption.stage import Recaption

PAIR_VARIANTS = ["short", "alt_text"]
DOCUMENT_VARIANTS = ["short", "context"]
BACKENDS = ("transformers", "openai", "vllm")


@dataclass(frozen=True)
class Settings:
    """Every recaption parameter, read at once so that none is ever reported unused."""

    mode: str
    backend: str
    model_set: str
    variants: dict[str, str]
    gpus: float
    workers: int
    batch: int
    max_tokens: int | None
    existing: str | None
    timestamps: bool
    url: str
    model: str | None
    revision: str | None
    concurrency: int
    api_key_env: str
    timeout: float

    @classmethod
    def read(cls, params: Params, documents: bool) -> Settings:
        mode = (params.str("recaption", "auto") or "auto").lower()
        mode = {"1": "true", "yes": "true", "on": "true", "0": "false", "no": "false"}.get(mode, mode)
        if mode not in ("auto", "true", "false", "off"):
            raise ValueError(f"--param recaption={mode!r}: use auto, true or false")
        backend = params.str("recaption_backend", "transformers")
        if backend not in BACKENDS:
            raise ValueError(f"--param recaption_backend={backend!r}: use {', '.join(BACKENDS)}")
        max_tokens = params.int("recaption_max_tokens", 0)
        return cls(
            mode="false" if mode == "off" else mode,
            backend=backend,
            model_set=params.str("models", "default"),
            variants=_variants(params.list("recaption_variants"), documents),
            gpus=params.float("recaption_gpus", 1.0 if backend == "vllm" else 0.0),
            workers=params.int("recaption_workers", 1),
            batch=params.int("recaption_batch", 16),
            max_tokens=max_tokens or None,
            existing=params.str("recaption_existing"),
            timestamps=params.bool("recaption_timestamps", True),
            url=params.str("recaption_url", "http://127.0.0.1:8000/v1"),
            model=params.str("recaption_model"),
            revision=params.str("recaption_revision"),
            concurrency=params.int("recaption_concurrency", 16),
            api_key_env=params.str("recaption_api_key_env", "OPENAI_API_KEY"),
            timeout=params.float("recaption_timeout", 60.0),
        )


def stages_for(params: Params, *, documents: bool = False, notes: list[str] | None = None) -> list[Stage]:
    """The recaption stage(s) for a job, or [] (with a line appended to ``notes``) when skipped."""
    notes = notes if notes is not None else []
    settings = Settings.read(params, documents)
    if settings.mode == "false":
        notes.append("recaption: off (--param recaption=false)")
        return []
    if settings.backend == "openai":
        captioner = _openai(settings)
        resources = Resources(num_cpus=0.5, batch_size=max(settings.batch, 64), concurrency=settings.workers)
    else:
        captioner = _local(settings, notes)
        if captioner is None:
            return []
        resources = Resources(
            num_cpus=1, num_gpus=settings.gpus, batch_size=settings.batch, concurrency=settings.workers
        )
    stage = Recaption(
        captioner,
        settings.variants,
        existing=settings.existing,
        timestamps=settings.timestamps,
        resources=resources,
    )
    return [stage]


def _local(settings: Settings, notes: list[str]) -> Captioner | None:
    """A transformers or vLLM captioner for the model set's captioner, or None (noted) to skip."""
    role = "captioner_gpu" if settings.gpus > 0 else "captioner"
    spec = model_for(settings.model_set, role)
    if spec is None:
        notes.append(f"recaption: skipped, model set {settings.model_set!r} has no {role}")
        return None
    if settings.backend == "vllm" and not vllm_backend.available():
        if settings.mode == "true":
            raise ValueError("--param recaption_backend=vllm: vllm is not installed")
        notes.append("recaption: skipped, recaption_backend=vllm but vllm is not installed")
        return None
    if not _weights_here(spec, settings.mode, notes):
        return None
    if spec.random_init:
        notes.append(f"recaption: {spec.name} has RANDOM weights; its captions are meaningless")
    if settings.backend == "vllm":
        return vllm_backend.VllmCaptioner(spec)
    # A random model's captions are meaningless: a short budget keeps demos quick.
    cap = settings.max_tokens or (16 if spec.random_init else None)
    return TransformersCaptioner(spec, batch_size=settings.batch, max_new_tokens=cap)


def _weights_here(spec: ModelSpec, mode: str, notes: list[str]) -> bool:
    if spec.random_init:
        return True
    found, looked = locate_weights(spec)
    if found is not None:
        return True
    if mode == "true":
        raise MissingWeights(spec, looked)
    notes.append(
        f"recaption: skipped, weights for {spec.name} ({spec.source}) are not on this machine; "
        f"fetch them with `loomery models pull {spec.name}`, or run with --param models=test-tiny "
        "for a tiny random captioner"
    )
    return False


def _variants(given: list[str], documents: bool) -> dict[str, str]:
    """``name=prompt`` items, or bare prompt refs named after the prompt id."""
    out = {}
    for item in given or (DOCUMENT_VARIANTS if documents else PAIR_VARIANTS):
        name, sep, ref = item.partition("=")
        if not sep:
            name, ref = item.partition("@")[0], item
        out[name] = ref
    return out


def _openai(settings: Settings) -> OpenAICaptioner:
    if not settings.model:
        raise ValueError("--param recaption_backend=openai needs --param recaption_model=NAME")
    return OpenAICaptioner(
        settings.model,
        base_url=settings.url,
        revision=settings.revision,
        api_key_env=settings.api_key_env,
        concurrency=settings.concurrency,
        timeout_s=settings.timeout,
    )
