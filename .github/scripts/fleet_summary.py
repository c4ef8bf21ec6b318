"""Merge the fleet jobs' JSON reports into one Markdown summary and one exit code.

    python .github/scripts/fleet_summary.py reports/*.json >> "$GITHUB_STEP_SUMMARY"

Each report is the `--json` document of a `totango-sf deploy --org ... --json` run.
A report that is missing or not JSON (a job that died) counts as a failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def rows(path: Path) -> list[tuple[str, int, str]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [(path.stem, 1, f"no readable report: {exc}")]
    result = document.get("result")
    if not isinstance(result, dict):
        return [(path.stem, int(document.get("status", 1)), str(document.get("message", "")))]
    out = []
    for org in result.get("orgs", []):
        detail = org.get("message") or (org.get("result") or {}).get("status", "")
        out.append(
            (str(org["org"]), int(org["status"]), str(detail).splitlines()[0] if detail else "")
        )
    return out


def main(paths: list[str]) -> int:
    table = [row for p in paths for row in rows(Path(p))]
    print("## Totango fleet rollout\n")
    print("| org | exit | result |\n|---|---|---|")
    for org, code, detail in sorted(table):
        print(f"| {org} | {code} | {detail.replace('|', '/')} |")
    failed = [org for org, code, _ in table if code != 0]
    print(f"\n{len(table) - len(failed)} of {len(table)} org(s) succeeded.")
    return 1 if failed or not table else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
