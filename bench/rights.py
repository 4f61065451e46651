"""Cost of reading an image's rights (XMP, C2PA scan, licence) from its original bytes,
against the resize that every fetched image already goes through, on the same images.

    .venv/bin/python bench/rights.py [--images 200]

Prints one JSON line: ``ours`` = images/s of ``image_rights``, ``baseline`` = images/s of
``Resizer(256, border)``, ``ratio`` = ours / baseline (how many times cheaper than the resize).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.consent.image_rights import image_rights  # noqa: E402
from filters.images.resize import Resizer  # noqa: E402
from tests.rights_images import jpeg, personal_exif, xmp_elements  # noqa: E402


def rate(fn, images: list[bytes]) -> float:
    start = time.perf_counter()
    for data in images:
        fn(data)
    return len(images) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args()
    xmp = xmp_elements(**{"plus:DataMining": "http://ns.useplus.org/ldf/vocab/DMI-ALLOWED",
                          "xmpRights:WebStatement": "https://creativecommons.org/licenses/by/4.0/"})
    # 1024x768 photos, half with XMP and EXIF, half bare
    images = [jpeg(xmp=xmp if i % 2 else None, exif=personal_exif() if i % 2 else None,
                   seed=i, size=(1024, 768)) for i in range(args.images)]
    resizer = Resizer(image_size=256, resize_mode="border")
    baseline = rate(resizer, images)
    ours = rate(image_rights, images)
    print(json.dumps({"bench": "rights", "ours": round(ours, 1), "baseline": round(baseline, 1),
                      "ratio": round(ours / baseline, 2)}))


if __name__ == "__main__":
    main()
