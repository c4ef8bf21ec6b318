"""Print the GitHub Actions matrix for a fleet file: one entry per group of orgs.

    python .github/scripts/fleet_matrix.py orgconfig/fleet.yml
    -> {"include": [{"group": "sandboxes", "orgs": "uat qa staging", "parallel": 4,
                     "secret": "TOTANGO_FLEET_SANDBOXES"}, ...]}

`secret` names the repository secret that holds the group's org credentials (see
fleet_credentials.py): only the job of that group reads it.

Refuses (exit 2) a file whose groups are empty, repeat an org, name an org with
characters a CumulusCI org name cannot hold (or in upper case: CumulusCI reads an org
from the environment under its lower-case name), name a group that cannot be part of a
secret's name, or whose `parallel` is not 1 to 64.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ORG_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
GROUP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
SECRET_PREFIX = "TOTANGO_FLEET_"  # noqa: S105 (a name, not a value)


def secret_name(group: str) -> str:
    """The repository secret of a group's credentials: TOTANGO_FLEET_<GROUP>."""
    return SECRET_PREFIX + group.upper().replace("-", "_")


def matrix(text: str) -> dict[str, list[dict[str, object]]]:
    data = yaml.safe_load(text) or {}
    groups = data.get("groups") or {}
    parallel = data.get("parallel", 4)
    if isinstance(parallel, bool) or not isinstance(parallel, int) or not 1 <= parallel <= 64:
        raise ValueError(f"parallel: {parallel!r} is not a number of orgs from 1 to 64")
    if not isinstance(groups, dict) or not groups:
        raise ValueError("groups: needs at least one group of org names")
    seen: set[str] = set()
    secrets: dict[str, str] = {}
    include = []
    for group, orgs in groups.items():
        if not isinstance(group, str) or not GROUP_NAME.match(group):
            raise ValueError(
                f"groups: {group!r} is not a group name (a letter, then letters, digits, _ or -)"
            )
        secret = secret_name(group)
        if secret in secrets:
            raise ValueError(f"groups.{group}: its secret {secret} is {secrets[secret]}'s too")
        secrets[secret] = group
        if not isinstance(orgs, list) or not orgs:
            raise ValueError(f"groups.{group}: needs a list of org names")
        for org in orgs:
            if not isinstance(org, str) or not ORG_NAME.match(org):
                raise ValueError(
                    f"groups.{group}: {org!r} is not an org name (lower case letters, digits,"
                    " '_', '.' and '-': CumulusCI reads environment orgs in lower case)"
                )
            if org in seen:
                raise ValueError(f"groups.{group}: {org!r} is in two groups")
            seen.add(org)
        include.append(
            {"group": group, "orgs": " ".join(orgs), "parallel": parallel, "secret": secret}
        )
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
