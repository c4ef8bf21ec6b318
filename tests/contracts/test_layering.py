"""The folders of tasks/totango_sf are stages: a module never imports from a higher one.

Order, lowest first: config < metadata < render < merge < salesforce < state < org < steps
< cli, cci. The two shells (cli and cci) sit side by side at the top and may not import each
other. Inside a folder, modules may import each other, but never in a cycle (lazy imports
inside functions included: a cycle hidden in a function is still a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "tasks" / "totango_sf"
RANK = {
    "config": 0,
    "metadata": 1,
    "render": 2,
    "merge": 3,
    "salesforce": 4,
    "state": 5,
    "org": 6,
    "steps": 7,
    "cli": 8,
    "cci": 8,
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


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (``from a import b`` is ``a.b`` when
    ``a.b`` is a module, else ``a``)."""
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, source in sources.items():
        for imported in imported_modules(source):
            if imported in sources and imported != name:
                graph[name].add(imported)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_sources() -> dict[str, str]:
    return {
        module_name(p): p.read_text(encoding="utf-8")
        for p in (PACKAGE.parent / "__init__.py", *PACKAGE.rglob("*.py"))
        if p.exists()
    }


def test_no_import_cycle_anywhere_in_the_package():
    assert cycles(import_graph(package_sources())) == []


def test_the_cycle_check_finds_a_lazy_import_cycle():
    sources = {
        "tasks.totango_sf.org.a": "from tasks.totango_sf.org.b import x\n",
        "tasks.totango_sf.org.b": "def f():\n    from tasks.totango_sf.org import a\n",
        "tasks.totango_sf.org.c": "from tasks.totango_sf.org.a import y\n",
    }
    assert cycles(import_graph(sources)) == [["tasks.totango_sf.org.a", "tasks.totango_sf.org.b"]]


def test_no_module_under_tasks_is_named_like_a_test():
    named_like_tests = [
        str(p.relative_to(PACKAGE.parent))
        for p in PACKAGE.parent.rglob("*.py")
        if p.name.startswith("test_") or p.name.endswith("_test.py")
    ]
    assert named_like_tests == []


def parameter_count(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    args = function.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return len([n for n in names if n not in ("self", "cls")])


def wide_functions(source: str, limit: int = 8) -> list[str]:
    return [
        f"{node.name} ({parameter_count(node)})"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and parameter_count(node) > limit
    ]


def test_no_function_under_tasks_takes_more_than_eight_parameters():
    # More than a handful of parameters want to be an object (org/requests.py, the
    # commands' option dataclasses in cli/option_sets.py).
    wide = {
        str(p.relative_to(PACKAGE.parent)): found
        for p in PACKAGE.parent.rglob("*.py")
        if (found := wide_functions(p.read_text(encoding="utf-8")))
    }
    assert wide == {}
    assert wide_functions("def f(a, b, c, d, e, f, g, h, *, i): pass\n") == ["f (9)"]
    assert wide_functions("class C:\n    def m(self, a, b, c, d, e, f, g, h): pass\n") == []
