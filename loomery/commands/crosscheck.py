"""``loomery crosscheck --input labelled.jsonl --out DIR``: measure the hallucination cross-check.

Writes ``DIR/claims.jsonl`` (each caption's claims, checks, verdicts, truth and repair),
``DIR/report.json`` (CHAIR-i/CHAIR-s before and after repair, precision/recall at finding the
unsupported claims) and, with ``--calibrate``, ``DIR/thresholds.json``; prints the report.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("crosscheck", help="check labelled captions claim by claim and report CHAIR")
    p.add_argument("--input", required=True, help="labelled JSONL: image, caption, present, text_in_image")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--verifiers", default="clip,ocr", help="comma-separated: clip, ocr, alt_text, detector")
    p.add_argument("--models", default="default", help="model set (test-tiny: tiny random models)")
    p.add_argument("--clip-model", default=None, help="registered CLIP model name (default: the set's)")
    p.add_argument("--detector-model", default=None, help="registered OWLv2 model name (default: the set's)")
    p.add_argument("--thresholds", default=None, help="JSON file {verifier: {kind: threshold}}")
    p.add_argument("--keep-max", type=float, default=0.0, help="highest hallucination rate kept as is")
    p.add_argument("--repair-max", type=float, default=0.5, help="highest hallucination rate repaired")
    p.add_argument("--calibrate", action="store_true", help="also write thresholds fitted to these labels")
    p.add_argument("--batch-size", type=int, default=16)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from recaption.crosscheck.calibrate import calibrate
    from recaption.crosscheck.evaluate import evaluate, load_labelled
    from recaption.crosscheck.stage import CrossCheck, CrossCheckConfig

    source = Path(args.input)
    records = load_labelled(source)
    thresholds = json.loads(Path(args.thresholds).read_text()) if args.thresholds else None
    stage = CrossCheck(
        verifiers=[v.strip() for v in args.verifiers.split(",") if v.strip()],
        models=args.models,
        thresholds=thresholds,
        config=CrossCheckConfig(clip_model=args.clip_model, detector_model=args.detector_model,
                                keep_max=args.keep_max, repair_max=args.repair_max),
    )
    checker = stage.checker
    checker.setup()
    rows, report = evaluate(records, checker, source.parent, args.batch_size)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "claims.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    report["models"] = stage.models()
    report["thresholds"] = {v.name: v.thresholds for v in checker.verifiers}
    if args.calibrate:
        fitted = calibrate(rows)
        (out / "thresholds.json").write_text(json.dumps(fitted, indent=2) + "\n")
        report["calibrated_thresholds"] = fitted
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    return 0
