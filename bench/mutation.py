"""Mutation scores of the modules that decide what reaches an org. Prints figures.

    .venv/bin/python bench/mutation.py [MODULE ...] [--min PERCENT] [--show-survivors]

Each module is mutated by mutmut on its own, in a scratch copy of the project, with only
its own unit test file as the runner: a mutant counts as killed only when that module's
tests notice it, not when some slow end-to-end test happens to. Modules run one after
another, each with one worker, so a run stays gentle on a shared machine.

The score is killed / (killed + survived + timeout + suspicious); mutants no test
reaches count as survivors. ``--min`` makes the exit status 1 when a module scores
below it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# module under tasks/totango_sf -> its own unit tests
MODULES = {
    "config/ip_ranges.py": "tests/test_ip_ranges.py",
    "merge/security.py": "tests/test_security_patch.py",
    "merge/layout.py": "tests/test_layout_patch.py",
    "metadata/order.py": "tests/test_schema_order.py",
    "metadata/compare.py": "tests/test_metadata_compare.py",
    "merge/flexipage.py": "tests/test_flexipage_merge_units.py",
    "merge/record_pages.py": "tests/test_record_pages_units.py",
    "merge/record_page_plan.py": "tests/test_record_page_plan_units.py",
    "merge/layout_audience.py": "tests/test_layout_audience_units.py",
    "merge/org_default.py": "tests/test_org_default_units.py",
}

KILLED = {"killed", "caught by type check"}
COUNTED = KILLED | {"survived", "timeout", "suspicious", "no tests"}


def _config(module: str, tests: str) -> str:
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["tasks"]\n'
        f'only_mutate = ["tasks/totango_sf/{module}"]\n'
        f'pytest_add_cli_args_test_selection = ["{tests}"]\n'
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]\n'
        "use_git_change_detection = false\n"
    )


def _scratch_copy(module: str, tests: str, into: Path) -> None:
    for name in ("tasks", "tests"):
        shutil.copytree(
            ROOT / name, into / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (into / "pyproject.toml").write_text(pyproject + _config(module, tests), encoding="utf-8")
    # The tests look for shared test data beside the checkout; mutmut runs them from
    # mutants/, so the data is linked beside that too.
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (into / "shared").symlink_to(shared)


def _results(workdir: Path) -> dict[str, str]:
    out = subprocess.run(
        [str(BIN / "mutmut"), "results", "--all", "true"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, str] = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and status in COUNTED:
            found[name] = status
    return found


def run_module(module: str, show_survivors: bool) -> dict[str, object]:
    tests = MODULES[module]
    with tempfile.TemporaryDirectory(prefix="totango-mutation-") as tmp:
        workdir = Path(tmp) / "project"
        workdir.mkdir()
        _scratch_copy(module, tests, workdir)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        subprocess.run(
            [str(BIN / "mutmut"), "run", "--max-children", "1"],
            cwd=workdir,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        results = _results(workdir)
        survivors = sorted(n for n, s in results.items() if s not in KILLED)
        if show_survivors:
            for name in survivors:
                shown = subprocess.run(
                    [str(BIN / "mutmut"), "show", name],
                    cwd=workdir,
                    capture_output=True,
                    text=True,
                ).stdout
                print(f"--- {name} ({results[name]})\n{shown}", file=sys.stderr)
    killed = sum(1 for s in results.values() if s in KILLED)
    total = len(results)
    return {
        "module": module,
        "tests": tests,
        "killed": killed,
        "total": total,
        "score": round(100 * killed / total, 1) if total else 100.0,
        "survivors": survivors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], default=[])
    parser.add_argument("--min", type=float, default=None, help="fail below this score (%%)")
    parser.add_argument("--show-survivors", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [run_module(m, args.show_survivors) for m in (args.modules or list(MODULES))]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'module':<24} {'killed':>7} {'total':>6} {'score':>7}  tests")
        for row in rows:
            print(
                f"{row['module']:<24} {row['killed']:>7} {row['total']:>6} "
                f"{row['score']:>6}%  {row['tests']}"
            )
    if args.min is not None and any(float(str(r["score"])) < args.min for r in rows):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
