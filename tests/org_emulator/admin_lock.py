"""The org's administration-setup lock: a deploy that finds it held fails, changing nothing.

Salesforce locks an org's administration setup while a change that needs it runs (a
package install, another deploy, a long test run), and a deploy that needs the lock
meanwhile ends Failed with ``errorStatusCode`` ALREADY_IN_PROCESS and the message
below, no component failing. Recorded: the checkDeployStatus answer quoted in
SFDO-Tooling/CumulusCI issue 218 (``<errorMessage>null: The changes you requested
...</errorMessage><errorStatusCode>ALREADY_IN_PROCESS</errorStatusCode>``), the deploy
status FAILED with the same words in RoseSilverSoftware/IlluminatedCloud issues 330 and
488, and "admin operation already in progress" on a push right after a package install
in forcedotcom/cli issue 645. The org is unchanged, so the same deploy may be sent again
once the other change is done.

The lock is seeded: ``lock(state, n)`` holds it for the next ``n`` deploys, and
``lock_after_installs(state, n)`` makes every package install leave it held for the ``n``
deploys that follow (what ``setup`` meets: install, then deploy at once).
"""

from __future__ import annotations

from tests.org_emulator.state import OrgState

ALREADY_IN_PROCESS = "ALREADY_IN_PROCESS"
# Verbatim, "null: " included, as the recorded answers carry it.
LOCKED_MESSAGE = (
    "null: The changes you requested require salesforce.com to temporarily lock your"
    " organization's administration setup. However, the administration setup has already"
    " been locked by another change. Please wait for the previous action to finish, then"
    " try again later."
)
_HELD = "admin_lock_deploys"
_AFTER_INSTALL = "admin_lock_after_install"


def lock(state: OrgState, deploys: int) -> None:
    """The lock is held for the next ``deploys`` deploys (validations included)."""
    state.quirks[_HELD] = max(0, deploys)


def lock_after_installs(state: OrgState, deploys: int) -> None:
    """Each package install leaves the lock held for the ``deploys`` deploys after it."""
    state.quirks[_AFTER_INSTALL] = max(0, deploys)


def package_installed(state: OrgState) -> None:
    """A package install finished: the lock stays held as seeded."""
    after = int(state.quirks.get(_AFTER_INSTALL, 0))
    if after:
        lock(state, after)


def take(state: OrgState) -> bool:
    """Whether the deploy finishing now finds the lock held (and uses one of its turns)."""
    held = int(state.quirks.get(_HELD, 0))
    if held <= 0:
        return False
    state.quirks[_HELD] = held - 1
    return True
