"""The demo job: local image-caption records -> cheap filters -> exact dedup -> WebDataset shards.

    loomery run jobs/demo.py --input corpus/ --out OUT [--param min_side=64 ...]
    loomery describe demo         # the phases, every stage and every --param with its default
"""

from engine.job import Job
from engine.params import Param, ParamSet, Values
from engine.sinks import WebDatasetSink
from engine.sources import open_source
from filters import (
    AspectRatio,
    CaptionJunk,
    CaptionLength,
    ExactDuplicates,
    ImageSize,
    ProbeImage,
)

PARAMS = ParamSet(
    Param("image_format", str, "jpeg", "format the shards store images in"),
    Param("min_side", int, 64, "reject images whose shorter side is below this"),
    Param("max_aspect", float, 3.0, "reject images whose aspect ratio is above this"),
    Param("min_words", int, 2, "reject captions of fewer words"),
    Param("max_chars", int, 1000, "reject captions of more characters"),
    Param("samples_per_shard", int, 100, "records per WebDataset shard"),
    Param("unit_size", int, 50, "input records per unit (the grain of resume and parallel work)"),
    title="demo (jobs/demo.py)",
)


def job(inputs: list[str], out: str, params: Values) -> Job:
    return Job(
        name="demo",
        source=open_source(inputs),
        stages=[
            ProbeImage(shard_format=params.image_format),
            ImageSize(min_side=params.min_side),
            AspectRatio(max=params.max_aspect),
            CaptionJunk(),
            CaptionLength(min_words=params.min_words, max_chars=params.max_chars),
            ExactDuplicates(),
        ],
        sink=WebDatasetSink(samples_per_shard=params.samples_per_shard),
        out=out,
        unit_size=params.unit_size,
    )
