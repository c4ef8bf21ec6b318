"""Where an offline ``totango-sf plan`` spends its instructions, phase by phase.

    .venv/bin/python bench/plan_phases.py

Needs valgrind. Wall times on a shared machine move with the load; instruction counts
(``valgrind --tool=callgrind``) do not, so each phase is measured as the difference
between two runs that stop before and after it. Every run is a fresh process with
bytecode caching on and warm caches (schema, templates), as a user's second run is.
The phases follow ``plan``'s own order; the first imports of a library are counted in
the phase that first needs it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from bench.plan import STACK_FLOOR  # noqa: E402 - after the path set-up

# Each phase ends where the next one starts; the script stops after phase STOP.
STEPS = """
import os, sys
from pathlib import Path
STOP = int(os.environ["STOP"])
OUT = Path(os.environ["OUT"])
def done(step):
    if step == STOP:
        raise SystemExit(0)
import typer
import tasks.totango_sf.cli.app as app
import tasks.totango_sf.cli.output as output
import tasks.totango_sf.cli.session as session
done(1)
group = typer.main.get_command(app.app_for(["plan"]))
done(2)
import typer._adapters
done(3)
group.commands["plan"].make_context("plan", ["--out", str(OUT)])
done(4)
import tasks.totango_sf.config.model
done(5)
cfg = session.load_config_or_exit(None, None, False)
done(6)
from tasks.totango_sf.render.plan import build_plan, plan_files, write_files
done(7)
plan = build_plan(cfg)
files = plan_files(plan, "mdapi")
done(8)
from tasks.totango_sf.metadata.schema import load_schema
load_schema().validate_bytes(files["package/package.xml"])
done(9)
write_files(files, OUT)
done(10)
output.out.size  # builds the console: imports rich
from rich.table import Table
done(11)
output.print_component_table(plan.table_rows(), "Totango setup plan (offline)")
output.print_warnings(plan.warnings)
done(12)
"""

PHASES = [
    ("start the interpreter (python -c pass)", None),
    ("import typer and the command line's app and output", 1),
    ("import the plan command; typer builds it (options, type hints)", 2),
    ("import pydantic (typer's option adapters need it)", 3),
    ("typer builds plan's option adapters and parses", 4),
    ("import the config model (pyyaml, importlib.metadata, 13 models)", 5),
    ("read and validate the config", 6),
    ("import render and schema code (jinja2, lxml)", 7),
    ("render the package (templates from the bytecode cache)", 8),
    ("load the cut-down schema from its cache (plan: on a second thread)", 9),
    ("validate every file, write them", 10),
    ("import rich, build the console", 11),
    ("render and print the plan table", 12),
]


def instructions(command: list[str], env: dict[str, str]) -> int:
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Collected : (\d+)", done.stderr)
    assert match, done.stderr[-2000:]
    return int(match.group(1))


def main() -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed: apt-get install valgrind")
    out = Path(tempfile.mkdtemp())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["OUT"] = str(out)
    try:
        plan = [str(BIN / "totango-sf"), "plan", "--out", str(out)]
        subprocess.run(plan, cwd=ROOT, env=env, capture_output=True, check=True)  # warm caches
        bare = instructions([sys.executable, "-c", "pass"], env)
        floor = instructions([sys.executable, "-c", STACK_FLOOR], env)
        counts = [bare]
        for _, stop in PHASES[1:]:
            counts.append(instructions([sys.executable, "-c", STEPS], {**env, "STOP": str(stop)}))
        whole = instructions(plan, env)
        help_count = instructions([str(BIN / "totango-sf"), "--help"], env)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print("offline plan, default config, instructions per phase (valgrind --tool=callgrind):")
    previous = 0
    for (label, _), count in zip(PHASES, counts, strict=True):
        print(f"  {(count - previous) / 1e6:7.0f} M  {label}")
        previous = count
    print(f"  {counts[-1] / 1e6:7.0f} M  sum of the phases")
    print(f"  {whole / 1e6:7.0f} M  totango-sf plan ({whole / bare:.1f}x python -c pass)")
    print(f"  {floor / 1e6:7.0f} M  the stack alone, no toolkit code (bench/plan.py STACK_FLOOR)")
    ratio = help_count / bare
    print(f"  {help_count / 1e6:7.0f} M  totango-sf --help ({ratio:.1f}x python -c pass)")


if __name__ == "__main__":
    main()
