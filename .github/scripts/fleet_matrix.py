"""Print the GitHub Actions matrix for a fleet file: one entry per group of orgs.

    python .github/scripts/fleet_matrix.py orgconfig/fleet.yml
    -> {"include": [{"group": "sandboxes", "orgs": "uat qa staging", "parallel": 4}, ...]}

Refuses (exit 2) a file whose groups are empty, repeat an org, or name an org with
characters a CumulusCI org name cannot hold.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ORG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def matrix(text: str) -> dict[str, list[dict[str, object]]]:
    data = yaml.safe_load(text) or {}
    groups = data.get("groups") or {}
    parallel = int(data.get("parallel", 4))
    if not isinstance(groups, dict) or not groups:
        raise ValueError("groups: needs at least one group of org names")
    seen: set[str] = set()
    include = []
    for group, orgs in groups.items():
        if not isinstance(orgs, list) or not orgs:
            raise ValueError(f"groups.{group}: needs a list of org names")
        for org in orgs:
            if not isinstance(org, str) or not ORG_NAME.match(org):
                raise ValueError(f"groups.{group}: {org!r} is not an org name")
            if org in seen:
                raise ValueError(f"groups.{group}: {org!r} is in two groups")
            seen.add(org)
        include.append({"group": str(group), "orgs": " ".join(orgs), "parallel": parallel})
    return {"include": include}


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "orgconfig/fleet.yml")
    try:
        print(json.dumps(matrix(path.read_text(encoding="utf-8"))))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
