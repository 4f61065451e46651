"""``loomery describe JOB`` and ``loomery run JOB --help``: every declared param and every stage;
params typed and checked against the job's declarations."""

import pytest

from engine.jobfile import build_job, load_job_module
from engine.params import Params
from engine.runner.phases import plan_phases
from loomery.cli import main
from loomery.commands.describe import describe

pytestmark = pytest.mark.usefixtures("empty_caches")


@pytest.mark.parametrize("name,params", [
    ("pairs", {}), ("docs", {}), ("demo", {}),
    ("pairs", {"models": "test-tiny", "ocr": "on", "clip_gpus": "0"}),
    ("docs", {"models": "test-tiny", "ocr": "on", "clip_gpus": "0"}),
])
def test_describe_lists_every_param_stage_and_phase(name, params, url_list):
    text = describe(name, Params(params))
    declared = load_job_module(name).PARAMS
    for param in declared:
        assert f"    {param.name} ({param.type_name}" in text, param.name
        assert param.help in text
    job = build_job(name, [url_list], "unused", params)
    stage_lines = [line for line in text.splitlines() if line[:6].strip().rstrip(".").isdigit()]
    assert [line.split()[1] for line in stage_lines] == [s.name for s in job.stages]
    assert [line.split()[2] for line in stage_lines] == [type(s).__name__ for s in job.stages]
    phases = plan_phases(job.stages)
    assert f"phase {len(phases)}/{len(phases)}: " in text and f"phase {len(phases) + 1}/" not in text
    assert all(note in text for note in job.notes)


def test_describe_shows_resources_and_defaults():
    text = describe("pairs", Params({"fetch_workers": "3", "fetch_cpus": "2"}))
    assert "fetch                  FetchImages (actors): cpus=2 gpus=0 concurrency=3" in text
    assert "image_size (int, default 256)" in text
    assert "image_size (int, default 512)" in describe("docs", Params({}))  # the docs job's own default
    assert "dedup_image_bits" not in describe("docs", Params({}))  # not a param of the docs job


def test_an_undeclared_param_fails(url_list, tmp_path):
    with pytest.raises(ValueError, match="unknown --param min_sid for job demo"):
        build_job("demo", [url_list], "unused", {"min_sid": "3"})
    assert main(["describe", "demo", "--param", "min_sid=3"]) == 2


def test_a_wrong_type_fails_naming_the_param(url_list):
    with pytest.raises(ValueError, match=r"min_side='abc' is not an integer \(min_side: int\)"):
        build_job("pairs", [url_list], "unused", {"min_side": "abc"})
    with pytest.raises(ValueError, match=r"dedup='maybe' is not true or false \(dedup: bool\)"):
        build_job("pairs", [url_list], "unused", {"dedup": "maybe"})
    with pytest.raises(ValueError, match=r"faces='hide': use blur, reject, count, off"):
        build_job("pairs", [url_list], "unused", {"faces": "hide"})


def test_reading_an_undeclared_name_is_an_error():
    values = load_job_module("demo").PARAMS.resolve({})
    assert values.min_side == 64
    with pytest.raises(AttributeError, match="not declared"):
        _ = values.min_sides


def test_run_help_lists_the_jobs_params(capsys):
    with pytest.raises(SystemExit) as done:
        main(["run", "docs", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--input INPUT" in out
    assert all(f"    {name} (" in out for name in load_job_module("docs").PARAMS.names())


def test_a_param_is_declared_once_and_groups_take_per_job_defaults():
    from engine.params import Param, ParamGroup, ParamSet

    group = ParamGroup("shared", Param("size", int, 256, "h"), Param("mode", str, "a", "h", choices=("a", "b")))
    with pytest.raises(ValueError, match="declared twice"):
        ParamSet(Param("size", int, 1, "h"), group)
    with pytest.raises(ValueError, match="declares no sise"):
        group.with_defaults(sise=512)
    values = ParamSet(group.with_defaults(size=512).without("mode")).resolve({})
    assert values.size == 512
    with pytest.raises(AttributeError):
        _ = values.mode
