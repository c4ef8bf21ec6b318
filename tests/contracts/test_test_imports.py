"""No test module imports another: what tests share lives in tests/support and in fixtures.

A test module imported by another runs its module code twice under two names, hands its
fixtures over as if they were helpers, and ties the two files' fates together (a unit
test importing an end-to-end module drags the emulator into the unit tier). Every module
under tests/ is parsed, imports inside functions included, and ``pytest_plugins`` too;
importing from ``tests.support`` and ``tests.org_emulator`` is what they are for.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import REPO_ROOT


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_test_module(name: str, root: Path) -> bool:
    """``name`` is a module under tests/ named test_* (or a conftest.py)."""
    if not name.startswith("tests."):
        return False
    file = root.joinpath(*name.split(".")).with_suffix(".py")
    return file.is_file() and (file.name.startswith("test_") or file.name == "conftest.py")


def imported_names(path: Path, root: Path) -> list[tuple[int, str]]:
    """Each module ``path`` may import, with its line: ``from a import b`` names both
    ``a`` and ``a.b`` (b may be a module), relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            found += [
                (node.lineno, item.value)
                for item in ast.walk(node.value)
                if isinstance(item, ast.Constant) and isinstance(item.value, str)
            ]
    return found


def imports_of_test_modules(root: Path) -> list[str]:
    """``path:line imports module`` for every import of a test module under root/tests."""
    violations = []
    for path in sorted((root / "tests").rglob("*.py")):
        for line, name in sorted(imported_names(path, root)):
            if is_test_module(name, root):
                violations.append(f"{path.relative_to(root)}:{line} imports {name}")
    return violations


def test_no_test_module_imports_another():
    assert imports_of_test_modules(REPO_ROOT) == []


def test_the_check_finds_every_way_of_importing_a_test_module(tmp_path):
    def write(rel: str, text: str = "") -> None:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    for package in ("tests", "tests/e2e", "tests/support", "tests/org_emulator"):
        write(f"{package}/__init__.py")
    write("tests/conftest.py", 'pytest_plugins = ["tests.org_emulator.fixtures"]\n')
    write("tests/org_emulator/fixtures.py")
    write("tests/support/cli.py", "def cli(): ...\n")
    write("tests/support/latest.py", "LEVELS = ()\n")  # "test" in its name, not a test
    write("tests/e2e/test_b.py", "def helper(): ...\n")
    write(
        "tests/e2e/test_a.py",
        "from tests.support.cli import cli\n"
        "from tests.support import latest\n"
        "from tests.org_emulator.fixtures import *\n"
        "from tests.e2e.test_b import helper\n"
        "from tests.e2e import test_b\n"
        "import tests.e2e.test_b\n"
        "from .test_b import helper as again\n"
        "from . import test_b as b\n"
        "import tests.conftest\n"
        "\n"
        "def test_x():\n"
        "    from tests.e2e.test_b import helper  # a lazy import counts too\n",
    )
    write("tests/support/uses.py", "from tests.e2e.test_b import helper\n")
    write("tests/e2e/conftest.py", 'pytest_plugins = ["tests.e2e.test_b"]\n')

    assert imports_of_test_modules(tmp_path) == [
        "tests/e2e/conftest.py:1 imports tests.e2e.test_b",
        "tests/e2e/test_a.py:4 imports tests.e2e.test_b",
        "tests/e2e/test_a.py:5 imports tests.e2e.test_b",
        "tests/e2e/test_a.py:6 imports tests.e2e.test_b",
        "tests/e2e/test_a.py:7 imports tests.e2e.test_b",
        "tests/e2e/test_a.py:8 imports tests.e2e.test_b",
        "tests/e2e/test_a.py:9 imports tests.conftest",
        "tests/e2e/test_a.py:12 imports tests.e2e.test_b",
        "tests/support/uses.py:1 imports tests.e2e.test_b",
    ]
