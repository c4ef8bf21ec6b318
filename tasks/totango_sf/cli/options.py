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
from typing import Annotated, Any

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


# -- completion: what a shell offers after an option -----------------------------------

TEST_LEVELS = ("NoTestRun", "RunLocalTests", "RunSpecifiedTests", "RunAllTestsInOrg", "default")


def complete_org(incomplete: str) -> list[str]:
    from tasks.totango_sf.cli.default_org import org_names_for_completion

    return org_names_for_completion(incomplete)


def complete_test_level(incomplete: str) -> list[str]:
    return [level for level in TEST_LEVELS if level.startswith(incomplete)]


def completer(choices: tuple[str, ...]) -> Any:
    """A completion function offering ``choices``."""
    return lambda incomplete: [c for c in choices if c.startswith(incomplete)]


# -- every command -------------------------------------------------------------------

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="FILE",
        help="Setup config YAML [default: orgconfig/totango.yml].",
    ),
]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document only: sf CLI's envelope, {status, result, warnings}.",
    ),
]

# -- which org: one, or a fleet ------------------------------------------------------

# As sf: -o and --target-org name the org too.
ORG_FLAGS = ("--org", "-o", "--target-org")
_ORG_HELP = (
    "CumulusCI org name or sf alias; applies orgconfig/<org>.yml."
    " [default: `cci org default`, else sf's target-org]"
)
# install, connected-app, org-id and status act on one org: the default when left out.
OrgRequired = Annotated[
    str | None,
    typer.Option(
        *ORG_FLAGS, metavar="NAME", help=_ORG_HELP, callback=_org, autocompletion=complete_org
    ),
]
# plan and config show: offline without it, so no default org is picked.
OrgOption = Annotated[
    str | None,
    typer.Option(
        *ORG_FLAGS,
        metavar="NAME",
        help="CumulusCI org name or sf alias; applies orgconfig/<org>.yml.",
        callback=_org,
        autocompletion=complete_org,
    ),
]
OrgNames = Annotated[
    list[str] | None,
    typer.Option(
        *ORG_FLAGS,
        metavar="NAME",
        help=_ORG_HELP + " Repeat it to run on several orgs.",
        callback=_org_names,
        autocompletion=complete_org,
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
    typer.Option(
        "--parallel",
        min=1,
        max=64,
        metavar="N",
        help="Orgs worked on at once (1-64) in a fleet run.",
    ),
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
        "--timeout",
        metavar="SECONDS",
        help="Give up after this many seconds and cancel the deploy (sf's --wait hands back"
        " control and leaves it running).",
        callback=_timeout,
    ),
]
SnapshotOption = Annotated[
    str | None,
    typer.Option(
        "--snapshot",
        metavar="SNAPSHOT_ID",
        help="Snapshot id (under .totango/snapshots/<org>/) [default: the latest].",
        callback=_snapshot,
    ),
]
# The choices are in the help, not the metavar: as one word they would not fit 80 columns.
_TEST_LEVEL_METAVAR = "LEVEL"
_TEST_LEVELS_HELP = (
    "Apex tests to run: NoTestRun, RunLocalTests, RunSpecifiedTests, RunAllTestsInOrg, or"
    " default (leaves testLevel out)."
)
TestLevelOption = Annotated[
    str | None,
    typer.Option(
        "--test-level",
        metavar=_TEST_LEVEL_METAVAR,
        autocompletion=complete_test_level,
        help=_TEST_LEVELS_HELP + " [default: NoTestRun outside production; in production"
        " default for a deploy and RunLocalTests for --check-only]",
    ),
]
# rollback has no --check-only: its help does not name one.
RollbackTestLevelOption = Annotated[
    str | None,
    typer.Option(
        "--test-level",
        metavar=_TEST_LEVEL_METAVAR,
        autocompletion=complete_test_level,
        help=_TEST_LEVELS_HELP + " [default: NoTestRun outside production, default in production]",
    ),
]
TestsOption = Annotated[
    str | None,
    typer.Option("--tests", metavar="CLASS,CLASS", help="Apex test classes for RunSpecifiedTests."),
]


AdoptOption = Annotated[
    bool,
    typer.Option(
        "--adopt",
        help="Adopt the Totango sections and ranges an admin made by hand: from then on they"
        " are the setup's (kept items, given back as they were on rollback). Without it they"
        " are left as they are. Also replaces a page, tab, permission set, field or report"
        " an admin made under the setup's name (refused without it); an uninstall gives it"
        " back as it was (a field stays as the deploy left it).",
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
