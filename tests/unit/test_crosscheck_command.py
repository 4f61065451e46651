"""``loomery crosscheck``: labelled records in; claims, verdicts, CHAIR and precision/recall out."""

import io
import json

import pytest
from PIL import Image, ImageDraw, ImageFont

from loomery.cli import main
from recaption.crosscheck.calibrate import best_threshold, calibrate

pytest.importorskip("rapidocr")


def write_image(path, text):
    image = Image.new("RGB", (360, 140), "white")
    ImageDraw.Draw(image).text((30, 40), text, font=ImageFont.load_default(size=48), fill="black")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    path.write_bytes(buf.getvalue())


@pytest.fixture
def labelled(tmp_path):
    (tmp_path / "img").mkdir()
    write_image(tmp_path / "img" / "open.png", "OPEN")
    write_image(tmp_path / "img" / "sale.png", "SALE")
    records = [
        {"image": "img/open.png", "caption": "A dog near a sign reading 'OPEN'.", "present": ["dog", "sign"],
         "text_in_image": "OPEN"},
        {"image": "img/sale.png", "caption": "A banner reading 'CLOSED' and a dog next to a kitten.",
         "present": ["Dogs", "signs"], "text_in_image": "SALE", "alt_text": "a dog, no cats"},
        {"image": "img/missing.png", "caption": "A horse standing alone.", "present": [], "text_in_image": None},
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_crosscheck_command_reports_chair_and_detection(labelled, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["crosscheck", "--input", str(labelled), "--out", str(out), "--verifiers", "ocr,alt_text",
                 "--calibrate"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["records"] == 3
    # objects: dog, sign | banner, dog, kitten (hallucinated) | horse (hallucinated; its image is missing)
    assert report["chair_i_before"] == pytest.approx(2 / 6, abs=1e-4)
    assert report["chair_s_before"] == pytest.approx(2 / 3, abs=1e-4)
    # the kitten is cut (the alt-text says no cats), the horse cannot be checked without its image
    assert report["chair_i_after"] == pytest.approx(1 / 5, abs=1e-4)
    assert report["chair_s_after"] == pytest.approx(1 / 3, abs=1e-4)
    detection = report["unsupported_detection"]
    assert (detection["tp"], detection["fp"], detection["fn"]) == (2, 0, 1)  # CLOSED, kitten | horse
    assert detection["precision"] == 1.0 and detection["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["actions"] == {"keep": 2, "repair": 1} and report["image_errors"] == 1

    rows = [json.loads(line) for line in (out / "claims.jsonl").read_text().splitlines()]
    assert rows[1]["final_caption"] == "A banner and a dog."
    closed = next(c for c in rows[1]["claims"] if c["kind"] == "text")
    assert closed["verdict"] == "unsupported" and closed["hallucinated"] is True
    assert closed["checks"][0]["verifier"] == "ocr" and closed["checks"][0]["score"] < 0.8
    assert rows[2]["image_error"] and rows[2]["claims"][0]["verdict"] == "unverified"
    fitted = json.loads((out / "thresholds.json").read_text())
    assert fitted == report["calibrated_thresholds"]


def test_bad_input_line_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"caption": "no image key"}\n')
    assert main(["crosscheck", "--input", str(bad), "--out", str(tmp_path / "o"), "--verifiers", "alt_text"]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err


def test_best_threshold_separates_classes():
    assert best_threshold([(0.9, True), (0.8, True), (0.3, False), (0.2, False)]) == pytest.approx(0.55)
    assert best_threshold([(0.9, True)]) is None
    rows = [{"claims": [{"kind": "text", "hallucinated": h, "checks": [{"verifier": "ocr", "score": s}]}
                        for s, h in [(1.0, False), (0.95, False), (0.4, True), (0.2, True)]]}]
    assert calibrate(rows) == {"ocr": {"text": pytest.approx(0.675)}}
