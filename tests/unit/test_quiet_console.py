"""Ray's boilerplate is hidden by logger name unless verbose; the CLI's help shows defaults."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from engine.runner import console
from loomery.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_verbose():
    yield
    console.set_verbose(False)
    console.prepare_ray_console()


def test_boilerplate_loggers_are_quiet_unless_verbose(restore_verbose):
    console.set_verbose(False)
    console.prepare_ray_console()
    for name in console.QUIET_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.WARNING)
        assert logging.getLogger(name).isEnabledFor(logging.ERROR)  # Ray's errors still show
    console.set_verbose(True)
    console.prepare_ray_console()
    for name in console.QUIET_LOGGERS:
        assert logging.getLogger(name).isEnabledFor(logging.WARNING)


def test_verbose_is_accepted_before_and_after_the_command():
    parser = build_parser()
    assert parser.parse_args(["-v", "run", "demo", "--input", "i", "--out", "o"]).verbose
    assert parser.parse_args(["run", "demo", "--input", "i", "--out", "o", "--verbose"]).verbose
    assert not parser.parse_args(["run", "demo", "--input", "i", "--out", "o"]).verbose
    assert parser.parse_args(["demo", "--out", "o", "--verbose"]).verbose


def help_of(*command: str) -> str:
    result = subprocess.run([sys.executable, "-m", "loomery.cli", *command, "--help"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return " ".join(result.stdout.split())  # undo argparse's line wrapping


def test_help_shows_defaults():
    assert "--records RECORDS image-text records to generate (default: 300)" in help_of("demo")
    dedup = help_of("dedup")
    assert "--num-perm NUM_PERM default: 128" in dedup  # an option without help text
    assert "(default: exact)" in dedup
    run = help_of("run")
    assert "default: as many as the cluster's CPUs allow" in run
    assert "(default: None)" not in run and "(default: False)" not in run and "(default: [])" not in run
