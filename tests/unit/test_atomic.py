"""engine/atomic.py: a failed write leaves the old file and no temporary; JSON as the runner
writes it."""

import json

import pytest

from engine.atomic import TMP_MARK, atomic_path, write_json, write_text


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "manifest.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half of the new")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_writes_replace_the_target_through_a_hidden_temporary(tmp_path):
    target = tmp_path / "README.md"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".README.md" + TMP_MARK)
        tmp.write_text("x")
    write_text(target, "é\n")
    assert target.read_text(encoding="utf-8") == "é\n"
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]


def test_json_is_indented_or_compact_with_a_final_newline(tmp_path):
    write_json(tmp_path / "a.json", {"k": ["é", 1]})
    write_json(tmp_path / "b.json", [{"k": 1}], compact=True)
    assert (tmp_path / "a.json").read_text(encoding="utf-8") == '{\n  "k": [\n    "é",\n    1\n  ]\n}\n'
    assert (tmp_path / "b.json").read_text() == '[{"k":1}]\n'
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == {"k": ["é", 1]}
