"""Step 2 of the article: install the Totango managed package.

The install itself is CumulusCI's ``install_package_by_version_id``, which
creates a Tooling ``PackageInstallRequest`` and polls it. Around it this module
adds what an admin expects: a clear error without a ``04t`` id, no install over
the same or a newer version, ``--yes`` for production, and progress lines taken
from CumulusCI's own poll log (its poll loop has no callback).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from tasks.totango_sf.errors import BadInput, Failed
from tasks.totango_sf.salesforce.soql import soql_string

CUMULUSCI_INSTALL_LOGGER = "cumulusci.salesforce_api.package_install"
VERSION_FIELDS = ("MajorVersion", "MinorVersion", "PatchVersion", "BuildNumber")

Progress = Callable[[str], None]
MISSING_VERSION_ID = (
    "package.version_id is not set; put the 04t id of the Totango package version in the"
    " config (orgconfig/totango.yml or orgconfig/<org>.yml)"
)


class MissingVersionId(BadInput, ValueError):
    """``package.version_id`` is not configured."""


class ProductionNeedsYes(BadInput):
    """Installing into production without an explicit yes."""


class PackageInstallFailed(Failed):
    """The PackageInstallRequest ended in ERROR, or Salesforce refused to create it."""


@dataclass(frozen=True)
class InstalledPackage:
    name: str
    namespace: str | None
    version_id: str
    version_name: str
    version_number: tuple[int, ...]

    @property
    def version(self) -> str:
        return ".".join(str(n) for n in self.version_number)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "version": self.version}


@dataclass(frozen=True)
class InstallResult:
    action: Literal["installed", "skipped"]
    version_id: str
    detail: str
    before: InstalledPackage | None
    after: InstalledPackage | None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "version_id": self.version_id,
            "detail": self.detail,
            "before": self.before.to_json() if self.before else None,
            "after": self.after.to_json() if self.after else None,
        }


def _version_number(record: dict[str, Any] | None) -> tuple[int, ...]:
    if not record:
        return ()
    return tuple(int(record.get(f) or 0) for f in VERSION_FIELDS)


def _is_totango(record: dict[str, Any], namespace: str) -> bool:
    package = record.get("SubscriberPackage") or {}
    if namespace:
        return (package.get("NamespacePrefix") or "").lower() == namespace.lower()
    return "totango" in (package.get("Name") or "").lower()


def installed_totango_package(
    session: Any, namespace: str = "", version_id: str | None = None
) -> InstalledPackage | None:
    """The installed Totango package (by namespace, name or the configured version id)."""
    records = session.query(
        "SELECT Id, SubscriberPackageId, SubscriberPackage.Name,"
        " SubscriberPackage.NamespacePrefix, SubscriberPackageVersion.Id,"
        " SubscriberPackageVersion.Name, SubscriberPackageVersion.MajorVersion,"
        " SubscriberPackageVersion.MinorVersion, SubscriberPackageVersion.PatchVersion,"
        " SubscriberPackageVersion.BuildNumber FROM InstalledSubscriberPackage",
        tooling=True,
    )
    for record in records:
        version = record.get("SubscriberPackageVersion") or {}
        same_version = bool(version_id) and (version.get("Id") or "")[:15] == version_id[:15]  # type: ignore[index]
        if same_version or _is_totango(record, namespace):
            package = record.get("SubscriberPackage") or {}
            return InstalledPackage(
                name=package.get("Name") or "",
                namespace=package.get("NamespacePrefix"),
                version_id=version.get("Id") or "",
                version_name=version.get("Name") or "",
                version_number=_version_number(version),
            )
    return None


def target_version_number(session: Any, version_id: str) -> tuple[int, ...]:
    """The version number of a ``04t`` id, or () when the org cannot resolve it."""
    from simple_salesforce.exceptions import SalesforceError

    try:
        records = session.query(
            "SELECT Id, MajorVersion, MinorVersion, PatchVersion, BuildNumber"  # noqa: S608 - literals are escaped by soql_string
            f" FROM SubscriberPackageVersion WHERE Id = {soql_string(version_id)}",
            tooling=True,
        )
    except SalesforceError:
        # Salesforce answers an unknown or not-yet-available id with an error; the
        # install itself then reports the real reason.
        return ()
    return _version_number(records[0]) if records else ()


def skip_reason(
    installed: InstalledPackage | None, version_id: str, target: tuple[int, ...]
) -> str | None:
    """Why installing ``version_id`` would change nothing, or None to install."""
    if installed is None:
        return None
    if installed.version_id[:15] == version_id[:15]:
        return f"version {installed.version} ({installed.version_id}) is already installed"
    if target and installed.version_number >= target:
        wanted = ".".join(str(n) for n in target)
        return f"version {installed.version} is installed, which is not older than {wanted}"
    return None


class _ProgressHandler(logging.Handler):
    """Turns CumulusCI's poll log lines into progress callbacks."""

    def __init__(self, progress: Progress):
        super().__init__(logging.INFO)
        self.progress = progress
        self.polls = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message == "In Progress":
            self.polls += 1
            self.progress(f"install in progress (poll {self.polls})")
        else:
            self.progress(f"install: {message}")


def install_package(
    session: Any, config: Any, yes: bool = False, progress: Progress | None = None
) -> InstallResult:
    """Install ``package.version_id`` unless the same or a newer version is there."""
    from cumulusci.core.exceptions import PackageInstallError
    from cumulusci.salesforce_api.package_install import (
        PackageInstallOptions,
        SecurityType,
        install_package_by_version_id,
    )
    from simple_salesforce.exceptions import SalesforceError

    report = progress or (lambda message: None)
    version_id = config.package.version_id
    if not version_id:
        raise MissingVersionId(MISSING_VERSION_ID)
    before = installed_totango_package(session, config.namespace, version_id)
    reason = skip_reason(before, version_id, target_version_number(session, version_id))
    if reason:
        report(f"skipped: {reason}")
        return InstallResult("skipped", version_id, reason, before, before)
    if session.kind().is_production and not yes:
        raise ProductionNeedsYes(
            "this is a production org; pass --yes (yes: True for the task) to install there"
        )
    options = PackageInstallOptions(security_type=SecurityType(config.package.security_type))
    report(f"installing {version_id} (security type {config.package.security_type})")
    handler = _ProgressHandler(report)
    logger = logging.getLogger(CUMULUSCI_INSTALL_LOGGER)
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        install_package_by_version_id(
            session.project_config,
            session.org_config,
            version_id,
            options,
            # Retrying an install that Salesforce refused is CumulusCI's call to make
            # for transient errors only; keep its list, but cap the waiting.
            retry_options={"retries": 3, "retry_interval": 5, "retry_interval_add": 10},
        )
    except (PackageInstallError, SalesforceError) as exc:
        raise PackageInstallFailed(f"installing {version_id} failed: {exc}") from None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
    after = installed_totango_package(session, config.namespace, version_id)
    detail = f"installed {after.version}" if after else f"installed {version_id}"
    report(detail)
    return InstallResult("installed", version_id, detail, before, after)
