"""Documents: repeated image URLs removed as boilerplate; decontamination against an eval set."""

import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from PIL import Image

from filters.dedup import Decontaminate, DropRepeatedImages, NearDuplicates, RepeatedImageUrls
from tests.conftest import corpus


def run_global(stage, batches):
    sigs = pa.concat_tables([stage.signature(b) for b in batches])
    outs = [stage.decide(sigs.filter(pc.equal(sigs["bucket"], k))) for k in range(stage.buckets)]
    return stage.combine(outs)


def _docs(n):
    texts, urls = [], []
    for i in range(n):
        # Every document holds the logo (twice, once with another spelling of the URL).
        urls.append(
            [
                None,
                "https://site.example/logo.png",
                None,
                f"https://img.example/{i}.jpg",
                "HTTPS://site.example:443/logo.png",
            ]
        )
        texts.append([f"paragraph {i}", None, f"more text {i}", None, None])
    keys = [f"{i:024x}" for i in range(n)]
    return pa.table(
        {"key": keys, "texts": texts, "image_urls": urls, "images": [[None, b"L", None, b"I", b"L"] for _ in range(n)]}
    )


def test_repeated_image_urls_are_removed_from_documents():
    docs = _docs(5)
    stage = RepeatedImageUrls(max_docs=3, buckets=4)
    decisions = run_global(stage, [docs.slice(0, 2), docs.slice(2)])
    assert decisions.num_rows == 5 and decisions["reason"].null_count == 5
    assert decisions["repeated_image_urls"][0].as_py() == ["https://site.example/logo.png"]
    joined = docs.append_column(
        "repeated_image_urls",
        pa.array(decisions["repeated_image_urls"].to_pylist(), pa.list_(pa.string())),
    )
    out = DropRepeatedImages()(joined)
    assert out["image_urls"][0].as_py() == [None, None, "https://img.example/0.jpg"]
    assert out["texts"][0].as_py() == ["paragraph 0", "more text 0", None]
    assert out["images"][0].as_py() == [None, None, b"I"]
    assert out["repeated_images_removed"].to_pylist() == [2] * 5
    # Under the limit nothing is removed.
    assert run_global(RepeatedImageUrls(max_docs=5, buckets=4), [docs]).num_rows == 0


def test_documents_with_the_same_set_of_image_urls_are_duplicates():
    docs = _docs(3)
    urls = docs["image_urls"].to_pylist()
    urls[2] = list(reversed(urls[0]))  # same set as document 0, in another order
    docs = docs.set_column(2, "image_urls", pa.array(urls, pa.list_(pa.string())))
    stage = NearDuplicates(text_column="texts", image=False, image_urls_column="image_urls")
    result = run_global(stage, [docs])
    rejected = result.filter(pc.is_valid(result["reason"]))
    assert rejected["key"].to_pylist() == [docs["key"][2].as_py()]
    assert rejected["dup_of"].to_pylist() == [docs["key"][0].as_py()]


def _jpeg(image):
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=60)
    return buf.getvalue()


def test_decontaminate_rejects_eval_captions_and_images(tmp_path):
    root = corpus("pillow-images")
    hopper = Image.open(root / "hopper.jpg")
    flower = (root / "flower.jpg").read_bytes()
    eval_path = tmp_path / "eval.parquet"
    pq.write_table(
        pa.table(
            {
                "caption": ["A man in a suit standing next to a red bus at the stop", "cat"],
                "image": [(root / "hopper.jpg").read_bytes(), None],
            }
        ),
        eval_path,
    )
    stage = Decontaminate(eval_path=str(eval_path), ngram=8)
    stage.setup()
    batch = pa.table(
        {
            "key": [f"{i:024x}" for i in range(5)],
            "caption": [
                "photo: a man in a SUIT standing next to a red bus, today",  # 8-gram shared
                "Cat!",  # short eval caption matched whole
                "a man in a suit next to a bus",  # no shared 8-gram
                "something else",
                None,
            ],
            "image": [flower, flower, flower, _jpeg(hopper.resize((64, 64))), b"broken"],
        }
    )
    out = stage(batch)
    assert out["_reject_reason"].to_pylist() == [
        "eval_caption_overlap",
        "eval_caption_overlap",
        None,
        "eval_image_match",
        None,
    ]
    assert out["eval_image_distance"][3].as_py() <= 6
    assert out["eval_image_distance"][4].as_py() is None


def test_decontaminate_without_eval_set_keeps_everything():
    stage = Decontaminate(eval_captions=[])
    out = stage(pa.table({"key": ["a" * 24], "caption": ["x"], "image": [b""]}))
    assert out["_reject_reason"].to_pylist() == [None]
    with pytest.raises(FileNotFoundError):
        Decontaminate(eval_path="/nonexistent/eval.jsonl").setup()
