"""The recaption ``--param`` settings, and the captioner a job's settings pick.

A job writes the :class:`~recaption.stage.Recaption` stage out in its chain and takes its
captioner from :func:`recaptioner`, which returns None (with a note) when the stage is to be
skipped: ``recaption=false``, no captioner in the model set, weights not on this machine
(``recaption=auto``), vLLM not installed.
"""

from __future__ import annotations

from engine.models import MissingWeights, ModelSpec, model_for
from engine.params import Param, ParamGroup, Values, auto_bool
from engine.stage import Resources
from recaption import models as _models  # noqa: F401  (registers the captioner specs)
from recaption.backends import vllm_backend
from recaption.backends.openai_backend import OpenAICaptioner
from recaption.backends.transformers_backend import TransformersCaptioner, locate_weights
from recaption.captioner import Captioner

PAIR_VARIANTS = ["short", "alt_text"]
DOCUMENT_VARIANTS = ["short", "context"]
BACKENDS = ("transformers", "openai", "vllm")

RECAPTION_PARAMS = ParamGroup(
    "recaption (recaption/)",
    Param("recaption", auto_bool, "auto", "auto: run when the captioner's weights are here, else "
          "skip with a note; true: missing weights are an error; false: off"),
    Param("recaption_backend", str, "transformers", "transformers, openai (a served API) or vllm "
          "(vLLM's offline engine in the actor)", choices=BACKENDS),
    Param("recaption_variants", list, [], "captions to write: prompt ids or name=prompt (unset: short,alt_text for "
          "pairs, short,context for documents)"),
    Param("recaption_gpus", float, None, "GPUs per actor (unset: 1 for vllm, else 0); above 0 uses "
          "the set's captioner_gpu"),
    Param("recaption_workers", int, 1, "captioner actors"),
    Param("recaption_batch", int, 16, "records per captioner call"),
    Param("recaption_max_tokens", int, 0, "cap on every prompt's token budget (0: none; 16 for "
          "random test models)"),
    Param("recaption_existing", str, None, "an earlier run's Parquet shards, whose captions are reused"),
    Param("recaption_timestamps", bool, True, "false: no wall-clock fields in the caption meta "
          "(byte-identical reruns)"),
    Param("recaption_url", str, "http://127.0.0.1:8000/v1", "openai: the API's base URL"),
    Param("recaption_model", str, None, "openai: the served model (required)"),
    Param("recaption_revision", str, None, "openai: the model's revision, recorded"),
    Param("recaption_concurrency", int, 16, "openai: requests in flight per actor"),
    Param("recaption_api_key_env", str, "OPENAI_API_KEY", "openai: environment variable holding the key"),
    Param("recaption_timeout", float, 60.0, "openai: seconds per request"),
)


def recaption_gpus(params: Values) -> float:
    """GPUs per captioner actor: the param, or 1 for vLLM and 0 otherwise."""
    if params.recaption_gpus is not None:
        return params.recaption_gpus
    return 1.0 if params.recaption_backend == "vllm" else 0.0


def recaption_resources(params: Values) -> Resources:
    """The captioner pool: CPU-light for a served API, else one CPU (and the GPUs) per actor."""
    if params.recaption_backend == "openai":
        return Resources(num_cpus=0.5, batch_size=max(params.recaption_batch, 64),
                         concurrency=params.recaption_workers)
    return Resources(num_cpus=1, num_gpus=recaption_gpus(params), batch_size=params.recaption_batch,
                     concurrency=params.recaption_workers)


def recaption_variants(params: Values, *, documents: bool) -> dict[str, str]:
    """``name=prompt`` items, or bare prompt refs named after the prompt id."""
    out = {}
    for item in params.recaption_variants or (DOCUMENT_VARIANTS if documents else PAIR_VARIANTS):
        name, sep, ref = item.partition("=")
        if not sep:
            name, ref = item.partition("@")[0], item
        out[name] = ref
    return out


def recaptioner(params: Values, notes: list[str]) -> Captioner | None:
    """The captioner the settings pick, or None with a line in ``notes`` when recaptioning is
    skipped."""
    if params.recaption == "false":
        notes.append("recaption: off (--param recaption=false)")
        return None
    if params.recaption_backend == "openai":
        return _openai(params)
    return _local(params, notes)


def _local(params: Values, notes: list[str]) -> Captioner | None:
    """A transformers or vLLM captioner for the model set's captioner, or None (noted) to skip."""
    role = "captioner_gpu" if recaption_gpus(params) > 0 else "captioner"
    spec = model_for(params.models, role)
    if spec is None:
        notes.append(f"recaption: skipped, model set {params.models!r} has no {role}")
        return None
    if params.recaption_backend == "vllm" and not vllm_backend.available():
        if params.recaption == "true":
            raise ValueError("--param recaption_backend=vllm: vllm is not installed")
        notes.append("recaption: skipped, recaption_backend=vllm but vllm is not installed")
        return None
    if not _weights_here(spec, params.recaption, notes):
        return None
    if spec.random_init:
        notes.append(f"recaption: {spec.name} has RANDOM weights; its captions are meaningless")
    if params.recaption_backend == "vllm":
        return vllm_backend.VllmCaptioner(spec)
    # A random model's captions are meaningless: a short budget keeps demos quick.
    cap = params.recaption_max_tokens or (16 if spec.random_init else None)
    return TransformersCaptioner(spec, batch_size=params.recaption_batch, max_new_tokens=cap)


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


def _openai(params: Values) -> OpenAICaptioner:
    if not params.recaption_model:
        raise ValueError("--param recaption_backend=openai needs --param recaption_model=NAME")
    return OpenAICaptioner(
        params.recaption_model,
        base_url=params.recaption_url,
        revision=params.recaption_revision,
        api_key_env=params.recaption_api_key_env,
        concurrency=params.recaption_concurrency,
        timeout_s=params.recaption_timeout,
    )
