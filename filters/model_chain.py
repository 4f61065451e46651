"""Ready-made safety and model stages for job files, configured from ``--param`` settings.

A job calls :func:`quarantine_stages` first in its chain (hash/URL blocklists, so a listed
record reaches no other stage) and :func:`model_stages` after its cheap filters::

    notes: list[str] = []
    stages = [*quarantine_stages(params), ProbeImage(), ..., *model_stages(params, notes=notes),
              ExactDuplicates()]
    return Job(..., stages=stages, notes=notes)

Parameters read (all optional):

- ``models``: model set, ``default`` or ``test-tiny`` (tiny random CLIP, labelled as such);
- ``blocklist_sha256``, ``blocklist_md5``, ``blocklist_phash``, ``blocklist_urls``,
  ``blocklist_domains``: list files; ``blocklist_phash_distance`` (default 4);
- ``languages``: allowed caption languages, comma-separated (default: any; ``lang`` recorded);
- ``pii``: ``redact`` (default), ``reject`` or ``off``;
- ``toxicity_max``: reject text at or above this profanity probability (0.8; ``toxicity=off``);
- ``nsfw_max``: reject images at or above this NudeNet score (0.5; ``nsfw=off``);
- ``faces``: ``blur`` (default), ``reject``, ``count`` or ``off``;
- ``doc_nsfw``: in documents, ``reject`` the document that holds an NSFW image (default) or
  ``remove`` only the image; faces (reject mode) and too much text remove the image only;
- ``ocr``: ``on`` to score text-in-image (off by default: it is slow on CPU); ``text_max``;
- ``model_cpus``: CPUs per model actor (NSFW, OCR, CLIP; default 1; each is its own actor pool);
  ``model_workers``: actors in the NSFW and OCR pools (default: as many as the CPUs allow);
- ``clip_gpus``: GPUs per CLIP actor (default 1 when the driver's machine has a GPU, else 0: set
  it on a cluster whose head has none), ``clip_workers`` (CLIP actors), ``clip_precision``
  (``auto``: fp16 on GPU, fp32 on CPU; or ``fp16``, ``bf16``, ``fp32``);
- ``clip``: ``off`` to skip; ``clip_min`` (0.28; ignored for random models), ``clip_lang_min``
  (``en:0.28,de:0.26``), ``clip_top`` (keep this top fraction, DataComp style), ``clip_batch``;
  for documents ``doc_clip_min`` (0.0: reject a document whose best image-text score is below).

When the CLIP weights of the chosen set are not on this machine, CLIP is skipped and a line
saying so (with the ``loomery models pull`` command) is appended to ``notes``, which the runner
prints and records in the manifest.
"""

from __future__ import annotations

from engine.job import Params
from engine.stage import Stage


def quarantine_stages(params: Params, *, kind: str = "pairs") -> list[Stage]:
    """``[Blocklist]`` when any blocklist parameter is set, else ``[]``. Put it first."""
    from filters.safety.blocklist import Blocklist

    lists = {name: params.str(f"blocklist_{name}") for name in ("sha256", "md5", "phash", "urls", "domains")}
    distance = params.int("blocklist_phash_distance", 4)
    given = {name: path for name, path in lists.items() if path}
    if not given:
        return []
    columns = {"image_column": "images", "url_column": "image_urls"} if kind == "docs" else {}
    return [Blocklist(**given, phash_distance=distance, **columns)]


def model_stages(params: Params, *, kind: str = "pairs", notes: list[str] | None = None) -> list[Stage]:
    """Language, PII, toxicity, NSFW, faces, OCR and CLIP stages, cheap first.

    For documents the image stages are :class:`filters.doc_image_models.PerImage` wrappers, named
    ``doc_nsfw``, ``doc_faces`` and ``doc_text_in_image``, that judge every image of a document.
    """
    from filters.safety.faces import Faces
    from filters.safety.language import LanguageId
    from filters.safety.nsfw import Nsfw
    from filters.safety.pii import Pii
    from filters.safety.toxicity import Toxicity

    notes = notes if notes is not None else []
    text = "texts" if kind == "docs" else "caption"
    stages: list[Stage] = [LanguageId(column=text, allowed=params.list("languages") or None)]
    pii = params.str("pii", "redact")
    if pii != "off":
        stages.append(Pii(column=text, mode=pii))
    toxicity_max = params.float("toxicity_max", 0.8)
    if params.bool("toxicity", True):
        stages.append(Toxicity(column=text, threshold=toxicity_max))
    nsfw_max = params.float("nsfw_max", 0.5)
    faces = params.str("faces", "blur")
    ocr, text_max = params.bool("ocr", False), params.str("text_max")
    doc_nsfw = params.str("doc_nsfw", "reject")
    if doc_nsfw not in ("reject", "remove"):
        raise ValueError(f"--param doc_nsfw must be reject or remove, not {doc_nsfw!r}")
    cpus = params.float("model_cpus", 1.0)
    workers = params.int("model_workers", 0) or None
    images: list[Stage] = []
    if params.bool("nsfw", True):
        images.append(Nsfw(threshold=nsfw_max, num_cpus=cpus, concurrency=workers))
    if faces != "off":
        images.append(Faces(mode=faces))
    if ocr:
        from filters.ocr import TextInImage

        images.append(TextInImage(max_ratio=float(text_max) if text_max else None, num_cpus=cpus,
                                  concurrency=workers))
    if kind == "docs":
        from filters.doc_image_models import PerImage

        rejecting = ("nsfw",) if doc_nsfw == "reject" else ()
        images = [PerImage(s, document_reasons=rejecting, name=f"doc_{s.name}") for s in images]
    return stages + images + clip_stages(params, notes, kind=kind)


def clip_stages(params: Params, notes: list[str], *, kind: str = "pairs") -> list[Stage]:
    """``[ClipScore]`` (+ ``ClipTopFraction``) for the set's CLIP, or ``[]`` with a note.

    Documents get :class:`filters.clip_docs.DocClipScore` (each image against its nearest text).
    """
    from engine.models.loaders import is_available
    from engine.models.registry import model_for
    from filters import models as _models  # noqa: F401  (registers the CLIP specs)
    from filters.clip import LAION_THRESHOLD, ClipScore
    from filters.clip_top import ClipTopFraction

    model_set = params.str("models", "default")
    enabled = params.bool("clip", True)
    threshold = params.float("clip_min", LAION_THRESHOLD)
    per_lang = _lang_thresholds(params.list("clip_lang_min"))
    top = params.str("clip_top")
    batch = params.int("clip_batch", 128)
    cpus = params.float("model_cpus", 1.0)
    gpus = params.str("clip_gpus")
    pool = {
        "num_cpus": cpus,
        "num_gpus": float(gpus) if gpus else None,
        "concurrency": params.int("clip_workers", 0) or None,
        "precision": params.str("clip_precision", "auto"),
    }
    if pool["precision"] not in ("auto", "fp16", "bf16", "fp32"):
        raise ValueError(f"--param clip_precision must be auto, fp16, bf16 or fp32, not {pool['precision']!r}")
    spec = model_for(model_set, "clip")
    if not enabled or spec is None:
        notes.append(f"clip_score skipped: {'clip=off' if not enabled else f'model set {model_set} has no CLIP'}")
        return []
    if not is_available(spec):
        notes.append(
            f"clip_score skipped: weights for {spec.name} ({spec.source}) are not on this machine; "
            f"fetch them with `loomery models pull {spec.name}` or run with --param models=test-tiny"
        )
        return []
    if kind == "docs":
        from filters.clip_docs import DocClipScore

        if spec.random_init:
            notes.append(f"doc_clip_score uses {spec.name}: RANDOM weights (test model), scores only")
        min_score = None if spec.random_init else params.float("doc_clip_min", 0.0)
        return [DocClipScore(spec.name, min_score=min_score, **pool)]
    if spec.random_init:
        notes.append(f"clip_score uses {spec.name}: RANDOM weights (test model), scores only, no CLIP filtering")
        return [ClipScore(spec.name, threshold=None, batch_size=batch, **pool)]
    stages: list[Stage] = [
        ClipScore(
            spec.name,
            threshold=None if top else threshold,
            lang_thresholds=per_lang,
            batch_size=batch,
            **pool,
        )
    ]
    if top:
        stages.append(ClipTopFraction(float(top)))
    return stages


def _lang_thresholds(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        lang, sep, value = item.partition(":")
        if not sep:
            raise ValueError(f"--param clip_lang_min item {item!r} is not LANG:VALUE")
        out[lang.strip()] = float(value)
    return out
