"""The command line imports only the module of the command it runs, and says the same either way."""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import loomery.commands
from loomery.cli import build_parser, command_of
from loomery.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_names_every_command_with_the_help_its_module_gives():
    assert set(COMMANDS) == {m.name for m in pkgutil.iter_modules(loomery.commands.__path__)}
    assert build_parser(load=set()).format_help() == build_parser().format_help()


def modules_after(argv: list[str]) -> tuple[str, list[str]]:
    code = ("import contextlib, io, json, sys\nfrom loomery.cli import main\nout = io.StringIO()\n"
            "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
            f"    main({argv!r})\n"
            "print(json.dumps([out.getvalue(), sorted(sys.modules)]))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True, timeout=120)
    return tuple(json.loads(result.stdout.strip().splitlines()[-1]))


def test_help_imports_no_command_module_nor_ray():
    text, loaded = modules_after(["--help"])
    assert all(f"    {name}" in text for name in COMMANDS)
    assert not [m for m in loaded if m.startswith("loomery.commands.") or m.split(".")[0] in ("ray", "engine")]


def test_a_command_imports_its_own_module_only(tmp_path):
    text, loaded = modules_after(["-q", "stats", "--help"])
    assert "--json" in text
    assert [m for m in loaded if m.startswith("loomery.commands.")] == ["loomery.commands.stats"]
    assert not [m for m in loaded if m.split(".")[0] == "ray"]


def test_the_command_is_the_first_word_that_is_not_an_option():
    assert command_of(["-q", "-v", "run", "demo", "--out", "o"]) == "run"
    assert command_of(["--help"]) is None and command_of([]) is None
