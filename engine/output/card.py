"""The dataset card: a ``README.md`` in the output folder that says what the data is and how it
was made (provenance, models, the filter chain with its counts, score percentiles, how to load).

The runner calls ``write_card(out_dir)`` at the end of each run; ``loomery reshard --card`` too.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.atomic import write_text
from engine.output.card_examples import loading_section
from engine.output.card_hf import hf_yaml
from engine.output.folder import OutputFolder
from engine.output.rights import rights_markdown
from engine.output.stats import kept_percentiles, pass_rates
from engine.quantiles import K

_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
          (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"))


def size_category(n: int) -> str:
    """The Hugging Face ``size_categories`` bucket of ``n`` samples."""
    return next((label for bound, label in _SIZES if n < bound), "n>100M")


def render_card(out_dir: str | Path) -> str:
    """The card's Markdown text for the output in ``out_dir``."""
    folder = OutputFolder(out_dir)
    m = folder.manifest
    job = m.get("job", {})
    totals = m.get("totals", {})
    name = job.get("name") or folder.path.name
    kept = int(totals.get("kept", 0))
    docs = _holds_documents(folder)
    parts = [
        "---",
        f"pretty_name: {json.dumps(name)}",
        "task_categories:",
        "- image-to-text" if not docs else "- image-text-to-text",
        f"size_categories:\n- {size_category(kept)}",
        "tags:\n- loomery\n- webdataset",
        *hf_yaml(folder),
        "---",
        f"# {name}",
        "",
        f"{'Interleaved image-text documents' if docs else 'Image-text pairs'} made by loomery "
        f"{m.get('loomery_version', '?')}: **{kept:,}** samples kept of "
        f"{int(totals.get('inputs', 0)):,} inputs ({int(totals.get('rejected', 0)):,} rejected, "
        "each with its stage and reason in `rejects/`).",
        "",
        _provenance(folder),
        _models(m.get("models", [])),
        _filters(folder),
        rights_markdown(out_dir),
        _scores(folder),
        _layout(folder, docs),
        loading_section(folder, docs),
    ]
    notes = job.get("notes")
    if notes:
        notes = notes if isinstance(notes, list) else [notes]
        parts += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    return "\n".join(parts).rstrip() + "\n"


def write_card(out_dir: str | Path) -> Path:
    """Write the card to ``out_dir/README.md`` and return its path."""
    path = Path(out_dir) / "README.md"
    write_text(path, render_card(out_dir))
    return path


def _provenance(folder: OutputFolder) -> str:
    m, job = folder.manifest, folder.manifest.get("job", {})
    rows = [("created", m.get("created")), ("loomery version", m.get("loomery_version")),
            ("code version", m.get("code_version")), ("schema version", m.get("schema_version")),
            ("job", job.get("name")), ("source", _short(job.get("source"))),
            ("unit size", job.get("unit_size")), ("sink", _short(job.get("sink"))),
            ("parameters", _short(job.get("params"))),
            ("resharded from", _short(job.get("resharded_from")))]
    lines = ["## Provenance", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {_cell(v)} |" for k, v in rows if v not in (None, "", {}, [])]
    return "\n".join(lines) + "\n"


def _models(models: list[dict]) -> str:
    if not models:
        return "## Models\n\nNo model was used.\n"
    lines = ["## Models", "", "| model | kind | stage | source | revision | weights |",
             "|---|---|---|---|---|---|"]
    for x in models:
        weights = "**random init (test model)**" if x.get("random_init") else "trained"
        lines.append(f"| {_cell(x.get('name'))} | {_cell(x.get('kind'))} | "
                     f"{_cell(x.get('stage'))} | {_cell(x.get('source'))} | "
                     f"{_cell(x.get('revision'))} | {weights} |")
    if any(x.get("random_init") for x in models):
        lines += ["", "> Some models were randomly initialised: their scores and captions are "
                  "placeholders, not signal. Do not train on this output."]
    return "\n".join(lines) + "\n"


def _filters(folder: OutputFolder) -> str:
    configs = {s.get("name"): s for s in folder.manifest.get("job", {}).get("stages", [])}
    lines = ["## Filter chain", "", "| # | stage | class | settings | in | kept | rejected | "
             "pass rate | top reasons |", "|---|---|---|---|---|---|---|---|---|"]
    for i, row in enumerate(pass_rates(folder), 1):
        cfg = dict(configs.get(row["stage"], {}))
        cls = cfg.pop("class", "")
        cfg.pop("name", None)
        reasons = ", ".join(f"{r} {v['n']:,}" for r, v in list(row["reasons"].items())[:3])
        rate = "" if row["pass_rate"] is None else f"{row['pass_rate']:.1%}"
        lines.append(f"| {i} | {row['stage']} | {_cell(cls)} | {_cell(_short(cfg))} | "
                     f"{row['in']:,} | {row['kept']:,} | {row['rejected']:,} | {rate} | "
                     f"{_cell(reasons)} |")
    return "\n".join(lines) + "\n"


def _scores(folder: OutputFolder) -> str:
    result, sketched = kept_percentiles(folder)
    if not result:
        return ""
    lines = ["## Scores of kept samples", "", "| column | stage | threshold | n | p5 | p50 | p95 |",
             "|---|---|---|---|---|---|---|"]
    for col, e in result.items():
        k = e["kept"]
        thr = "" if e["threshold"] is None else f"{e['direction']} {e['threshold']:g}"
        cells = ["" if k[p] is None else f"{k[p]:.4g}" for p in ("p5", "p50", "p95")]
        lines.append(f"| {col} | {e['stage'] or ''} | {thr} | {k['n']:,} | {' | '.join(cells)} |")
    if sketched:
        lines += ["", f"Percentiles from mergeable KLL sketches (k={K}) of each unit's kept scores: "
                  f"exact for a column of at most {K} values, else within about 1.3% in rank."]
    return "\n".join(lines) + "\n"


def _layout(folder: OutputFolder, docs: bool) -> str:
    size = sum(int(s.get("bytes", 0)) for s in folder.shards)
    member = ("`{key}.json` (the document in the OBELICS schema: `images` URLs and `texts` in "
              "reading order, per-position `metadata`, `general_metadata`, and loomery's fields "
              "beside them) and `{key}.images.mp` (MessagePack: the image bytes at each "
              "position, empty at text positions)") if docs else (
              "`{key}.jpg|png|webp` (image), `{key}.txt` (alt-text), `{key}.json` (the "
              "img2dataset/DataComp columns `key`, `uid`, `url`, `caption`, `status`, "
              "`error_message`, `width`, `height`, `original_width`, `original_height`, "
              "`sha256`, then every other column: scores, synthetic captions "
              "`caption_<variant>` with provenance, claims and verdicts; null values left out)")
    return "\n".join([
        "## Files", "",
        f"- `shards/train-NNNNN.tar`: {len(folder.shards)} WebDataset shards, {size:,} bytes; "
        f"each sample is {member}. `shards/__len__`: the sample total (open_clip reads it).",
        "- `metadata/train-NNNNN.parquet`: the same records' columns, one row per sample, same "
        "order (pairs also name the caption `text`, as DataComp's metadata does); "
        "`metadata/sizes.json` and `metadata/train-NNNNN_stats.json`: samples per shard.",
        "- `rejects/*.parquet`: every rejected record with `stage`, `reason`, `score`, "
        "`threshold`.",
        "- `manifest.json`: the resolved job, models, counts and every file's sha256 "
        "(`loomery verify` checks them); `stats.json`: per-stage counts, times, histograms, "
        "quantile sketches.",
        ""])


def _holds_documents(folder: OutputFolder) -> bool:
    for sample in folder.samples(limit=1):
        return isinstance(sample.meta().get("texts"), list)
    return False


def _short(value, limit: int = 160) -> str | None:
    if value in (None, "", {}, []):
        return None
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(value) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")
