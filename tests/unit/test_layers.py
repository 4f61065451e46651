"""The layer rule (DESIGN.md): ``schemas`` at the bottom, then ``engine``, then ``filters`` and
``recaption``, then ``jobs`` and the command line (``loomery``). A lower layer never imports a
higher one: every import statement of every module is read (ast), at module level or inside a
function alike."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "schemas": {"engine", "filters", "recaption", "jobs", "loomery"},
    "engine": {"filters", "recaption", "jobs", "loomery"},
    "filters": {"jobs", "loomery"},
    "recaption": {"jobs", "loomery"},
}


def imported_packages(path: Path, package: str) -> set[tuple[str, int]]:
    """(top-level package, line) of every import in the module at ``path`` of ``package``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            # a relative import stays inside its own package (no module here climbs above it)
            top = node.module.split(".")[0] if node.level == 0 and node.module else package
            found.add((top, node.lineno))
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_layer_imports_a_higher_one(package):
    assert modules(package), f"no modules found under {package}/"
    offences = [
        f"{path.relative_to(ROOT)}:{line} imports {top}"
        for path in modules(package)
        for top, line in sorted(imported_packages(path, package))
        if top in FORBIDDEN[package]
    ]
    assert not offences, f"{package} must not import {sorted(FORBIDDEN[package])}:\n" + "\n".join(offences)


def test_the_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from filters.dedup import NearDuplicates\n    import jobs.pairs\n")
    assert imported_packages(module, "engine") == {("os", 1), ("filters", 4), ("jobs", 5)}
