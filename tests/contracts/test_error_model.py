"""One error model: every exception the toolkit defines is a TotangoError with its own exit
code, exit codes are defined once, and every shell maps errors through the one verdict."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's synthetic one
from tasks.totango_sf import errors
from tasks.totango_sf.errors import TotangoError
from tests.support.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "tasks" / "totango_sf"
# The CumulusCI shell's own failures: what cci shows, made from a verdict, never raised below.
SHELL_ERRORS = {
    "tasks.totango_sf.cci.org.TotangoOrgTaskFailed",
    "tasks.totango_sf.cci.fleet.TotangoFleetDeployFailed",
}
# Signals inside a run, as KeyboardInterrupt is: never mapped to an exit code by a verdict.
SIGNALS = {"tasks.totango_sf.steps.fleet.FleetStopped"}


def package_modules() -> list[str]:
    root = PACKAGE.parents[1]
    return sorted(
        ".".join(p.relative_to(root).with_suffix("").parts)
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py"
    )


def defined_exceptions() -> list[type[BaseException]]:
    found = []
    for name in package_modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            # Signals (KeyboardInterrupt and kin) are not errors.
            if issubclass(cls, Exception) and cls.__module__ == name:
                found.append(cls)
    return found


def test_every_exception_the_package_defines_is_a_totango_error():
    strays = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in defined_exceptions()
        if not issubclass(cls, TotangoError)
        and f"{cls.__module__}.{cls.__qualname__}" not in SHELL_ERRORS | SIGNALS
    ]
    assert strays == []
    from tasks.totango_sf.steps.fleet import FleetStopped

    assert not issubclass(FleetStopped, TotangoError)
    # The check sees the package's exceptions at all (it is not vacuously empty).
    assert len(defined_exceptions()) > 30


def test_each_kind_has_its_exit_code():
    assert errors.BadInput.exit_code == errors.EXIT_BAD_INPUT == 2
    assert errors.Failed.exit_code == errors.EXIT_DEPLOY_FAILED == 1
    assert errors.Unreachable.exit_code == errors.EXIT_ORG_UNREACHABLE == 4
    assert errors.OutcomeUnknown.exit_code == errors.EXIT_OUTCOME_UNKNOWN == 5
    assert errors.Busy.exit_code == errors.EXIT_ORG_BUSY == 6


def exit_code_assignments(source: str) -> list[str]:
    return [
        target.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.startswith("EXIT_")
    ]


def test_exit_codes_are_defined_in_errors_py_only():
    elsewhere = {
        str(p.relative_to(PACKAGE)): names
        for p in PACKAGE.rglob("*.py")
        if p.name != "errors.py" or p.parent != PACKAGE
        if (names := exit_code_assignments(p.read_text(encoding="utf-8")))
    }
    assert elsewhere == {}
    assert exit_code_assignments("EXIT_X = 9\n") == ["EXIT_X"]


@pytest.mark.parametrize(
    "shell", ["cli/org_errors.py", "cli/guard.py", "cli/fleet.py", "cci/org.py"], ids=str
)
def test_every_shell_maps_errors_through_the_one_verdict(shell: str):
    source = (PACKAGE / shell).read_text(encoding="utf-8")
    assert "verdict_of" in source or "handled_errors" in source
    # No shell keeps a chain of its own: isinstance checks on error classes live in
    # the errors' own methods, not in the shells.
    assert "isinstance(exc," not in source


def test_the_verdict_reads_the_error_and_redacts_secrets():
    from tasks.totango_sf.org.verdicts import verdict_of
    from tasks.totango_sf.salesforce.metadata_api import DeployOutcomeUnknown
    from tasks.totango_sf.state.tracking import DeployInFlight

    unknown = verdict_of(
        DeployOutcomeUnknown("0Af000000000001AAA", "lost SECRET"), ("SECRET",), "uat"
    )
    assert unknown.code == 5
    assert "SECRET" not in unknown.message
    assert unknown.actions == ["totango-sf status --org uat --deploy-id 0Af000000000001AAA"]
    assert unknown.data == {"deploy_id": "0Af000000000001AAA", "outcome": "unknown"}
    busy = verdict_of(DeployInFlight("0Af000000000002AAA", "InProgress"), (), "uat")
    assert busy.code == 6
    assert busy.message.endswith("; nothing was sent")


def test_the_verdict_re_raises_what_is_not_an_error_of_ours():
    from tasks.totango_sf.org.verdicts import verdict_of

    with pytest.raises(ZeroDivisionError):
        verdict_of(ZeroDivisionError("a bug"))
