"""Every option that more than one ``totango-sf`` command takes, declared once.

A command's parameter names its option by type (``config: ConfigOption = None``), so the
flag, its help and its check are the same wherever it appears; options only one command
has stay in that command's module. Values are checked where they are parsed, before any
config is read or org contacted: a value that cannot be right is a usage error (exit 2)
naming the option, so ``--quick ""`` never turns into a full, unvalidated deploy to
production and ``--timeout nan`` never into a poll that cannot end. The rules themselves
live in ``salesforce/identifiers.py``, shared with the CumulusCI tasks. Only typer and that
module are imported at module level, so ``--help`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from tasks.totango_sf.cli.output import fail
from tasks.totango_sf.errors import EXIT_BAD_INPUT
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


def _org_names(values: list[str] | None) -> list[str] | None:
    for value in values or []:
        _checked(org_name_problem(value))
    return values


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


def apex_test_options_or_exit(test_level: str | None, tests: str | None, as_json: bool) -> None:
    """--test-level and --tests, refused with exit 2 when malformed, before connecting.

    The rule is ``salesforce/apex_tests.py``'s ``check_test_options`` (the cci tasks ask
    it too); its refusal already names the option, so only the exit is decided here.
    """
    from tasks.totango_sf.salesforce.apex_tests import ApexTestLevelRefused, check_test_options

    try:
        check_test_options(test_level, tests)
    except ApexTestLevelRefused as exc:
        fail(str(exc), EXIT_BAD_INPUT, as_json)


# -- every command -------------------------------------------------------------------

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Setup config YAML [default: orgconfig/totango.yml]."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document only.")]

# -- which org: one, or a fleet ------------------------------------------------------

OrgRequired = Annotated[
    str,
    typer.Option("--org", help="CumulusCI org name; applies orgconfig/<org>.yml.", callback=_org),
]
OrgOption = Annotated[
    str | None,
    typer.Option("--org", help="CumulusCI org name; applies orgconfig/<org>.yml.", callback=_org),
]
OrgNames = Annotated[
    list[str] | None,
    typer.Option(
        "--org",
        help="CumulusCI org name; applies orgconfig/<org>.yml. Repeat it to run on several orgs.",
        callback=_org_names,
    ),
]
OrgsGlob = Annotated[
    str | None,
    typer.Option(
        "--orgs",
        metavar="GLOB",
        help="Every org in CumulusCI's keychain whose name matches GLOB (quote it: 'uat-*').",
    ),
]
ParallelOption = Annotated[
    int,
    typer.Option("--parallel", min=1, max=64, help="Orgs worked on at once in a fleet run."),
]
DEFAULT_PARALLEL = 4

# -- deploys ---------------------------------------------------------------------------

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
TestLevelOption = Annotated[
    str | None,
    typer.Option(
        "--test-level",
        help="NoTestRun | RunLocalTests | RunSpecifiedTests | RunAllTestsInOrg | default"
        " (leave testLevel out). Default: NoTestRun outside production; in production"
        " default for a deploy and RunLocalTests for --check-only.",
    ),
]
TestsOption = Annotated[
    str | None,
    typer.Option("--tests", metavar="A,B", help="Test classes for RunSpecifiedTests."),
]


AdoptOption = Annotated[
    bool,
    typer.Option(
        "--adopt",
        help="Adopt the Totango sections and ranges an admin made by hand: from then on they"
        " are the setup's (kept items, given back as they were on rollback). Without it they"
        " are left as they are.",
    ),
]


@dataclass(frozen=True)
class FleetTarget:
    """The options every command that runs on one org or a fleet starts with: which orgs,
    how many at once, and the config (the fields of an ``options_command`` dataclass)."""

    org_names: OrgNames = None
    orgs_glob: OrgsGlob = None
    parallel: ParallelOption = DEFAULT_PARALLEL
    config: ConfigOption = None
