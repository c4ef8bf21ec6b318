"""Lets ``robot --dryrun`` resolve CumulusCI's keywords with no org at all.

CumulusCI's Salesforce library asks the org for its API version while it is
being imported, to pick its locators. Outside ``cci task run robot`` that means
the keychain's default org, and for a scratch org entry CumulusCI creates the
org on first use: a dry run would fail offline, or worse, spend a scratch org.
In a dry run nothing is executed, so an offline stand-in for the org is enough.
Real runs are left untouched.

Import this library before ``cumulusci/robotframework/Salesforce.robot``.
"""

from __future__ import annotations

from cumulusci.core.config import OrgConfig
from cumulusci.robotframework.CumulusCI import CumulusCI
from robot.running.context import EXECUTION_CONTEXTS

# The newest release CumulusCI 4.10 ships locators for; keyword names do not
# depend on it, and an exact match keeps the dry run free of fallback warnings.
DRY_RUN_API_VERSION = "57.0"


def _offline_org() -> OrgConfig:
    org = OrgConfig({"instance_url": "https://dry-run.invalid"}, "dry-run")
    org._latest_api_version = DRY_RUN_API_VERSION
    return org


def _in_dry_run() -> bool:
    context = EXECUTION_CONTEXTS.current
    return bool(context is not None and context.dry_run)


class DryRunOrg:
    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def __init__(self) -> None:
        if _in_dry_run() and not isinstance(CumulusCI.__dict__.get("org"), _OfflineOrg):
            CumulusCI.org = _OfflineOrg()

    def is_dry_run(self) -> bool:
        """True when Robot is only resolving keywords, not running them."""
        return _in_dry_run()


class _OfflineOrg:
    """A read-only descriptor standing in for ``CumulusCI.org`` in a dry run."""

    def __init__(self) -> None:
        self._org = _offline_org()

    def __get__(self, instance: object, owner: type | None = None) -> OrgConfig:
        return self._org
