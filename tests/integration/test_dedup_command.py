"""`loomery dedup` over Parquet and JSONL on a local Ray: planted near-duplicates across files
and chunks, ground truth from exact Jaccard; resume from a finished work folder."""

import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from filters.dedup.minhash import exact_jaccard, word_shingles
from loomery.cli import main as cli_main

pytestmark = pytest.mark.integration


def _collection(tmp_path):
    rng = random.Random(11)
    vocab = [f"v{i}" for i in range(4000)]
    docs = [" ".join(rng.choices(vocab, k=rng.randint(60, 120))) for _ in range(500)]
    planted = []
    for _ in range(80):
        src = rng.randrange(len(docs))
        words = docs[src].split()
        for _ in range(rng.choice([0, 1, 3, 6, 20])):
            words[rng.randrange(len(words))] = rng.choice(vocab)
        planted.append((src, len(docs)))
        docs.append(" ".join(words).upper() + " !!")  # normalisation folds case and punctuation
    ids = [f"doc-{i}" for i in range(len(docs))]
    folder = tmp_path / "in"
    folder.mkdir()
    half = len(docs) // 2
    pq.write_table(pa.table({"id": ids[:half], "text": docs[:half]}), folder / "a.parquet", row_group_size=64)
    with open(folder / "b.jsonl", "w") as f:
        for i in range(half, len(docs)):
            f.write(json.dumps({"id": ids[i], "text": docs[i]}) + "\n")
        f.write("{broken json\n")  # kept in place, never a duplicate
    return folder, docs, ids, planted


def test_dedup_command_finds_planted_duplicates_across_files_and_chunks(ray_local, tmp_path, capsys):
    folder, docs, ids, planted = _collection(tmp_path)
    out = tmp_path / "out"
    code = cli_main(
        [
            "dedup",
            "--input",
            str(folder),
            "--id-field",
            "id",
            "--text-field",
            "text",
            "--threshold",
            "0.8",
            "--out",
            str(out),
            "--chunk-rows",
            "100",
        ]
    )
    assert code == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["inputs"] == len(docs) + 1 and stats["chunks"] >= 6
    table = pq.read_table(out / "duplicates.parquet")
    assert table.column_names[:3] == ["id", "cluster", "dup_of"]
    index = {d: i for i, d in enumerate(ids)}
    dup_of = dict(zip(table["id"].to_pylist(), table["dup_of"].to_pylist(), strict=True))
    truth = {(a, b) for a, b in planted if exact_jaccard(word_shingles(docs[a]), word_shingles(docs[b])) >= 0.8}
    assert truth
    for a, b in truth:  # every true pair lands in one cluster, the earlier one kept
        assert ids[b] in dup_of and ids[a] in dup_of
        assert (
            table.filter(pa.compute.equal(table["id"], ids[a]))["cluster"][0]
            == table.filter(pa.compute.equal(table["id"], ids[b]))["cluster"][0]
        )
    for doc_id, keeper in dup_of.items():  # every reported pair is verified
        if keeper is not None:
            j = exact_jaccard(word_shingles(docs[index[keeper]]), word_shingles(docs[index[doc_id]]))
            assert j >= 0.8 - 1e-9 or any(  # or joined through a chain of verified pairs
                dup_of.get(x) == keeper for x in dup_of if x != doc_id
            )
            assert index[keeper] < index[doc_id]
    assert stats["duplicates"] == sum(v is not None for v in dup_of.values())
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["duplicates"] >= len(truth)

    # A second run over the same folder resumes from the finished work and agrees.
    before = pq.read_table(out / "duplicates.parquet")
    assert cli_main(["dedup", "--input", str(folder), "--out", str(out), "--chunk-rows", "100"]) == 0
    assert pq.read_table(out / "duplicates.parquet").equals(before)
    # Work made with other settings is never mixed in.
    assert (
        cli_main(["dedup", "--input", str(folder), "--out", str(out), "--chunk-rows", "100", "--threshold", "0.9"]) == 2
    )


def test_dedup_command_on_jsonl_with_keep_longest(ray_local, tmp_path):
    text = " ".join(f"w{i}" for i in range(40))
    path = tmp_path / "c.jsonl"
    rows = [
        {"id": 1, "text": text},
        {"id": 2, "text": text + " and a longer tail"},
        {"id": 3, "text": "unrelated words entirely here"},
        {"id": 4, "text": None},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    assert cli_main(["dedup", "--input", str(path), "--out", str(out), "--keep", "longest", "--threshold", "0.7"]) == 0
    table = pq.read_table(out / "duplicates.parquet").to_pylist()
    assert [(r["id"], r["dup_of"]) for r in table] == [(2, None), (1, 2)]


def test_dedup_command_reports_missing_input(tmp_path, capsys):
    assert cli_main(["dedup", "--input", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
