"""Deploy, verify and roll back on emulated orgs of growing size: what grows with the org.

    .venv/bin/python bench/scale.py [--quick] [--latency 0.05]

Each size is an enterprise org (``tests/org_emulator/enterprise.py``, built from the real
metadata in ../shared/corpus): profiles, record types and layouts per object, FlexiPages,
custom fields on Account and trusted ranges, the largest about a real enterprise org
(300 profiles, 50 record types and 70 layouts per object, 2,000 FlexiPages, 1,000 fields
on Account, 300 ranges). The emulator (the project's test double) runs in this process
with ``--latency`` seconds on every HTTP call; each command runs as its own
`totango-sf ... --json` process, so its peak memory is its own.

Printed per size and command: HTTP calls by kind, bytes sent and received (bodies),
zip sizes (retrieved, deployed), the command's peak memory (VmHWM, polled) and CPU seconds,
wall time (the emulator's own work is in it: it answers in this process); then
how each figure grows from one size to the next. `--quick` runs the two smallest sizes.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
REAL_LOOKING_IPS = ["8.8.8.8", "1.1.1.0/24"]

import tasks  # noqa: E402,F401  (our package before cumulusci's synthetic one)
from tests.org_emulator.enterprise import (  # noqa: E402
    EnterpriseSize,
    build_enterprise_state,
    corpus_folder,
)

SIZES = [
    ("XS", EnterpriseSize(profiles=10, record_types=2, layouts=3, flexipages=60, fields=30,
                          ip_ranges=10, list_views=5, validation_rules=3)),
    ("S", EnterpriseSize(profiles=30, record_types=5, layouts=7, flexipages=200, fields=100,
                         ip_ranges=30, list_views=10, validation_rules=6)),
    ("M", EnterpriseSize(profiles=100, record_types=17, layouts=24, flexipages=700,
                         fields=340, ip_ranges=100, list_views=20, validation_rules=12)),
    ("L", EnterpriseSize()),
]  # fmt: skip
KINDS = ("listMetadata", "retrieve", "checkStatus", "checkRetrieveStatus", "deploy",
         "checkDeployStatus", "query", "tooling_query")  # fmt: skip


@dataclass
class Run:
    command: str
    exit: int
    wall: float
    peak_mb: float
    cpu: float = 0.0  # the command's own user + system seconds
    kinds: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    received: int = 0
    retrieve_zips: list[int] = field(default_factory=list)
    deploy_zips: list[int] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(self.kinds.values())

    @property
    def growing_calls(self) -> int:
        """Retrieves and their polls: the calls allowed to grow (chunks)."""
        return sum(self.kinds[k] for k in ("retrieve", "checkStatus", "checkRetrieveStatus"))


def org_bytes(state) -> int:
    return sum(len(b) for by in state.components.values() for f in by.values() for b in f.values())


def _high_water_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM). Not ru_maxrss: a child's
    ru_maxrss counts the RSS of this process at fork time, and this process holds the
    emulated org, so every command would seem as large as the org."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_command(args: list[str], env: dict[str, str], emulator) -> Run:
    emulator.history.clear()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "totango-sf"), *args, "--json"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(process.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    peak_kb = 0
    while True:
        peak_kb = max(peak_kb, _high_water_kb(process.pid))
        if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
            break
        time.sleep(0.01)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    output = "".join(chunks)
    run = Run(args[0], process.returncode, time.perf_counter() - started, peak_kb / 1024,
              usage.ru_utime + usage.ru_stime)  # fmt: skip
    if run.exit not in (0, 3):
        print(f"    {args[0]} exited {run.exit}: {output[:300]}")
    for call in emulator.history:
        run.kinds[call.kind] += 1
        run.sent += call.detail.get("bytes_in", 0)
        run.received += call.detail.get("bytes_out", 0)
        if call.kind == "checkRetrieveStatus" and call.detail.get("zip_bytes"):
            run.retrieve_zips.append(call.detail["zip_bytes"])
        if call.kind == "deploy":
            run.deploy_zips.append(call.detail.get("zip_bytes", 0))
    return run


def measure(name: str, size: EnterpriseSize, latency: float, work: Path) -> tuple[int, list[Run]]:
    from tests.org_emulator.emulator import OrgEmulator

    started = time.perf_counter()
    state = build_enterprise_state(size)
    built = time.perf_counter() - started
    emulator = OrgEmulator(state, work / name, deploy_polls=1, persist=False).start()
    emulator.faults.latency(latency, "*")
    env = {**os.environ, **emulator.env("scale"), "HOME": str(work / "home")}
    config = work / "totango.yml"
    config.write_text(json.dumps({"trusted_ip_ranges": {"addresses": REAL_LOOKING_IPS}}))
    common = ["--org", "scale", "--config", str(config)]
    size_bytes = org_bytes(state)
    print(f"\n{name}: {size.describe()}; org metadata {size_bytes / 1e6:.1f} MB"
          f" (seeded in {built:.1f} s)")  # fmt: skip
    try:
        runs = [
            run_command(["deploy", *common], env, emulator),
            run_command(["verify", *common], env, emulator),
            run_command(["rollback", *common], env, emulator),
        ]
    finally:
        emulator.stop()
    print(f"  {'command':<9} {'exit':>4} {'calls':>5} {'wall s':>7} {'CPU s':>6} {'peak MB':>8}"
          f" {'sent KB':>8} {'recv KB':>9} {'retrieve zips KB':>22}"
          f" {'deploy zip KB':>13}")  # fmt: skip
    for run in runs:
        zips = "+".join(f"{z / 1024:.0f}" for z in run.retrieve_zips) or "-"
        deploy = "+".join(f"{z / 1024:.0f}" for z in run.deploy_zips) or "-"
        print(f"  {run.command:<9} {run.exit:>4} {run.calls:>5} {run.wall:>7.1f} {run.cpu:>6.1f}"
              f" {run.peak_mb:>8.0f} {run.sent / 1024:>8.0f} {run.received / 1024:>9.0f}"
              f" {zips:>22} {deploy:>13}")  # fmt: skip
    print("  calls by kind: " + "; ".join(
        f"{run.command} " + ", ".join(f"{k} {run.kinds[k]}" for k in KINDS if run.kinds[k])
        + f", other {run.calls - sum(run.kinds[k] for k in KINDS)}"
        for run in runs
    ))  # fmt: skip
    return size_bytes, runs


def growth(results: list[tuple[str, int, list[Run]]], latency: float) -> None:
    print("\ngrowth from one size to the next (ratio of the larger to the smaller)")
    print(f"  {'step':<7} {'command':<9} {'org':>6} {'retrieved':>9} {'calls':>6}"
          f" {'fixed calls':>11} {'recv':>6} {'peak MB':>8} {'wall':>6}"
          f" {'wall-latency':>12} {'CPU':>6}")  # fmt: skip
    steps = zip(results, results[1:], strict=False)
    for (small, small_org, small_runs), (big, big_org, big_runs) in steps:
        for a, b in zip(small_runs, big_runs, strict=True):
            fixed_a, fixed_b = a.calls - a.growing_calls, b.calls - b.growing_calls
            compute_a = max(a.wall - a.calls * latency, 0.01)
            compute_b = max(b.wall - b.calls * latency, 0.01)
            print(
                f"  {small}->{big:<3} {a.command:<9} {big_org / small_org:>6.2f}"
                f" {_ratio(sum(b.retrieve_zips), sum(a.retrieve_zips)):>9}"
                f" {b.calls / a.calls:>6.2f} {fixed_b - fixed_a:>+11d}"
                f" {_ratio(b.received, a.received):>6} {b.peak_mb / a.peak_mb:>8.2f}"
                f" {b.wall / a.wall:>6.2f} {compute_b / compute_a:>12.2f} {b.cpu / a.cpu:>6.2f}"
            )


def _ratio(big: float, small: float) -> str:
    return f"{big / small:.2f}" if small else "-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="the two smallest sizes only")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds on every call")
    args = parser.parse_args()
    if corpus_folder() is None:
        print("skipped: ../shared/corpus is absent (the enterprise orgs are built from it)")
        return
    sizes = SIZES[:2] if args.quick else SIZES
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    print(f"latency {args.latency * 1000:.0f} ms per call, {os.cpu_count()} CPU(s)")
    results = []
    try:
        for name, size in sizes:
            org, runs = measure(name, size, args.latency, work)
            results.append((name, org, runs))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    growth(results, args.latency)


if __name__ == "__main__":
    main()
