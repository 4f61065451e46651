"""The pairs job: URL lists -> one fetch per URL -> resize -> rights, cheap and model filters ->
dedup -> recaption -> cross-check -> WebDataset shards.

    loomery run jobs/pairs.py --input urls.parquet --out OUT [--param allow_hosts=127.0.0.1 ...]
    loomery describe pairs        # the phases, every stage and every --param with its default
"""

from engine.fetch.params import FETCH_PARAMS, policy_from_params
from engine.job import Job
from engine.models.params import MODEL_SET_PARAMS
from engine.params import Param, ParamSet, Values, when
from engine.sinks import WebDatasetSink
from engine.sources.urls import UrlListSource
from engine.stage import Resources
from filters import (
    AiGenerated,
    AspectRatio,
    Blocklist,
    CaptionJunk,
    CaptionLength,
    ClipConfig,
    ClipScore,
    ClipTopFraction,
    Decontaminate,
    DuplicateUrls,
    ExactDuplicates,
    Faces,
    FetchImages,
    ImageSize,
    IptcDataMining,
    LanguageId,
    LicenseFilter,
    NearDupConfig,
    NearDuplicates,
    Nsfw,
    Pii,
    RejectDuplicateUrls,
    TextInImage,
    Toxicity,
)
from filters.dedup.params import DEDUP_PARAMS
from filters.params import BLOCKLIST_PARAMS, CLIP_PARAMS, RESIZE_PARAMS, SAFETY_PARAMS, blocklist_files, clip_model
from filters.provenance.params import RIGHTS_PARAMS
from recaption import CrossCheck, CrossCheckConfig, Recaption
from recaption.crosscheck.params import CROSSCHECK_PARAMS, crosscheck_thresholds, crosscheck_verifiers
from recaption.params import RECAPTION_PARAMS, recaption_resources, recaption_variants, recaptioner

PARAMS = ParamSet(
    Param("url_col", str, None, "column of the URLs in the lists (unset: url, URL, ...)"),
    Param("caption_col", str, None, "column of the captions (unset: caption, TEXT, text, ...)"),
    Param("fetch_workers", int, 0, "fetch actors (0: as many as the CPUs allow)"),
    Param("fetch_cpus", float, 0.5, "CPUs per fetch actor"),
    Param("min_side", int, 0, "reject images whose shorter side is below this"),
    Param("max_aspect", float, 100.0, "reject images whose aspect ratio is above this"),
    Param("min_words", int, 0, "reject captions of fewer words"),
    Param("max_chars", int, 4000, "reject captions of more characters"),
    Param("samples_per_shard", int, 1000, "records per WebDataset shard"),
    Param("unit_size", int, 1000, "input records per unit (the grain of resume and parallel work)"),
    FETCH_PARAMS,
    RESIZE_PARAMS,
    RIGHTS_PARAMS,
    BLOCKLIST_PARAMS,
    MODEL_SET_PARAMS,
    SAFETY_PARAMS,
    CLIP_PARAMS,
    DEDUP_PARAMS,
    RECAPTION_PARAMS,
    CROSSCHECK_PARAMS,
    title="pairs (jobs/pairs.py)",
)


def job(inputs: list[str], out: str, params: Values) -> Job:
    notes: list[str] = []
    blocklists = blocklist_files(params)
    clip = clip_model(params, notes)  # the model set's CLIP, or None (noted)
    scores_only = clip is not None and clip.random_init  # a random test CLIP must not filter
    captioner = recaptioner(params, notes)  # None (noted): no synthetic captions
    # the cross-check checks synthetic captions: without any, it has nothing to do (and no note)
    verifiers = crosscheck_verifiers(params, notes if captioner else [])
    model_pool = {"num_cpus": params.model_cpus, "concurrency": params.model_workers or None}
    return Job(
        name="pairs",
        notes=notes,
        source=UrlListSource(inputs, url_col=params.url_col, caption_col=params.caption_col),
        stages=[
            DuplicateUrls(), RejectDuplicateUrls(),  # a URL listed twice is fetched once
            FetchImages(
                policy_from_params(params),
                image_size=params.image_size,
                resize_mode=params.resize_mode,
                resize_only_if_bigger=params.resize_only_if_bigger,
                encode_format=params.encode_format,
                encode_quality=params.encode_quality,
                concurrency=params.concurrency,
                resources=Resources(num_cpus=params.fetch_cpus, concurrency=params.fetch_workers or None),
            ),
            # the first stage after the bytes arrive, so a listed record reaches no other
            *when(blocklists, Blocklist, **blocklists, phash_distance=params.blocklist_phash_distance),
            *when(params.respect_data_mining, IptcDataMining),
            AiGenerated(mode=params.ai_generated),
            *when(params.licenses, LicenseFilter, params.licenses),
            ImageSize(min_side=params.min_side),
            AspectRatio(max=params.max_aspect),
            CaptionJunk(),
            CaptionLength(min_words=params.min_words, max_chars=params.max_chars),
            LanguageId(column="caption", allowed=params.languages or None),
            *when(params.pii != "off", Pii, column="caption", mode=params.pii),
            *when(params.toxicity, Toxicity, column="caption", threshold=params.toxicity_max),
            *when(params.nsfw, Nsfw, threshold=params.nsfw_max, **model_pool),
            *when(params.faces != "off", Faces, mode=params.faces),
            *when(params.ocr, TextInImage, max_ratio=params.text_max, **model_pool),
            *when(clip, ClipScore, clip,
                  threshold=None if scores_only or params.clip_top else params.clip_min,
                  lang_thresholds=None if scores_only else params.clip_lang_min,
                  config=ClipConfig(batch_size=params.clip_batch, num_cpus=params.model_cpus,
                                    num_gpus=params.clip_gpus, concurrency=params.clip_workers or None,
                                    precision=params.clip_precision)),
            *when(clip and not scores_only and params.clip_top, ClipTopFraction, params.clip_top),
            *when(params.eval_set, Decontaminate, eval_path=params.eval_set, text_column="caption",
                  image_column="image"),
            ExactDuplicates(),
            *when(params.dedup, NearDuplicates, text_column="caption", image=True, image_column="image",
                  config=NearDupConfig(threshold=params.dedup_threshold, image_max_bits=params.dedup_image_bits,
                                       keep=params.dedup_keep, buckets=params.dedup_buckets,
                                       records_per_bucket=params.dedup_bucket_records)),
            *when(captioner, Recaption, captioner, recaption_variants(params, documents=False),
                  existing=params.recaption_existing, timestamps=params.recaption_timestamps,
                  resources=recaption_resources(params)),
            *when(captioner and verifiers, CrossCheck,
                  variants=params.crosscheck_variants or None, verifiers=verifiers, models=params.models,
                  thresholds=crosscheck_thresholds(params),
                  config=CrossCheckConfig(keep_max=params.crosscheck_keep_max, repair_max=params.crosscheck_repair_max,
                                          min_words=params.crosscheck_min_words, max_rounds=params.crosscheck_rounds,
                                          fallback_to_alt_text=params.crosscheck_fallback_alt,
                                          reject=params.crosscheck_reject),
                  resources=Resources(num_cpus=1, num_gpus=params.crosscheck_gpus,
                                      batch_size=params.crosscheck_batch,
                                      concurrency=params.crosscheck_workers)),
        ],
        sink=WebDatasetSink(samples_per_shard=params.samples_per_shard),
        out=out,
        unit_size=params.unit_size,
    )
