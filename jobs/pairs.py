"""The pairs job: URL lists -> one fetch per URL -> resize -> cheap filters -> exact dedup ->
WebDataset shards.

    loomery run jobs/pairs.py --input urls.parquet --out OUT [--param allow_hosts=127.0.0.1 ...]

Parameters (``--param key=value``):
  allow_hosts       comma-separated hosts/IPs/CIDRs reachable although private (tests, private
                    deployments; default: none, so no private address is ever fetched)
  url_col, caption_col   column names in the lists (default: url/URL, caption/TEXT/text...)
  image_size, resize_mode, resize_only_if_bigger, encode_format, encode_quality
                    img2dataset's resize settings (256, border, false, jpg, 95)
  user_agent, timeout, max_bytes, max_redirects, max_pixels, retries, per_host_concurrency,
  concurrency (requests in flight per worker), respect_robots, respect_x_robots,
  respect_tdmrep (true: TDMRep reservations refused by the fetcher, reason tdm_reservation)
  respect_data_mining (true: IPTC plus:DataMining prohibitions rejected, iptc_data_mining),
  ai_generated (keep: flagged in ai_generated; reject), licenses (ids/patterns to keep, e.g.
  cc-by-*,cc0-*,none; default: all)       rights filters (filters/provenance)
  min_side, max_aspect, min_words, max_chars      cheap filters
  unit_size, samples_per_shard, fetch_workers (actor pool size), fetch_cpus (CPUs per actor)
  models            model set: default (real weights, stages skipped with a note when absent)
                    or test-tiny (tiny random models, labelled as such in the manifest)
  blocklist_*, languages, pii, toxicity*, nsfw*, faces, ocr, text_max, clip*   model filters
                    (filters/model_chain.py)
  dedup (true), dedup_threshold (0.8), dedup_image_bits (4), dedup_keep (first|longest),
  dedup_buckets (16), dedup_bucket_records (5000)
                                   near-duplicates by caption and image, one graph (filters/dedup);
                                   buckets: at least 16, and one per 5,000 records
  eval_set                         an evaluation set to decontaminate against (filters/dedup/decontam.py)
  recaption*, crosscheck*          synthetic captions and their cross-check (recaption/)
"""

from engine.fetch.params import policy_from_params
from engine.job import Job, Params
from engine.sinks import WebDatasetSink
from engine.sources.urls import UrlListSource
from engine.stage import Resources
from filters import AspectRatio, CaptionJunk, CaptionLength, ExactDuplicates, ImageSize
from filters.dedup import Decontaminate, NearDuplicates
from filters.dedup.urls import duplicate_url_stages
from filters.images.fetch import FetchImages
from filters.model_chain import model_stages, quarantine_stages
from filters.provenance import rights_stages
from recaption.crosscheck.pipeline import stages_for as crosscheck_stages
from recaption.pipeline import stages_for as recaption_stages


def job(inputs: list[str], out: str, params: Params) -> Job:
    workers = params.int("fetch_workers", 0)
    fetch = FetchImages(
        policy_from_params(params),
        image_size=params.int("image_size", 256),
        resize_mode=params.str("resize_mode", "border"),
        resize_only_if_bigger=params.bool("resize_only_if_bigger", False),
        encode_format=params.str("encode_format", "jpg"),
        encode_quality=params.int("encode_quality", 95),
        concurrency=params.int("concurrency", 64),
        resources=Resources(
            num_cpus=params.float("fetch_cpus", 0.5), concurrency=workers or None
        ),
    )
    notes: list[str] = []
    models = model_stages(params, notes=notes)
    eval_set = params.str("eval_set")
    decontaminate = [Decontaminate(eval_path=eval_set, text_column="caption", image_column="image")] if eval_set else []
    near_duplicates = [NearDuplicates(
        text_column="caption", threshold=params.float("dedup_threshold", 0.8), image=True, image_column="image",
        image_max_bits=params.int("dedup_image_bits", 4), keep=params.str("dedup_keep", "first"),
        buckets=params.int("dedup_buckets", 16), records_per_bucket=params.int("dedup_bucket_records", 5000),
    )] if params.bool("dedup", True) else []
    recaption = recaption_stages(params, notes=notes)
    crosscheck = crosscheck_stages(params, notes=notes if recaption else [])  # reads its params
    crosscheck = crosscheck if recaption else []  # it checks synthetic captions: none, nothing to do
    return Job(
        name="pairs",
        notes=notes,
        source=UrlListSource(
            inputs, url_col=params.str("url_col"), caption_col=params.str("caption_col")
        ),
        stages=[
            *duplicate_url_stages(),
            fetch,
            *quarantine_stages(params),  # the first stage after the bytes arrive
            *rights_stages(params),  # IPTC data mining, AI-generated, licences (filters/provenance)
            ImageSize(min_side=params.int("min_side", 0)),
            AspectRatio(max=params.float("max_aspect", 100.0)),
            CaptionJunk(),
            CaptionLength(
                min_words=params.int("min_words", 0), max_chars=params.int("max_chars", 4000)
            ),
            *models,
            *decontaminate,
            ExactDuplicates(),
            *near_duplicates,
            *recaption,
            *crosscheck,
        ],
        sink=WebDatasetSink(samples_per_shard=params.int("samples_per_shard", 1000)),
        out=out,
        unit_size=params.int("unit_size", 1000),
    )
