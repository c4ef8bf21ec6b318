"""Timings of the offline path. Prints figures; asserts nothing.

    .venv/bin/python bench/plan.py [--runs N]

1. `python -c pass` (the bare interpreter), the stack's floor (its imports, one pydantic
   model and a one-row rich table, no toolkit code: ``STACK_FLOOR``), then
   `totango-sf plan` on the default config
   and `totango-sf --help`, each a fresh process, side by side in one run: median wall
   time, median CPU time (user + system) and the best wall time (on a shared machine the
   least disturbed run; `bench/plan_phases.py` counts instructions, which the load does
   not move). `plan` is shown with a cold schema cache (first run after install) and a
   warm one;
2. `apply` on generated Metadata API projects of growing size (layouts x IP ranges), to
   show the cost grows linearly;
3. `cci --help` for comparison.

Child processes run with bytecode writing on (as an installed tool does), after one
warm-up run, whatever PYTHONDONTWRITEBYTECODE says in the calling shell.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

# The least any `plan` on this stack can cost: import what it is built on (typer with
# the pydantic adapters it builds options with, pyyaml, jinja2, lxml, rich), define and
# validate one pydantic model and print a one-row rich table, then end as `totango-sf`
# does (gc.freeze, see cli/app.py run). None of the toolkit's work.
STACK_FLOOR = """
import gc, typer, typer._adapters, yaml, jinja2, lxml.etree
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
class Config(BaseModel):
    height: int
Config(height=290)
table = Table("type", "name")
table.add_row("Layout", "Account-Account Layout")
Console().print(table)
gc.freeze()
"""

LAYOUT = """<?xml version="1.0" encoding="UTF-8"?>
<Layout xmlns="http://soap.sforce.com/2006/04/metadata">
    <layoutSections>
        <customLabel>false</customLabel>
        <detailHeading>false</detailHeading>
        <editHeading>true</editHeading>
        <label>Information</label>
        <layoutColumns>
            <layoutItems>
                <behavior>Required</behavior>
                <field>Name</field>
            </layoutItems>
        </layoutColumns>
        <style>OneColumn</style>
    </layoutSections>
    <showEmailCheckbox>false</showEmailCheckbox>
</Layout>
"""


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def one_run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_seconds(
    command: list[str], runs: int, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """Median wall, median CPU and best wall seconds."""
    env = env or child_env()
    one_run(command, env)  # warm-up: bytecode and schema caches
    samples = [one_run(command, env) for _ in range(runs)]
    return (
        statistics.median(s[0] for s in samples),
        statistics.median(s[1] for s in samples),
        min(s[0] for s in samples),
    )


def show(label: str, figures: tuple[float, ...], bare: tuple[float, float, float] | None) -> None:
    wall, cpu = figures[0], figures[1]
    best = f"  best {figures[2] * 1000:5.0f} ms" if len(figures) > 2 else ""
    ratio = f"  ({wall / bare[0]:.1f}x / {cpu / bare[1]:.1f}x the bare interpreter)" if bare else ""
    print(f"  {label:<34} wall {wall * 1000:5.0f} ms  cpu {cpu * 1000:5.0f} ms{best}{ratio}")


def security_settings(count: int) -> str:
    ranges = "".join(
        f"<ipRanges><description>existing</description><end>10.{i // 250}.{i % 250}.9</end>"
        f"<start>10.{i // 250}.{i % 250}.1</start></ipRanges>"
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<SecuritySettings xmlns="http://soap.sforce.com/2006/04/metadata">'
        f"<networkAccess>{ranges}</networkAccess></SecuritySettings>\n"
    )


def make_project(root: Path, layouts: int, ranges: int) -> None:
    (root / "layouts").mkdir(parents=True)
    (root / "settings").mkdir()
    for i in range(layouts):
        (root / "layouts" / f"Account-Layout {i:03d}.layout").write_text(LAYOUT)
    (root / "settings" / "Security.settings").write_text(security_settings(ranges))
    (root / "package.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Package xmlns="http://soap.sforce.com/2006/04/metadata"><version>63.0</version></Package>\n'
    )


def time_apply(layouts: int, ranges: int) -> float:
    from tasks.totango_sf.config.model import build_config
    from tasks.totango_sf.merge.source_dir import apply_to_source

    addresses = [f"172.{16 + i // 250}.{i % 250}.1" for i in range(ranges)]
    config = build_config(
        {"widget": {"layouts": ["Account-*"]}, "trusted_ip_ranges": {"addresses": addresses}}
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, layouts, ranges)
        start = time.perf_counter()
        apply_to_source(config, root)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    out = Path(tempfile.mkdtemp())
    plan = [str(BIN / "totango-sf"), "plan", "--out", str(out)]
    try:
        bare = median_seconds([sys.executable, "-c", "pass"], runs)
        floor = median_seconds([sys.executable, "-c", STACK_FLOOR], runs)
        cold_cache = Path(tempfile.mkdtemp())
        cold = one_run(plan, child_env(TOTANGO_SF_CACHE=str(cold_cache)))
        shutil.rmtree(cold_cache, ignore_errors=True)
        warm = median_seconds(plan, runs)
        helped = median_seconds([str(BIN / "totango-sf"), "--help"], runs)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"new processes, median of {runs} runs (one run for the cold cache):")
    show("python -c pass", bare, None)
    show("the stack alone (see STACK_FLOOR)", floor, bare)
    show("totango-sf plan (cold schema cache)", cold, bare)
    show("totango-sf plan", warm, bare)
    show("totango-sf --help", helped, bare)

    from tasks.totango_sf.metadata.schema import load_schema

    load_schema()  # built once per process; keep it out of the apply figures
    print("apply (Metadata API project; existing ranges = new ranges):")
    print(f"  {'layouts':>7} {'ranges':>7} {'seconds':>8} {'ms/layout+100 ranges':>22}")
    for layouts, ranges in [(10, 200), (25, 500), (50, 1000)]:
        seconds = time_apply(layouts, ranges)
        unit = seconds / (layouts + ranges / 100) * 1000
        print(f"  {layouts:>7} {ranges:>7} {seconds:>8.3f} {unit:>22.1f}")

    cci = median_seconds([str(BIN / "cci"), "--help"], runs)
    print(f"cci --help: wall {cci[0] * 1000:.0f} ms, cpu {cci[1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
