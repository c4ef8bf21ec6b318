"""Option values checked where they are parsed, before any config is read or org contacted.

A value that cannot be right is a usage error (exit 2) naming the option, so
``--quick ""`` never turns into a full, unvalidated deploy to production and
``--timeout nan`` never into a poll that cannot end. The rules themselves live in
``salesforce/identifiers.py``, shared with the CumulusCI tasks. Only typer and that
module are imported at module level, so ``--help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tasks.totango_sf.salesforce.identifiers import (
    deploy_id_problem,
    org_name_problem,
    snapshot_id_problem,
    timeout_problem,
)


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


# ``status --deploy-id`` takes the same ids as ``--quick``: checked before any call.
deploy_id_checked = _quick


def _timeout(value: float) -> float:
    _checked(timeout_problem(value))
    return value


def _snapshot(value: str | None) -> str | None:
    if value is not None:
        _checked(snapshot_id_problem(value))
    return value


def missing_snapshot_problem(org: str, snapshot_id: str) -> str | None:
    """Whether the snapshot exists locally; checked before connecting to the org."""
    from tasks.totango_sf.state.snapshot import SNAPSHOT_ROOT, list_snapshots

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
