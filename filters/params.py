"""The ``--param`` settings of the filters that several jobs run, declared once per group, and
the small choices a job makes from them (which CLIP model runs, which blocklists are given)."""

from __future__ import annotations

from engine.params import Param, ParamGroup, Values
from filters.clip.model import PRECISIONS
from filters.clip.score import LAION_THRESHOLD
from filters.images.resize import FORMATS, MODES

RESIZE_PARAMS = ParamGroup(
    "image resize",
    Param("image_size", int, 256, "target side in pixels"),
    Param("resize_mode", str, "border", "how an image is fitted to image_size", choices=MODES),
    Param("resize_only_if_bigger", bool, False, "never enlarge a smaller image"),
    Param("encode_format", str, "jpg", "format of the stored images", choices=tuple(FORMATS)),
    Param("encode_quality", int, 95, "JPEG/WebP quality of the stored images"),
)

BLOCKLIST_NAMES = ("sha256", "md5", "phash", "urls", "domains")

BLOCKLIST_PARAMS = ParamGroup(
    "blocklists (filters/safety): list files, one entry a line",
    *(Param(f"blocklist_{name}", str, None, f"file of blocked {name}") for name in BLOCKLIST_NAMES),
    Param("blocklist_phash_distance", int, 4, "largest Hamming distance of a blocked perceptual hash"),
)

SAFETY_PARAMS = ParamGroup(
    "text and image safety (filters/safety; ocr: text-in-image)",
    Param("languages", list, [], "allowed languages, comma-separated (unset: any; lang recorded)"),
    Param("pii", str, "redact", "e-mails, phone numbers...: redact, reject or off",
          choices=("redact", "reject", "off")),
    Param("toxicity", bool, True, "score text profanity"),
    Param("toxicity_max", float, 0.8, "reject text at or above this profanity probability"),
    Param("nsfw", bool, True, "score images with NudeNet"),
    Param("nsfw_max", float, 0.5, "reject images at or above this NSFW score"),
    Param("faces", str, "blur", "faces: blur, reject, count or off", choices=("blur", "reject", "count", "off")),
    Param("ocr", bool, False, "score text-in-image (slow on CPU)"),
    Param("text_max", float, None, "reject images whose text covers more than this fraction (ocr=on)"),
    Param("model_cpus", float, 1.0, "CPUs per model actor (NSFW, OCR, CLIP)"),
    Param("model_workers", int, 0, "actors in the NSFW and OCR pools (0: as many as the CPUs allow)"),
)


def lang_thresholds(raw: str) -> dict[str, float]:
    """``en:0.28,de:0.26``: a CLIP threshold per language."""
    out = {}
    for item in (part.strip() for part in raw.split(",") if part.strip()):
        lang, sep, value = item.partition(":")
        if not sep:
            raise ValueError(f"item {item!r} is not LANG:VALUE")
        try:
            out[lang.strip()] = float(value)
        except ValueError:
            raise ValueError(f"item {item!r}: {value!r} is not a number") from None
    return out


CLIP_PARAMS = ParamGroup(
    "CLIP score (filters/clip)",
    Param("clip", bool, True, "score image-text similarity with the model set's CLIP"),
    Param("clip_min", float, LAION_THRESHOLD, "reject pairs below this score (LAION's; ignored for random models)"),
    Param("clip_lang_min", lang_thresholds, {}, "per-language thresholds, e.g. en:0.28,de:0.26"),
    Param("clip_top", float, None, "keep this top fraction of all scores instead (DataComp style)"),
    Param("clip_batch", int, 128, "pairs per CLIP call"),
    Param("clip_gpus", float, None, "GPUs per CLIP actor (unset: 1 when the driver's machine has a "
          "GPU, else 0; set it on a cluster whose head has none)"),
    Param("clip_workers", int, 0, "CLIP actors (0: as many as the resources allow)"),
    Param("clip_precision", str, "auto", "auto (fp16 on GPU, fp32 on CPU), fp16, bf16 or fp32",
          choices=PRECISIONS),
)


def blocklist_files(params: Values) -> dict[str, str]:
    """The blocklist files given, by kind (``{"urls": PATH}``); empty when none is."""
    lists = {name: params[f"blocklist_{name}"] for name in BLOCKLIST_NAMES}
    return {name: path for name, path in lists.items() if path}


def clip_model(params: Values, notes: list[str], *, stage: str = "clip_score"):
    """The model set's CLIP spec, or None with a line in ``notes`` saying why CLIP is skipped
    (``clip=off``, no CLIP in the set, weights not on this machine). A random test model is
    returned with a note: it scores, it must not filter."""
    from engine.models.loaders import is_available
    from engine.models.registry import model_for
    from filters import models as _models  # noqa: F401  (registers the CLIP specs)

    spec = model_for(params.models, "clip")
    if not params.clip or spec is None:
        why = "clip=off" if not params.clip else f"model set {params.models} has no CLIP"
        notes.append(f"clip_score skipped: {why}")
        return None
    if not is_available(spec):
        notes.append(
            f"clip_score skipped: weights for {spec.name} ({spec.source}) are not on this machine; "
            f"fetch them with `loomery models pull {spec.name}` or run with --param models=test-tiny"
        )
        return None
    if spec.random_init:
        extra = "" if stage == "doc_clip_score" else ", no CLIP filtering"
        notes.append(f"{stage} uses {spec.name}: RANDOM weights (test model), scores only{extra}")
    return spec
