"""The HTML report: sections, funnel counts, thresholds, what-ifs, gallery and documents."""

import argparse
import json
import re

import pyarrow.parquet as pq
import pytest

from engine.output.folder import Sample
from engine.report import build_report, write_report
from engine.report.gallery import highlight_claims, pair_card, reject_card, synthetic_variants
from tests.unit.output_fixture import CLIP_THRESHOLD, write_documents, write_output


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    return write_documents(write_output(tmp_path_factory.mktemp("out") / "run", kept=30))


@pytest.fixture(scope="module")
def page(output):
    return build_report(output, kept=12, rejected=10, documents=3, seed=1)


def _section(page: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}">(.*?)</section>', page, re.S)
    assert m, f"section {sid} missing"
    return m.group(1)


def test_page_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r'<(?:script|img|link)[^>]+(?:src|href)="(?:https?:)?//', page)
    assert "<link" not in page
    assert page.count('src="data:image/jpeg;base64,') >= 12


def test_funnel_lists_every_stage_with_its_counts(output, page):
    funnel = _section(page, "funnel")
    manifest = json.loads((output / "manifest.json").read_text())
    names = re.findall(r'<div class="row" data-stage="([^"]+)"', funnel)
    assert names == ["inputs", *manifest["stages"], "kept"]
    for name, counts in manifest["stages"].items():
        row = re.search(rf'data-stage="{name}">(.*?)</div></div>', funnel, re.S).group(1)
        assert f"{counts['kept']:,} · " in row
    assert "below_threshold 8" in funnel and "&minus;8" in funnel


def test_scores_show_thresholds_and_what_if_table(page):
    scores = _section(page, "scores")
    clip = re.search(r'data-column="clip_score">(.*?)</div></div>\s*(?=<div class="panel|$)',
                     scores, re.S)
    assert clip, "no clip_score card"
    card = clip.group(0)
    assert f"keeps \u2265 {CLIP_THRESHOLD:g}" in card
    rows = re.findall(r"<tr( class=\"current\")?><td>\u2265 ([0-9.]+)</td><td>([0-9,]+)</td>", card)
    thresholds = [float(t) for _, t, _ in rows]
    assert thresholds == [0.24, 0.26, 0.28, 0.3, 0.32]
    kept = [int(n.replace(",", "")) for _, _, n in rows]
    assert kept == sorted(kept, reverse=True), "a stricter threshold cannot keep more"
    current = [t for cur, t, _ in rows if cur]
    assert current == ["0.28"]
    assert "<svg" in card and 'class="threshold"' in card
    for column in ("lang_confidence", "nsfw_score", "crosscheck_rate"):
        assert f'data-column="{column}"' in scores


def test_gallery_has_kept_and_rejected_records(output, page):
    gal = _section(page, "gallery")
    assert gal.count('data-kind="kept"') == 12
    assert gal.count('data-kind="rejected"') == 10
    rejects = pq.read_table(output / "rejects/00000.parquet").to_pylist()
    stages_shown = set(re.findall(r'data-kind="rejected" data-stage="([^"]+)"', gal))
    assert stages_shown == {r["stage"] for r in rejects}, "every rejecting stage is sampled"
    assert "below_threshold" in gal and "https://example.com/img/" in gal
    assert 'class="claim v-ok"' in gal and 'class="claim v-bad"' in gal
    assert 'class="claim v-unsure"' in gal and "hallucination " in gal
    assert "no caption (refusal)" in gal
    assert '<span class="tag tag-syn">dense</span>' in gal


def test_documents_render_in_reading_order(page):
    docs = _section(page, "documents")
    first = docs.split("</article>")[0]
    order = [m.group(0) for m in re.finditer(
        r"Heading of document \d|position 1|A paragraph after the first image|position 3", first)]
    assert order == ["Heading of document " + order[0][-1], "position 1",
                     "A paragraph after the first image", "position 3"]


def test_text_is_escaped():
    text = "<script>alert(1)</script> a dog"
    start = text.index("dog")
    html = highlight_claims(text, [{"text": "dog", "verdict": "unsupported",
                                    "span": [start, start + 3]}])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<mark class="claim v-bad" title="unsupported">dog</mark>' in html
    card = reject_card({"key": "k", "url": '"><script>x()</script>', "stage": "s",
                        "reason": "<b>r</b>", "score": 0.1, "threshold": 0.2})
    assert "<script>" not in card and "<b>r</b>" not in card


def test_synthetic_variants_ignore_side_columns():
    meta = {"caption": "alt", "caption_dense": "x", "caption_alt_cond": "y",
            "caption_dense_status": "ok", "caption_dense_meta": "{}", "caption_dense_prov": "h",
            "caption_short": None, "caption_short_status": "refusal", "caption_n": 3}
    assert sorted(synthetic_variants(meta)) == ["alt_cond", "dense", "short"]
    card = pair_card(Sample("k", {"json": json.dumps(meta).encode()}))
    assert "no caption (refusal)" in card and "image not decodable" in card


def _cli(argv: list[str]) -> int:
    """Run the report subcommand through its own parser (loomery.cli would import Ray)."""
    from loomery.commands import report

    parser = argparse.ArgumentParser()
    report.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_report_is_deterministic_and_cli_writes_it(output, tmp_path):
    target = tmp_path / "r.html"
    assert _cli(["report", str(output), "-o", str(target), "--seed", "1", "--kept", "12",
                 "--rejected", "10", "--documents", "3"]) == 0
    assert target.read_text() == build_report(output, kept=12, rejected=10, documents=3, seed=1)
    again = write_report(output, tmp_path / "r2.html", kept=12, rejected=10, documents=3, seed=1)
    assert again.read_text() == target.read_text()


def test_cli_report_names_a_missing_folder(tmp_path, capsys):
    assert _cli(["report", str(tmp_path / "nope")]) == 2
    assert "manifest.json is missing" in capsys.readouterr().err


def test_report_of_an_output_with_nothing_kept_and_no_stats(tmp_path):
    out = write_output(tmp_path / "run", kept=0, shards=1)
    (out / "stats.json").unlink()
    page = build_report(out)
    assert "This output holds no interleaved documents." in page
    assert page.count('data-kind="kept"') == 0 and page.count('data-kind="rejected"') == 24
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["rejects"], manifest["stages"] = [], {}
    (out / "manifest.json").write_text(json.dumps(manifest))
    page = build_report(out)
    assert "No records to show." in page and "This run stored no score columns." in page
