"""Mutation scores of the modules that decide what reaches an org. Prints figures.

    .venv/bin/python bench/mutation.py [MODULE ...] [--min PERCENT] [--show-survivors] [--record]

Each module is mutated by mutmut on its own, in a scratch copy of the project, with only
its own unit test file as the runner: a mutant counts as killed only when that module's
tests notice it, not when some slow end-to-end test happens to. Modules run one after
another, each with one worker, so a run stays gentle on a shared machine.

The score is killed / (killed + survived + timeout + suspicious); mutants no test
reaches count as survivors. ``--min`` makes the exit status 1 when a module scores
below it.

``--record`` writes each measured score into ``bench/mutation_scores.json`` beside the
sha256 of the module it was measured on (and the tests, mutmut version and date); the
other modules' records stay as they are. ``tests/contracts/test_mutation_scores_current.py``
fails when a recorded module has changed since, or scores below ``REQUIRED``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# module under tasks/totango_sf -> its own unit tests
MODULES = {
    "config/ip_ranges.py": "tests/unit/config/test_ip_ranges.py",
    "merge/security.py": "tests/unit/merge/test_security.py",
    "merge/layout.py": "tests/unit/merge/test_layout.py",
    "metadata/order.py": "tests/unit/metadata/test_order.py",
    "metadata/compare.py": "tests/unit/metadata/test_compare.py",
    "merge/flexipage.py": "tests/unit/merge/test_flexipage.py",
    "merge/record_pages.py": "tests/unit/merge/test_record_pages.py",
    "merge/record_page_plan.py": "tests/unit/merge/test_record_page_plan.py",
    "merge/layout_audience.py": "tests/unit/merge/test_layout_audience.py",
    "merge/org_default.py": "tests/unit/merge/test_org_default.py",
}

SCORES = ROOT / "bench" / "mutation_scores.json"
REQUIRED = 90.0  # every recorded score; the modules decide what reaches an org

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


def module_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def remeasure_command(module: str) -> str:
    return f"./dev mutation {module} --record"


def run_module(module: str, show_survivors: bool) -> dict[str, object]:
    tests = MODULES[module]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="totango-mutation-") as tmp:
        workdir = Path(tmp) / "project"
        workdir.mkdir()
        _scratch_copy(module, tests, workdir)
        # The hash of the copy mutmut mutates, not of a file that may change meanwhile.
        sha256 = module_sha256(workdir / "tasks" / "totango_sf" / module)
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
        "sha256": sha256,
        "seconds": round(time.monotonic() - started),
    }


def load_scores(path: Path = SCORES) -> dict[str, dict[str, object]]:
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def record_scores(
    rows: list[dict[str, object]],
    path: Path = SCORES,
    mutmut_version: str | None = None,
    date: str | None = None,
) -> dict[str, dict[str, object]]:
    """Write the measured rows into the scores file; other modules' records are kept."""
    scores = load_scores(path)
    version = mutmut_version or importlib.metadata.version("mutmut")
    day = date or datetime.datetime.now(datetime.UTC).date().isoformat()
    for row in rows:
        scores[str(row["module"])] = {
            "sha256": row["sha256"],
            "killed": row["killed"],
            "total": row["total"],
            "score": row["score"],
            "tests": row["tests"],
            "mutmut": version,
            "date": day,
            "survivors": row["survivors"],
        }
    ordered = {m: scores[m] for m in MODULES if m in scores}
    ordered.update({m: s for m, s in sorted(scores.items()) if m not in ordered})
    path.write_text(json.dumps(ordered, indent=2) + "\n", encoding="utf-8")
    return ordered


def outdated_scores(
    scores: dict[str, dict[str, object]], source_root: Path = ROOT / "tasks" / "totango_sf"
) -> list[str]:
    """One line per scored module whose file is no longer the one its score was taken on,
    and per module of MODULES without a score; each names the command that re-measures."""
    problems = []
    for module in MODULES:
        if module not in scores:
            problems.append(
                f"{module} has no recorded mutation score; measure it with "
                f"{remeasure_command(module)}"
            )
    for module, record in scores.items():
        if module not in MODULES:
            problems.append(
                f"{module} has a recorded mutation score but is not in bench/mutation.py's "
                "MODULES; drop its record or add it back"
            )
            continue
        path = source_root / module
        now = module_sha256(path) if path.exists() else "missing"
        if now != record.get("sha256"):
            problems.append(
                f"{module} changed since its mutation score ({record.get('score')}%) was "
                f"taken; re-measure with {remeasure_command(module)}"
            )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], default=[])
    parser.add_argument("--min", type=float, default=None, help="fail below this score (%%)")
    parser.add_argument("--show-survivors", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--record", action="store_true", help=f"write the scores into {SCORES.relative_to(ROOT)}"
    )
    args = parser.parse_args()
    rows = []
    for module in args.modules or list(MODULES):
        row = run_module(module, args.show_survivors)
        rows.append(row)
        if args.record:
            # Module by module: a long run that stops keeps what it measured.
            record_scores([row])
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'module':<24} {'killed':>7} {'total':>6} {'score':>7} {'time':>6}  tests")
        for row in rows:
            print(
                f"{row['module']:<24} {row['killed']:>7} {row['total']:>6} "
                f"{row['score']:>6}% {row['seconds']:>5}s  {row['tests']}"
            )
    if args.min is not None and any(float(str(r["score"])) < args.min for r in rows):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
