"""The recorded mutation scores (bench/mutation_scores.json) are of the code as it is.

Each score is recorded beside the sha256 of the module it was measured on. A module
edited since fails here, naming the command that measures it again, so a score never
outlives the code it describes. Every recorded score is also held to the floor
(bench/mutation.py's REQUIRED). Nothing here runs mutmut.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.paths import REPO_ROOT


def _bench_mutation() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_mutation", REPO_ROOT / "bench" / "mutation.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mutation = _bench_mutation()


def test_every_recorded_score_is_of_the_module_as_it_is_now():
    problems = mutation.outdated_scores(mutation.load_scores())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", list(mutation.MODULES))
def test_every_scored_module_scores_at_least_the_floor(module):
    record = mutation.load_scores().get(module)
    assert record is not None, f"no score recorded; {mutation.remeasure_command(module)}"
    assert record["total"] > 0
    assert record["score"] == round(100 * record["killed"] / record["total"], 1)
    assert record["score"] >= mutation.REQUIRED, (
        f"{module} scores {record['score']}% (< {mutation.REQUIRED}%); add unit tests to "
        f"{record['tests']} and re-measure with {mutation.remeasure_command(module)}"
    )


def test_every_record_names_the_test_file_it_was_measured_with():
    for module, record in mutation.load_scores().items():
        assert record["tests"] == mutation.MODULES[module]
        assert (REPO_ROOT / record["tests"]).is_file()
        assert set(record) >= {"sha256", "killed", "total", "score", "mutmut", "date"}


TABLE_ROW = re.compile(r"^\| `([^`]+)` \| `([^`]+)` \| (\d+) / (\d+) \| ([\d.]+)% \|$", re.M)


def test_the_documented_table_is_the_recorded_scores():
    page = (REPO_ROOT / "docs" / "mutation.md").read_text(encoding="utf-8")
    documented = [
        (module, tests, int(killed), int(total), float(score))
        for module, tests, killed, total, score in TABLE_ROW.findall(page)
    ]
    recorded = [
        (module, r["tests"], r["killed"], r["total"], r["score"])
        for module, r in mutation.load_scores().items()
    ]
    assert documented == recorded, "docs/mutation.md's table differs from the recorded scores"


# The check itself, on a scratch source tree.


def _tree(tmp_path: Path) -> Path:
    for module in mutation.MODULES:
        path = tmp_path / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {module}\n", encoding="utf-8")
    return tmp_path


def _current(root: Path) -> dict[str, dict[str, object]]:
    return {
        module: {"sha256": mutation.module_sha256(root / module), "score": 95.0}
        for module in mutation.MODULES
    }


def test_check_passes_when_every_hash_matches(tmp_path):
    root = _tree(tmp_path)
    assert mutation.outdated_scores(_current(root), root) == []


def test_check_catches_a_changed_module_and_names_the_command(tmp_path):
    root = _tree(tmp_path)
    scores = _current(root)
    changed = "merge/security.py"
    with (root / changed).open("a", encoding="utf-8") as handle:
        handle.write("x = 1\n")
    assert mutation.outdated_scores(scores, root) == [
        f"{changed} changed since its mutation score (95.0%) was taken; "
        f"re-measure with ./dev mutation {changed} --record"
    ]


def test_check_catches_a_removed_module(tmp_path):
    root = _tree(tmp_path)
    scores = _current(root)
    (root / "metadata" / "order.py").unlink()
    [problem] = mutation.outdated_scores(scores, root)
    assert problem.startswith("metadata/order.py changed since its mutation score")


def test_check_catches_a_module_without_a_score_and_a_score_without_a_module(tmp_path):
    root = _tree(tmp_path)
    scores = _current(root)
    del scores["config/ip_ranges.py"]
    scores["merge/gone.py"] = {"sha256": "0" * 64, "score": 99.0}
    assert mutation.outdated_scores(scores, root) == [
        "config/ip_ranges.py has no recorded mutation score; measure it with "
        "./dev mutation config/ip_ranges.py --record",
        "merge/gone.py has a recorded mutation score but is not in bench/mutation.py's "
        "MODULES; drop its record or add it back",
    ]


def test_record_updates_the_measured_modules_and_keeps_the_others(tmp_path):
    path = tmp_path / "scores.json"
    first = {
        "module": "merge/layout.py",
        "tests": "tests/test_layout_patch.py",
        "killed": 9,
        "total": 10,
        "score": 90.0,
        "survivors": ["m_1"],
        "sha256": "a" * 64,
    }
    mutation.record_scores([first], path, mutmut_version="3.8.1", date="2026-01-02")
    second = {
        **first,
        "module": "config/ip_ranges.py",
        "tests": "tests/test_ip_ranges.py",
        "sha256": "b" * 64,
    }
    again = {**first, "killed": 10, "score": 100.0, "survivors": [], "sha256": "c" * 64}
    mutation.record_scores([second, again], path, mutmut_version="3.9.0", date="2026-02-03")
    written = json.loads(path.read_text(encoding="utf-8"))
    # MODULES order, whatever order they were measured in.
    assert list(written) == ["config/ip_ranges.py", "merge/layout.py"]
    assert written["merge/layout.py"] == {
        "sha256": "c" * 64,
        "killed": 10,
        "total": 10,
        "score": 100.0,
        "tests": "tests/test_layout_patch.py",
        "mutmut": "3.9.0",
        "date": "2026-02-03",
        "survivors": [],
    }
    assert written["config/ip_ranges.py"]["sha256"] == "b" * 64
    assert path.read_text(encoding="utf-8").endswith("}\n")
