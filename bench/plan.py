"""Timings of the offline path. Prints figures; asserts nothing.

    .venv/bin/python bench/plan.py [--runs N]

1. median wall time of `totango-sf plan` on the default config (a fresh process each run);
2. `apply` on generated Metadata API projects of growing size (layouts x IP ranges), to
   show the cost grows linearly;
3. median of `totango-sf --help` beside `cci --help`.
"""

from __future__ import annotations

import argparse
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


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
    try:
        plan = median_seconds([str(BIN / "totango-sf"), "plan", "--out", str(out)], runs)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"plan (default config, new process): median {plan * 1000:.0f} ms over {runs} runs")

    from tasks.totango_sf.metadata.schema import load_schema

    load_schema()  # built once per process; keep it out of the apply figures
    print("apply (Metadata API project; existing ranges = new ranges):")
    print(f"  {'layouts':>7} {'ranges':>7} {'seconds':>8} {'ms/layout+100 ranges':>22}")
    for layouts, ranges in [(10, 200), (25, 500), (50, 1000)]:
        seconds = time_apply(layouts, ranges)
        unit = seconds / (layouts + ranges / 100) * 1000
        print(f"  {layouts:>7} {ranges:>7} {seconds:>8.3f} {unit:>22.1f}")

    ours = median_seconds([str(BIN / "totango-sf"), "--help"], runs)
    cci = median_seconds([str(BIN / "cci"), "--help"], runs)
    print(f"--help: totango-sf median {ours * 1000:.0f} ms, cci median {cci * 1000:.0f} ms")


if __name__ == "__main__":
    main()
