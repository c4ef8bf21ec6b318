"""A fleet deploy against many emulated orgs: wall time by --parallel, speed-up, memory.

    .venv/bin/python bench/fleet.py [--orgs 20] [--levels 1,4,8] [--latency 0.15]
                                      [--deploy-seconds 3]

Each org is its own emulator process (the project's test double) with ``--latency``
seconds on every HTTP call and deploys that take ``--deploy-seconds``. For each
level, every emulator is reseeded, then one `totango-sf deploy --org ... --parallel N
--json` process deploys to all of them. Printed per level: wall time, speed-up over
--parallel 1, how many orgs ended deployed, and the fleet process's peak memory.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REAL_LOOKING_IPS = ["8.8.8.8", "1.1.1.0/24"]


def serve_one(state: Path, ca_folder: Path, latency: float, deploy_seconds: float) -> None:
    """Child mode: seed one sandbox org, print its connection environment, serve."""
    sys.path.insert(0, str(ROOT))
    import tasks  # noqa: F401  (our package before cumulusci's synthetic one)
    from tests.org_emulator.emulator import OrgEmulator

    emulator = OrgEmulator.create(
        state,
        flavour="sandbox",
        load_existing=False,
        deploy_polls=1,
        deploy_seconds=deploy_seconds,
        ca_folder=ca_folder,
    ).start()
    emulator.faults.latency(latency, "*")
    print(json.dumps(emulator.env("org")), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emulator.stop()


def start_orgs(
    count: int, work: Path, latency: float, deploy_seconds: float
) -> tuple[list[subprocess.Popen[str]], dict[str, str]]:
    processes, env = [], {}
    for i in range(count):
        command = [
            sys.executable, __file__, "--serve-one", str(work / f"org{i:02d}"),
            "--ca", str(work / "ca"), "--latency", str(latency),
            "--deploy-seconds", str(deploy_seconds),
        ]  # fmt: skip
        processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT))
        if i == 0:  # the first one makes the shared CA; the others reuse it
            env.update(_org_env(processes[0], "fleet00"))
    for i, process in enumerate(processes[1:], start=1):
        env.update(_org_env(process, f"fleet{i:02d}"))
    return processes, env


def _org_env(process: subprocess.Popen[str], name: str) -> dict[str, str]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"emulator for {name} did not start")
    env = json.loads(line)
    env[f"CUMULUSCI_ORG_{name}"] = env.pop("CUMULUSCI_ORG_org")
    return env


def stop_orgs(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def run_fleet(names: list[str], parallel: int, env: dict[str, str], config: Path) -> dict:
    command = [str(BIN / "totango-sf"), "deploy", "--config", str(config), "--json"]
    for name in names:
        command += ["--org", name]
    command += ["--parallel", str(parallel)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    stdout = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    document = json.loads(stdout)
    orgs = document["result"]["orgs"]
    return {
        "wall": wall,
        "exit": os.waitstatus_to_exitcode(status),
        "deployed": sum(1 for o in orgs if (o.get("result") or {}).get("status") == "deployed"),
        "peak_mb": usage.ru_maxrss / 1024,
        "org_seconds": sorted(o["elapsed"] for o in orgs),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--levels", default="1,4,8")
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--deploy-seconds", type=float, default=3.0)
    parser.add_argument("--serve-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ca", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_one:
        serve_one(args.serve_one, args.ca, args.latency, args.deploy_seconds)
        return
    levels = [int(level) for level in args.levels.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    os.environ["HOME"] = str(work / "home")
    config = work / "totango.yml"
    config.write_text(json.dumps({"trusted_ip_ranges": {"addresses": REAL_LOOKING_IPS}}))
    names = [f"fleet{i:02d}" for i in range(args.orgs)]
    print(
        f"{args.orgs} emulated orgs, {args.latency * 1000:.0f} ms per call,"
        f" deploys take {args.deploy_seconds} s, {os.cpu_count()} CPU(s)"
    )
    print(f"  {'parallel':>8} {'wall s':>8} {'speed-up':>9} {'deployed':>9} {'peak MB':>8}"
          f" {'per org s (min/median/max)':>28}")  # fmt: skip
    baseline = None
    try:
        for level in levels:
            processes, env = start_orgs(args.orgs, work / f"level{level}", args.latency,
                                        args.deploy_seconds)  # fmt: skip
            try:
                figures = run_fleet(names, level, env, config)
            finally:
                stop_orgs(processes)
            baseline = baseline or (figures["wall"] if level == 1 else None)
            speed_up = f"{baseline / figures['wall']:.1f}x" if baseline else "-"
            per_org = figures["org_seconds"]
            spread = f"{per_org[0]:.1f}/{per_org[len(per_org) // 2]:.1f}/{per_org[-1]:.1f}"
            print(
                f"  {level:>8} {figures['wall']:>8.1f} {speed_up:>9}"
                f" {figures['deployed']:>5}/{args.orgs:<3} {figures['peak_mb']:>8.0f} {spread:>28}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
