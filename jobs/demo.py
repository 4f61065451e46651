"""The demo job: local image-caption records -> cheap filters -> exact dedup -> WebDataset shards.

    loomery run jobs/demo.py --input corpus/ --out OUT [--param min_side=64 ...]
"""

from engine.job import Job, Params
from engine.sinks import WebDatasetSink
from engine.sources import open_source
from filters import AspectRatio, CaptionJunk, CaptionLength, ExactDuplicates, ImageSize, ProbeImage


def job(inputs: list[str], out: str, params: Params) -> Job:
    return Job(
        name="demo",
        source=open_source(inputs),
        stages=[
            ProbeImage(shard_format=params.str("image_format", "jpeg")),
            ImageSize(min_side=params.int("min_side", 64)),
            AspectRatio(max=params.float("max_aspect", 3.0)),
            CaptionJunk(),
            CaptionLength(min_words=params.int("min_words", 2), max_chars=params.int("max_chars", 1000)),
            ExactDuplicates(),
        ],
        sink=WebDatasetSink(samples_per_shard=params.int("samples_per_shard", 100)),
        out=out,
        unit_size=params.int("unit_size", 50),
    )
