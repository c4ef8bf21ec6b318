"""Components an org refuses in a validation (check-only) and takes in a real deploy.

sfdx-hardis's deployment tips list "Test only deployment cannot update" ("Can not test
item deployment in simulation mode"): a validation fails on an item the org cannot test
without saving it, and "When effective deployment will happen, it should pass" (its
resolution; hardisgroupcom/sfdx-hardis, ``docs/sf-deployment-assistant/
Can-not-test-item-deployment-in-simulation-mode.md``). Which items an org refuses that
way is not documented, so they are seeded: ``refuse_in_validations(state, type, name)``.
The problem is the words the tip matches on.
"""

from __future__ import annotations

from tests.org_emulator.deploy_engine import ForcedFailure
from tests.org_emulator.state import OrgState

TEST_ONLY = "Test only deployment cannot update"
_KEY = "refused_in_validations"


def refuse_in_validations(state: OrgState, type_name: str, full_name: str) -> None:
    state.quirks.setdefault(_KEY, []).append([type_name, full_name])


def validation_failures(state: OrgState) -> tuple[ForcedFailure, ...]:
    """The failures a validation meets (a real deploy meets none of them)."""
    return tuple(ForcedFailure(t, n, TEST_ONLY) for t, n in state.quirks.get(_KEY, []))
