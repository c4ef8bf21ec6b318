"""The folders of tasks/totango_sf are stages: a module never imports from a higher one.

Order, lowest first: config < metadata < render < merge < org < steps < cli, cci.
The two shells (cli and cci) sit side by side at the top and may not import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tasks" / "totango_sf"
RANK = {
    "config": 0,
    "metadata": 1,
    "render": 2,
    "merge": 3,
    "org": 4,
    "steps": 5,
    "cli": 6,
    "cci": 6,
}
PREFIX = "tasks.totango_sf."


def imported_modules(source: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def stage_of(module: str) -> str | None:
    if not module.startswith(PREFIX):
        return None
    return module[len(PREFIX) :].split(".", 1)[0]


def layering_violations(folder: str, source: str) -> list[str]:
    own = RANK[folder]
    problems = []
    for name in imported_modules(source):
        stage = stage_of(name)
        if stage is None or stage not in RANK or stage == folder:
            continue
        if RANK[stage] > own or (RANK[stage] == own and stage != folder):
            problems.append(f"{folder} imports {name} ({stage} is not below {folder})")
    return problems


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE)


def test_every_folder_is_a_known_stage():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    folders.discard("templates")
    assert folders == set(RANK)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_from_its_own_stage_or_below(path: Path):
    folder = path.relative_to(PACKAGE).parts[0]
    assert layering_violations(folder, path.read_text(encoding="utf-8")) == []


def test_the_check_catches_an_upward_import_and_a_shell_to_shell_import():
    assert layering_violations("merge", "from tasks.totango_sf.org.deploy import run\n")
    assert layering_violations("config", "import tasks.totango_sf.metadata.xml\n")
    assert layering_violations("cli", "from tasks.totango_sf.cci import org\n")
    assert not layering_violations("org", "from tasks.totango_sf.merge.layout import x\n")


def test_each_folder_init_is_one_docstring_line_and_no_reexports():
    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert len(tree.body) == 1, init
        assert isinstance(tree.body[0], ast.Expr), init
        assert "\n" not in ast.get_docstring(tree, clean=False).strip(), init
