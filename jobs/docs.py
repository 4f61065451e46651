"""The documents job: WARC files -> main content in reading order, images in place -> consent ->
document filters -> image filters -> image fetching -> OBELICS-style WebDataset + Parquet shards.

    loomery run jobs/docs.py --input CC-MAIN-....warc.gz --out OUT [--param extract_only=true]
    loomery describe docs         # the phases, every stage and every --param with its default
"""

from engine.fetch.params import FETCH_PARAMS, policy_from_params
from engine.html.stage import ExtractDocuments
from engine.job import Job
from engine.models.params import MODEL_SET_PARAMS
from engine.params import Param, ParamSet, Values, when
from engine.sinks.documents import DocumentSink
from engine.sources.warc import WarcSource
from engine.stage import Resources, Stage
from filters import (
    AiGenerated,
    Blocklist,
    ClipConfig,
    Decontaminate,
    DocClipScore,
    DocImageCount,
    DocImageFilter,
    DocLanguage,
    DocQuality,
    DocTdmRepFile,
    DocumentConsent,
    DocWordCount,
    DropRepeatedImages,
    DuplicateUrls,
    Faces,
    FetchDocumentImages,
    IptcDataMining,
    LicenseFilter,
    NearDupConfig,
    NearDuplicates,
    Nsfw,
    Pii,
    RejectDuplicateUrls,
    RepeatedImageUrls,
    TdmReservation,
    TextInImage,
    Toxicity,
)
from filters.dedup.params import DEDUP_PARAMS
from filters.documents.fetch import POLICIES
from filters.documents.per_image import per_image
from filters.params import BLOCKLIST_PARAMS, CLIP_PARAMS, RESIZE_PARAMS, SAFETY_PARAMS, blocklist_files, clip_model
from filters.provenance.params import RIGHTS_PARAMS
from recaption import CrossCheck, CrossCheckConfig, Recaption
from recaption.crosscheck.params import CROSSCHECK_PARAMS, crosscheck_thresholds, crosscheck_verifiers
from recaption.params import RECAPTION_PARAMS, recaption_resources, recaption_variants, recaptioner

PARAMS = ParamSet(
    Param("extract_only", bool, False, "WARC -> documents with no filters and no image fetching"),
    Param("dedup_urls", bool, True, "keep only the first capture of a URL seen twice"),
    Param("path_prefix", str, "https://data.commoncrawl.org/", "prefix for the lines of *.paths(.gz) inputs"),
    Param("batch_size", int, 64, "pages per extraction call"),
    Param("honour_consent", bool, True, "honour noai/noimageai"),
    Param("min_language_score", float, 0.5, "least confidence of the document's language"),
    Param("min_words", int, 50, "reject documents of fewer words"),
    Param("max_words", int, 100_000, "reject documents of more words"),
    Param("min_image_side", int, 100, "drop images whose declared width or height is below this"),
    Param("min_images", int, 0, "reject documents with fewer images"),
    Param("max_images", int, 30, "reject documents with more images"),
    Param("max_image_repeats", int, 10, "drop an image URL found in more documents (boilerplate)"),
    Param("fetch_images", bool, True, "false: keep image URLs without fetching"),
    Param("fetch_workers", int, 0, "fetch actors (0: as many as the CPUs allow)"),
    Param("all_failed", str, "keep_text_only", "documents whose images all failed", choices=POLICIES),
    Param("doc_nsfw", str, "reject", "an NSFW image rejects its document, or is removed alone",
          choices=("reject", "remove")),
    Param("doc_clip_min", float, 0.0, "reject a document whose best image-text CLIP score is below this"),
    Param("samples_per_shard", int, 1000, "documents per shard"),
    Param("unit_size", int, 1000, "input records per unit (the grain of resume and parallel work)"),
    FETCH_PARAMS,
    RESIZE_PARAMS.without("resize_only_if_bigger").with_defaults(
        image_size=512, resize_mode="keep_ratio", encode_quality=90),
    RIGHTS_PARAMS,
    BLOCKLIST_PARAMS,
    MODEL_SET_PARAMS,
    SAFETY_PARAMS,
    CLIP_PARAMS,
    DEDUP_PARAMS.without("dedup_image_bits").with_defaults(dedup_keep="longest"),
    RECAPTION_PARAMS,
    CROSSCHECK_PARAMS,
    title="docs (jobs/docs.py)",
)


def job(inputs: list[str], out: str, params: Values) -> Job:
    extract = ExtractDocuments(resources=Resources(batch_size=params.batch_size))
    if params.extract_only:
        return _documents_job(inputs, out, params, [extract],
                              ["extract_only: no URL dedup, consent, filters, models or image fetching"])
    notes: list[str] = []
    fetch = params.fetch_images
    policy = policy_from_params(params)
    blocklists = blocklist_files(params)
    lists = {**blocklists, "phash_distance": params.blocklist_phash_distance,
             "image_column": "images", "url_column": "image_urls"}
    clip = clip_model(params, notes, stage="doc_clip_score")  # the set's CLIP, or None (noted)
    scores_only = clip is not None and clip.random_init  # a random test CLIP must not filter
    image_checks = params.nsfw or params.faces != "off" or params.ocr
    if image_checks and not fetch:
        notes.append("nsfw/faces/ocr skipped: fetch_images=false, so documents carry no image bytes")
    # each image check judges every fetched image; an NSFW one may reject the whole document
    per_doc = {"document_reasons": ("nsfw",) if params.doc_nsfw == "reject" else ()}
    model_pool = {"num_cpus": params.model_cpus, "concurrency": params.model_workers or None}
    captioner = recaptioner(params, notes)  # None (noted): no synthetic captions
    verifiers = crosscheck_verifiers(params, notes if captioner else [], documents=True)
    stages = [
        # a URL crawled twice (two WARCs, two captures) has one key: keep its first capture
        *when(params.dedup_urls, DuplicateUrls), *when(params.dedup_urls, RejectDuplicateUrls),
        extract,
        DocumentConsent(honour=params.honour_consent),
        *when(params.respect_tdmrep, TdmReservation),  # the page's TDMRep (meta tag, headers)
        DocWordCount(min_words=params.min_words, max_words=params.max_words),
        DocLanguage(languages=params.languages or None, min_score=params.min_language_score),
        DocQuality(),
        DocImageFilter(min_side=params.min_image_side),
        DocImageCount(min_images=params.min_images, max_images=params.max_images),
        # URL blocklists before the fetch; hash blocklists need the bytes: again after it
        *when(blocklists, Blocklist, **lists, name="blocklist"),
        *when(params.pii != "off", Pii, column="texts", mode=params.pii),
        *when(params.toxicity, Toxicity, column="texts", threshold=params.toxicity_max),
        *when(params.eval_set, Decontaminate, eval_path=params.eval_set, text_column="texts",
              image_column=None),
        *when(params.dedup, RepeatedImageUrls, column="image_urls", max_docs=params.max_image_repeats),
        *when(params.dedup, DropRepeatedImages),
        *when(params.dedup, NearDuplicates, name="doc_near_duplicates", text_column="texts", image=False,
              image_urls_column="image_urls",
              config=NearDupConfig(threshold=params.dedup_threshold, keep=params.dedup_keep,
                                   buckets=params.dedup_buckets, records_per_bucket=params.dedup_bucket_records)),
        # the pages' own hosts' tdmrep.json: network, so only where the job fetches at all
        *when(fetch, DocTdmRepFile, policy, respect=params.respect_tdmrep),
        *when(fetch, FetchDocumentImages, policy, all_failed=params.all_failed,
              image_size=params.image_size, resize_mode=params.resize_mode,
              encode_format=params.encode_format, encode_quality=params.encode_quality,
              concurrency=params.concurrency,
              resources=Resources(num_cpus=1, batch_size=32, concurrency=params.fetch_workers or None)),
        *when(params.respect_data_mining, IptcDataMining),  # per image, from the fetched evidence
        AiGenerated(mode=params.ai_generated),
        *when(params.licenses, LicenseFilter, params.licenses),
        *when(blocklists, Blocklist, **lists, name="blocklist_images"),
        *when(fetch and params.nsfw, per_image, Nsfw, threshold=params.nsfw_max, **model_pool, **per_doc),
        *when(fetch and params.faces != "off", per_image, Faces, mode=params.faces, **per_doc),
        *when(fetch and params.ocr, per_image, TextInImage, max_ratio=params.text_max, **model_pool,
              **per_doc),
        *when(clip, DocClipScore, clip, min_score=None if scores_only else params.doc_clip_min,
              config=ClipConfig(num_cpus=params.model_cpus, num_gpus=params.clip_gpus,
                                concurrency=params.clip_workers or None, precision=params.clip_precision)),
        *when(captioner, Recaption, captioner, recaption_variants(params, documents=True),
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
                                  batch_size=params.crosscheck_batch, concurrency=params.crosscheck_workers)),
    ]
    return _documents_job(inputs, out, params, stages, notes)


def _documents_job(inputs: list[str], out: str, params: Values, stages: list[Stage], notes: list[str]) -> Job:
    return Job(
        name="docs",
        source=WarcSource(inputs, path_prefix=params.path_prefix),
        stages=stages,
        sink=DocumentSink(samples_per_shard=params.samples_per_shard),
        out=out,
        unit_size=params.unit_size,
        notes=notes,
    )
