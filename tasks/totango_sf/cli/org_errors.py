"""One place that turns the org path's exceptions into an exit code and a message.

A single-org command prints the verdict and exits; a fleet run keeps one verdict
per org and carries on with the others. Both read the same table, so an org
fails the same way alone or in a fleet. Messages never hold a token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.totango_sf.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_DEPLOY_FAILED,
    EXIT_ORG_BUSY,
    EXIT_ORG_UNREACHABLE,
    EXIT_OUTCOME_UNKNOWN,
)


@dataclass(frozen=True)
class OrgErrorVerdict:
    code: int
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    # Schema problems are shown as a table in a terminal as well as in the message.
    problems: list[Any] = field(default_factory=list)
    # Commands that settle or follow up (sf CLI's ``actions``).
    actions: list[str] = field(default_factory=list)


def status_command(org: str, deploy_id: str | None) -> str:
    command = f"totango-sf status --org {org}"
    return f"{command} --deploy-id {deploy_id}" if deploy_id else command


def org_errors() -> tuple[type[Exception], ...]:
    """Every exception the org path raises on purpose (anything else is a bug)."""
    from tasks.totango_sf.config.model import ConfigError
    from tasks.totango_sf.merge.layout import LayoutPatchError
    from tasks.totango_sf.merge.security import SecurityPatchError
    from tasks.totango_sf.metadata.paths import UnsafePath
    from tasks.totango_sf.metadata.validation import SchemaValidationError
    from tasks.totango_sf.org.desired_state import OrgPrerequisiteMissing
    from tasks.totango_sf.org.results import DeployRefused
    from tasks.totango_sf.salesforce.connection import OrgUnreachable, org_call_errors
    from tasks.totango_sf.salesforce.metadata_api import (
        DeployOutcomeUnknown,
        DeployTimeout,
        MetadataCallFailed,
    )
    from tasks.totango_sf.state.snapshot import SnapshotNotFound
    from tasks.totango_sf.state.tracking import DeployInFlight

    return (
        DeployOutcomeUnknown,
        DeployInFlight,
        ConfigError,
        UnsafePath,
        OrgPrerequisiteMissing,
        LayoutPatchError,
        OrgUnreachable,
        DeployRefused,
        DeployTimeout,
        MetadataCallFailed,
        SecurityPatchError,
        SnapshotNotFound,
        SchemaValidationError,
        *org_call_errors(),
    )


def org_error_verdict(
    exc: Exception, secrets: tuple[str | None, ...] = (), org: str = ""
) -> OrgErrorVerdict:
    """The exit code and message for one of ``org_errors()``; re-raises anything else.

    Network and API errors are one short line naming the command that checks the org
    (``cci org info ORG``), never urllib3's retry chain.
    """
    from tasks.totango_sf.config.model import ConfigError
    from tasks.totango_sf.merge.layout import LayoutPatchError
    from tasks.totango_sf.merge.security import SecurityPatchError
    from tasks.totango_sf.metadata.paths import UnsafePath
    from tasks.totango_sf.metadata.validation import SchemaValidationError
    from tasks.totango_sf.org.desired_state import OrgPrerequisiteMissing
    from tasks.totango_sf.org.results import DeployRefused
    from tasks.totango_sf.salesforce.connection import (
        OrgUnreachable,
        org_call_errors,
        redact,
        short_reason,
    )
    from tasks.totango_sf.salesforce.metadata_api import (
        DeployOutcomeUnknown,
        DeployTimeout,
        MetadataCallFailed,
    )
    from tasks.totango_sf.state.snapshot import SnapshotNotFound
    from tasks.totango_sf.state.tracking import DeployInFlight

    if isinstance(exc, DeployOutcomeUnknown):
        # Never "failed": the deploy may still run and change the org.
        return OrgErrorVerdict(
            EXIT_OUTCOME_UNKNOWN,
            f"outcome unknown: {redact(exc.reason, *secrets)}. The deploy"
            f" {exc.deploy_id or '(id not returned)'} may still run and change the org;"
            " it is NOT reported as failed.",
            {"deploy_id": exc.deploy_id, "outcome": "unknown"},
            actions=[status_command(org, exc.deploy_id)],
        )
    if isinstance(exc, DeployInFlight):
        return OrgErrorVerdict(
            EXIT_ORG_BUSY,
            f"{exc}; nothing was sent",
            {"deploy_id": exc.deploy_id, "deploy_status": exc.status},
            actions=[status_command(org, exc.deploy_id)],
        )
    if isinstance(exc, DeployRefused | SnapshotNotFound | ConfigError | UnsafePath):
        # An exact rollback refused because the org changed carries the diffs.
        diffs = getattr(exc, "diffs", None)
        data = {"diffs": diffs} if diffs else {}
        return OrgErrorVerdict(EXIT_BAD_INPUT, redact(str(exc), *secrets), data)
    if isinstance(exc, OrgPrerequisiteMissing):
        lines = "\n".join(f"  {p}" for p in exc.problems)
        return OrgErrorVerdict(
            EXIT_BAD_INPUT,
            f"the org is not ready for the setup:\n{lines}",
            {"problems": exc.problems},
        )
    if isinstance(exc, SchemaValidationError):
        return OrgErrorVerdict(
            EXIT_DEPLOY_FAILED,
            "the package is not schema-valid; nothing was sent",
            problems=exc.problems,
        )
    if isinstance(exc, LayoutPatchError | SecurityPatchError):
        return OrgErrorVerdict(EXIT_DEPLOY_FAILED, f"cannot merge into the org's file: {exc}")
    if isinstance(exc, DeployTimeout):
        return OrgErrorVerdict(
            EXIT_DEPLOY_FAILED, redact(str(exc), *secrets), {"deploy_id": exc.deploy_id}
        )
    if isinstance(exc, MetadataCallFailed | OrgUnreachable):
        return OrgErrorVerdict(
            EXIT_ORG_UNREACHABLE, f"Metadata API call failed: {redact(str(exc), *secrets)}"
        )
    if isinstance(exc, org_call_errors()):
        reason = redact(short_reason(exc), *secrets)
        name = org or "NAME"
        return OrgErrorVerdict(
            EXIT_ORG_UNREACHABLE,
            f"org {name!r} refused or dropped a call ({reason}); check `cci org info {name}`",
        )
    raise exc
