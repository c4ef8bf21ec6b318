"""A fleet deploy against many emulated orgs: rate by --parallel, speed-up, memory, and
lanes that fail, time out or are slow.

    .venv/bin/python bench/fleet.py [--orgs 100] [--levels 1,32] [--latency 0.15]
                                      [--deploy-seconds 3] [--orgs-per-process 10]
                                      [--sequential-sample 6] [--failing 2] [--slow 2]

Each org is an emulated org (the project's test double) with ``--latency`` seconds on
every HTTP call and deploys that take ``--deploy-seconds``. Several orgs share one
emulator process (``--orgs-per-process``, each on its own port and thread): a hundred
processes of their own would cost about 60 MB each and a hundred interpreters' start on
two cores. For each level, every emulator is reseeded, then one `totango-sf deploy
--org ... --parallel N --json` process deploys to the orgs. --parallel 1 runs on
``--sequential-sample`` orgs only (a hundred one after the other would take half an
hour); the speed-up is the rate (orgs per second) over that sequential rate.

Misbehaving lanes, in one more run at the highest level: ``--failing`` orgs answer every
call with HTTP 503 (a failure), ``--slow`` orgs take 600 s per deploy, more than the
run's ``--timeout`` (a timeout, with a cancel); that run's rate counts the healthy orgs
over the whole wall time, the slow lanes' timeout included. Printed per level: wall time, rate,
speed-up, orgs deployed, the fleet process's peak memory, the healthy orgs' seconds
(min/median/max) and the misbehaving ones' outcomes.
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


def serve_some(
    state: Path,
    ca_folder: Path,
    count: int,
    latency: float,
    deploy_seconds: float,
    behaviour: str,
) -> None:
    """Child mode: seed ``count`` sandbox orgs, print one connection environment line per
    org, serve them all. ``behaviour`` holds one letter per org: ``o`` healthy, ``f``
    failing (HTTP 503 on every call), ``s`` slow (``deploy_seconds`` is then its own)."""
    sys.path.insert(0, str(ROOT))
    import tasks  # noqa: F401  (our package before cumulusci's synthetic one)
    from tests.org_emulator.emulator import OrgEmulator

    emulators = []
    for i in range(count):
        kind = behaviour[i] if i < len(behaviour) else "o"
        emulator = OrgEmulator.create(
            state / f"org{i:02d}",
            flavour="sandbox",
            load_existing=False,
            deploy_polls=1,
            deploy_seconds=SLOW_SECONDS if kind == "s" else deploy_seconds,
            ca_folder=ca_folder,
        ).start()
        emulator.faults.latency(latency, "*")
        if kind == "f":
            emulator.faults.http_error(503, "*", count=None)
        emulators.append(emulator)
        print(json.dumps(emulator.env("org")), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        for emulator in emulators:
            emulator.stop()


SLOW_SECONDS = 600.0


def start_orgs(
    count: int,
    per_process: int,
    work: Path,
    latency: float,
    deploy_seconds: float,
    behaviour: str,
) -> tuple[list[subprocess.Popen[str]], dict[str, str]]:
    processes, env = [], {}
    groups = [range(i, min(i + per_process, count)) for i in range(0, count, per_process)]
    for g, group in enumerate(groups):
        command = [
            sys.executable, __file__, "--serve-some", str(work / f"group{g:02d}"),
            "--ca", str(work / "ca"), "--latency", str(latency),
            "--deploy-seconds", str(deploy_seconds), "--serve-count", str(len(group)),
            "--behaviour", "".join(behaviour[i] for i in group),
        ]  # fmt: skip
        processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT))
        if g == 0:  # the first one makes the shared CA; the others reuse it
            env.update(_group_env(processes[0], group))
    for process, group in zip(processes[1:], groups[1:], strict=True):
        env.update(_group_env(process, group))
    return processes, env


def _group_env(process: subprocess.Popen[str], group: range) -> dict[str, str]:
    env: dict[str, str] = {}
    for i in group:
        env.update(_org_env(process, f"fleet{i:03d}"))
    return env


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


def run_fleet(
    names: list[str], parallel: int, env: dict[str, str], config: Path, timeout: float
) -> dict:
    command = [str(BIN / "totango-sf"), "deploy", "--config", str(config), "--json",
               "--timeout", str(timeout)]  # fmt: skip
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
    orgs = {o["org"]: o for o in document["result"]["orgs"]}
    return {
        "wall": wall,
        "exit": os.waitstatus_to_exitcode(status),
        "orgs": orgs,
        "peak_mb": usage.ru_maxrss / 1024,
        "cpu": usage.ru_utime + usage.ru_stime,
    }


def _deployed(org: dict) -> bool:
    return (org.get("result") or {}).get("status") == "deployed"


def _outcome(org: dict) -> str:
    if _deployed(org):
        return "deployed"
    what = org.get("name") or (org.get("result") or {}).get("status")
    return f"exit {org['status']} {what} after {org['elapsed']:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--levels", default="1,32")
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--deploy-seconds", type=float, default=3.0)
    parser.add_argument("--orgs-per-process", type=int, default=10)
    parser.add_argument("--sequential-sample", type=int, default=6)
    parser.add_argument("--failing", type=int, default=2, help="orgs answering HTTP 503")
    parser.add_argument("--slow", type=int, default=2, help="orgs slower than --timeout")
    parser.add_argument("--timeout", type=float, default=60.0, help="the fleet's --timeout")
    parser.add_argument("--serve-some", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve-count", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--behaviour", default="", help=argparse.SUPPRESS)
    parser.add_argument("--ca", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_some:
        serve_some(args.serve_some, args.ca, args.serve_count, args.latency,
                   args.deploy_seconds, args.behaviour)  # fmt: skip
        return
    levels = [int(level) for level in args.levels.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    os.environ["HOME"] = str(work / "home")
    config = work / "totango.yml"
    config.write_text(json.dumps({"trusted_ip_ranges": {"addresses": REAL_LOOKING_IPS}}))
    names = [f"fleet{i:03d}" for i in range(args.orgs)]
    # The misbehaving orgs sit among the others, not at the end of the queue.
    behaviour = ["o"] * args.orgs
    for i in range(args.failing):
        behaviour[(i * 2 + 1) * args.orgs // (2 * args.failing + 1)] = "f"
    for i in range(args.slow):
        behaviour[(i * 2 + 2) * args.orgs // (2 * args.slow + 2)] = "s"
    print(
        f"{args.orgs} emulated orgs ({args.orgs_per_process} per emulator process),"
        f" {args.latency * 1000:.0f} ms per call, deploys take {args.deploy_seconds} s,"
        f" {os.cpu_count()} CPU(s); in the last run {behaviour.count('f')} orgs answer 503"
        f" and {behaviour.count('s')} take {SLOW_SECONDS:.0f} s a deploy (--timeout"
        f" {args.timeout:.0f} s)"
    )
    print(f"  {'parallel':>8} {'orgs':>5} {'wall s':>8} {'orgs/s':>7} {'speed-up':>9}"
          f" {'deployed':>9} {'peak MB':>8} {'CPU s':>6} {'healthy org s (min/med/max)':>28}"
          "  misbehaving")  # fmt: skip
    base_rate = None
    try:
        odd = "".join(behaviour)
        runs = [(level, "o" * args.orgs) for level in levels]
        if "f" in odd or "s" in odd:
            runs.append((max(levels), odd))
        for level, kinds in runs:
            sample = names[: args.sequential_sample] if level == 1 else names
            kinds = kinds[: len(sample)]
            processes, env = start_orgs(len(sample), args.orgs_per_process,
                                        work / f"level{level}", args.latency,
                                        args.deploy_seconds, kinds)  # fmt: skip
            try:
                figures = run_fleet(sample, level, env, config, args.timeout)
            finally:
                stop_orgs(processes)
            rate = len(sample) / figures["wall"]
            base_rate = base_rate or (rate if level == 1 else None)
            if kinds != "o" * len(sample):
                rate = (len(sample) - len(kinds.replace("o", ""))) / figures["wall"]
            speed_up = f"{rate / base_rate:.1f}x" if base_rate else "-"
            orgs = figures["orgs"]
            healthy = sorted(orgs[n]["elapsed"] for i, n in enumerate(sample) if kinds[i] == "o")
            spread = f"{healthy[0]:.1f}/{healthy[len(healthy) // 2]:.1f}/{healthy[-1]:.1f}"
            misbehaving = "; ".join(
                f"{n} {'503' if kinds[i] == 'f' else 'slow'}: {_outcome(orgs[n])}"
                for i, n in enumerate(sample)
                if kinds[i] != "o"
            )
            deployed = sum(1 for o in orgs.values() if _deployed(o))
            print(
                f"  {level:>8} {len(sample):>5} {figures['wall']:>8.1f} {rate:>7.2f}"
                f" {speed_up:>9} {deployed:>5}/{len(sample):<3} {figures['peak_mb']:>8.0f}"
                f" {figures['cpu']:>6.1f}"
                f" {spread:>28}  {misbehaving or '-'}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
