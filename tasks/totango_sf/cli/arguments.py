"""Option values checked where they are parsed, before any config is read or org contacted.

A value that cannot be right is a usage error (exit 2) naming the option, so
``--quick ""`` never turns into a full, unvalidated deploy to production and
``--timeout nan`` never into a poll that cannot end. Only typer is imported at
module level, so ``--help`` stays fast.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

import typer

# Deploy, validation and quick-deploy ids are AsyncResult ids: key prefix 0Af, then
# 12 (15-character form) or 15 (18-character form) letters and digits. Salesforce's
# quick-deploy examples show both forms: "force quickdeploy 0Af1200000FFbBzCAL" and
# "0Af0b000000ZvXH" (octoberswimmer.com, force quickdeploy), and the Metadata API
# guide's deployRecentValidation() takes "the ID that you obtained from the deploy()
# call".
DEPLOY_ID = re.compile(r"0Af[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?")
# Snapshot ids are UTC timestamps (snapshot.new_snapshot_id); anything else is refused
# before it can be joined to a path.
SNAPSHOT_ID = re.compile(r"[0-9]{8}T[0-9]{6,12}Z")
MAX_ORG_NAME = 80


def deploy_id_problem(value: str) -> str | None:
    if DEPLOY_ID.fullmatch(value):
        return None
    return (
        f"{value!r} is not a deploy or validation id (0Af followed by 12 or 15 letters or"
        " digits, as printed by `deploy --check-only`)"
    )


def timeout_problem(value: float) -> str | None:
    if math.isfinite(value) and value > 0:
        return None
    return f"{value!r} is not a number of seconds greater than 0"


def org_name_problem(value: str) -> str | None:
    """Org names become folder names under .totango/; refuse those that cannot."""
    if not value or not value.strip():
        return "the org name is empty"
    if len(value) > MAX_ORG_NAME:
        return f"the org name is longer than {MAX_ORG_NAME} characters"
    if re.search(r"[\x00-\x1f\x7f/\\]", value):
        return f"{value!r} holds a path separator or a control character"
    if value.startswith((".", "-")):
        return f"{value!r} starts with {value[0]!r}"
    return None


def snapshot_id_problem(value: str) -> str | None:
    if SNAPSHOT_ID.fullmatch(value):
        return None
    return f"{value!r} is not a snapshot id (a UTC timestamp such as 20260101T120000000000Z)"


def _checked(problem: str | None) -> None:
    if problem:
        raise typer.BadParameter(problem)


def _org(value: str | None) -> str | None:
    if value is not None:
        _checked(org_name_problem(value))
    return value


def _quick(value: str | None) -> str | None:
    if value is not None:
        _checked(deploy_id_problem(value))
    return value


def _timeout(value: float) -> float:
    _checked(timeout_problem(value))
    return value


def _snapshot(value: str | None) -> str | None:
    if value is not None:
        _checked(snapshot_id_problem(value))
    return value


def missing_snapshot_problem(org: str, snapshot_id: str) -> str | None:
    """Whether the snapshot exists locally; checked before connecting to the org."""
    from tasks.totango_sf.org.snapshot import SNAPSHOT_ROOT, list_snapshots

    have = list_snapshots(SNAPSHOT_ROOT, org)
    if snapshot_id in have:
        return None
    shown = ", ".join(have[-5:]) or "none"
    return f"--snapshot: no snapshot {snapshot_id!r} for org {org!r} (have: {shown})"


OrgRequired = Annotated[
    str,
    typer.Option("--org", help="CumulusCI org name; applies orgconfig/<org>.yml.", callback=_org),
]
OrgOptional = Annotated[
    str | None,
    typer.Option("--org", help="CumulusCI org name; applies orgconfig/<org>.yml.", callback=_org),
]
QuickOption = Annotated[
    str | None,
    typer.Option(
        "--quick",
        metavar="VALIDATION_ID",
        help="Quick-deploy a validation (its 0Af id).",
        callback=_quick,
    ),
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout", help="Give up (and cancel) after this many seconds.", callback=_timeout
    ),
]
SnapshotOption = Annotated[
    str | None,
    typer.Option("--snapshot", help="Snapshot id [default: the latest].", callback=_snapshot),
]
