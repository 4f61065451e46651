"""The documents job: WARC files -> main content in reading order, images in place -> consent ->
document filters -> image filters -> image fetching -> OBELICS-style WebDataset + Parquet shards.

    loomery run jobs/docs.py --input CC-MAIN-....warc.gz --out OUT [--param extract_only=true]

Parameters (``--param key=value``):
  extract_only      true: WARC -> documents with no filters and no image fetching
  dedup_urls        keep only the first capture of a URL seen twice (default true)
  path_prefix       prefix for the lines of ``*.paths(.gz)`` inputs (Common Crawl's)
  honour_consent    honour noai/noimageai (default true)
  languages         comma-separated allowed languages (default: any); min_language_score (0.5)
  min_words, max_words, min_images, max_images      document filters (50, 100000, 0, 30)
  min_image_side    declared width/height below which an image is dropped (100)
  fetch_images      false: keep image URLs without fetching (default true)
  all_failed        keep_text_only or reject: documents whose images all failed
  allow_hosts, user_agent, timeout, max_bytes, max_redirects, max_pixels, retries,
  per_host_concurrency, respect_robots, respect_x_robots     the fetcher's, as in the pairs job
  respect_tdmrep, respect_data_mining, ai_generated, licenses   rights, as in the pairs job; a
                    page's TDMRep (meta tag, archived headers, its host's tdmrep.json when
                    fetch_images is on) rejects the document
  image_size, resize_mode, encode_format, encode_quality, concurrency, fetch_workers
  unit_size, samples_per_shard, batch_size
  models, blocklist_*, pii, toxicity*, nsfw*, doc_nsfw (reject|remove), faces, ocr, text_max,
  clip, doc_clip_min    model filters (filters/model_chain.py); NSFW, faces and OCR judge every
                    fetched image of a document (filters/documents/per_image.py)
  dedup*, max_image_repeats, eval_set, recaption*, crosscheck*
"""

from engine.fetch.params import policy_from_params
from engine.html.stage import ExtractDocuments
from engine.job import Job, Params
from engine.sinks.documents import DocumentSink
from engine.sources.warc import WarcSource
from engine.stage import Resources
from filters.clip.documents import DocClipScore
from filters.dedup import Decontaminate, DropRepeatedImages, NearDuplicates, RepeatedImageUrls
from filters.dedup.urls import duplicate_url_stages
from filters.documents.consent import DocumentConsent
from filters.documents.fetch import FetchDocumentImages
from filters.documents.images import DocImageFilter
from filters.documents.per_image import PerImage
from filters.documents.text import DocImageCount, DocLanguage, DocQuality, DocWordCount
from filters.model_chain import model_stages, quarantine_stages
from filters.provenance import page_tdmrep_file, rights_stages
from filters.safety.language import LanguageId
from recaption.crosscheck.pipeline import stages_for as crosscheck_stages
from recaption.pipeline import stages_for as recaption_stages


def job(inputs: list[str], out: str, params: Params) -> Job:
    source = WarcSource(inputs, path_prefix=params.str("path_prefix",
                                                         "https://data.commoncrawl.org/"))
    extract = ExtractDocuments(resources=Resources(batch_size=params.int("batch_size", 64)))
    # every parameter is read whatever the mode, so a misspelt one is always an error
    filters = [
        DocumentConsent(honour=params.bool("honour_consent", True)),
        *rights_stages(params, kind="docs", page=True),  # TDMRep of the page (meta, headers)
        DocWordCount(min_words=params.int("min_words", 50),
                     max_words=params.int("max_words", 100_000)),
        DocLanguage(languages=params.list("languages") or None,
                    min_score=params.float("min_language_score", 0.5)),
        DocQuality(),
        DocImageFilter(min_side=params.int("min_image_side", 100)),
        DocImageCount(min_images=params.int("min_images", 0),
                      max_images=params.int("max_images", 30)),
    ]
    fetch = [_fetch_stage(params)] if params.bool("fetch_images", True) else []
    # the pages' own hosts' tdmrep.json: network, so only where the job fetches at all
    page_tdmrep = page_tdmrep_file(params) if fetch else []
    rights = rights_stages(params, kind="docs")  # per image: data mining, AI-generated; licences
    # a URL crawled twice (two WARCs, two captures) has one key: keep its first capture
    dedup = duplicate_url_stages() if params.bool("dedup_urls", True) else []
    notes: list[str] = []
    models = model_stages(params, kind="docs", notes=notes)
    # DocLanguage above already decides the language; image checks and CLIP need the fetched images
    text_checks = [s for s in models if not isinstance(s, (LanguageId, PerImage, DocClipScore))]
    image_checks = [s for s in models if isinstance(s, PerImage)] if fetch else []
    if not fetch and any(isinstance(s, PerImage) for s in models):
        notes.append("nsfw/faces/ocr skipped: fetch_images=false, so documents carry no image bytes")
    clip = [s for s in models if isinstance(s, DocClipScore)]
    recaption = recaption_stages(params, documents=True, notes=notes)
    crosscheck = crosscheck_stages(params, documents=True, notes=notes if recaption else [])
    crosscheck = crosscheck if recaption else []  # it checks synthetic captions: none, nothing to do
    # The blocklist before the fetch (URL lists) and again after it (hash lists need the bytes).
    quarantine, quarantine_bytes = quarantine_stages(params, kind="docs"), quarantine_stages(params, kind="docs")
    for stage in quarantine_bytes:
        stage.name = f"{stage.name}_images"
    eval_set = params.str("eval_set")
    decontaminate = [Decontaminate(eval_path=eval_set, text_column="texts", image_column=None)] if eval_set else []
    dedup_docs = [
        RepeatedImageUrls(column="image_urls", max_docs=params.int("max_image_repeats", 10)),
        DropRepeatedImages(),
        NearDuplicates(name="doc_near_duplicates", text_column="texts", image=False, image_urls_column="image_urls",
                       threshold=params.float("dedup_threshold", 0.8), keep=params.str("dedup_keep", "longest"),
                       buckets=params.int("dedup_buckets", 16),
                       records_per_bucket=params.int("dedup_bucket_records", 5000)),
    ] if params.bool("dedup", True) else []
    if params.bool("extract_only", False):
        stages = [extract]
        notes[:] = ["extract_only: no URL dedup, consent, filters, models or image fetching"]
    else:
        stages = [*dedup, extract, *filters, *quarantine, *text_checks, *decontaminate, *dedup_docs,
                  *page_tdmrep, *fetch,
                  *rights, *quarantine_bytes, *image_checks, *clip, *recaption, *crosscheck]
    return Job(
        name="docs",
        source=source,
        stages=stages,
        sink=DocumentSink(samples_per_shard=params.int("samples_per_shard", 1000)),
        out=out,
        unit_size=params.int("unit_size", 1000),
        notes=notes,
    )


def _fetch_stage(params: Params) -> FetchDocumentImages:
    workers = params.int("fetch_workers", 0)
    return FetchDocumentImages(
        policy_from_params(params),
        all_failed=params.str("all_failed", "keep_text_only"),
        image_size=params.int("image_size", 512),
        resize_mode=params.str("resize_mode", "keep_ratio"),
        encode_format=params.str("encode_format", "jpg"),
        encode_quality=params.int("encode_quality", 90),
        concurrency=params.int("concurrency", 64),
        resources=Resources(num_cpus=1, batch_size=32, concurrency=workers or None),
    )
