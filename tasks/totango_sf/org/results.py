"""What the org flows return: deploy outcomes, drift reports and the refusal before sending.

Results are data: each has ``to_json()``, checked against a JSON Schema in ``schemas/``, and
the CLI and the CumulusCI tasks only print or log it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from tasks.totango_sf.errors import BadInput
from tasks.totango_sf.org.desired_state import DesiredState
from tasks.totango_sf.org.integration_user import IntegrationAssignment
from tasks.totango_sf.org.permset_assignment import AssignmentReport
from tasks.totango_sf.salesforce.metadata_api import DeployResult

DeployStatus = Literal["in_sync", "deployed", "validated", "failed"]
DriftState = Literal["in_sync", "missing", "changed"]


class DeployRefused(BadInput):
    """A safety rule stops the command before anything is sent (exit code 2)."""

    def verdict_data(self) -> dict[str, Any]:
        # An exact rollback refused because the org changed carries the diffs.
        diffs = getattr(self, "diffs", None)
        return {"diffs": diffs} if diffs else {}


@dataclass
class Timings:
    phases: dict[str, float] = field(default_factory=dict)

    def measure(self, name: str, started: float) -> None:
        self.phases[name] = round(time.monotonic() - started, 3)


@dataclass(frozen=True)
class Drift:
    type: str
    name: str
    state: DriftState
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "name": self.name, "state": self.state, "detail": self.detail}


@dataclass
class VerifyReport:
    org: str
    items: list[Drift]
    warnings: list[str] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return all(i.state == "in_sync" for i in self.items)

    @property
    def drift(self) -> list[Drift]:
        return [i for i in self.items if i.state != "in_sync"]

    def to_json(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "in_sync": self.in_sync,
            "components": [i.to_json() for i in self.items],
            "drift": [i.to_json() for i in self.drift],
            "warnings": self.warnings,
        }


@dataclass
class DeployOutcome:
    org: str
    org_kind: str
    status: DeployStatus
    state: DesiredState | None = None
    deploy: DeployResult | None = None
    snapshot_id: str | None = None
    assignments: AssignmentReport | None = None
    verify: VerifyReport | None = None
    warnings: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    quick_from: str | None = None
    integration: IntegrationAssignment | None = None
    # Deployed, but the permission-set assignment or the verify did not finish.
    follow_up_error: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.status != "failed"
            and self.follow_up_error is None
            and (self.verify is None or self.verify.in_sync)
        )

    def _validation_only(self) -> int:
        from tasks.totango_sf.org.check_only import validation_only_failures

        return len(validation_only_failures(self.deploy))

    def failure_origins(self) -> list[Any]:
        """Each component failure traced: file, element, whether ours or the org's own."""
        from tasks.totango_sf.org.failure_origin import trace_failures

        return trace_failures(self.deploy, self.state)

    def to_json(self, with_diff: bool = False) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "org": self.org,
            "org_kind": self.org_kind,
            "status": self.status,
            "plan": [d.to_json(with_diff) for d in self.state.diffs] if self.state else [],
            "record_pages": self.state.record_pages.to_json()
            if self.state and self.state.record_pages
            else [],
            "deploy": self.deploy.to_json() if self.deploy else None,
            # One per deploy.failures entry, in its order (org/failure_origin.py).
            "failure_origins": [f.to_json() for f in self.failure_origins()],
            # A failed validation whose failures only a validation meets (org/check_only.py).
            "validation_only_failures": self._validation_only(),
            "deploy_id": self.deploy.id if self.deploy else None,
            "validation_id": self.deploy.id
            if self.deploy and self.deploy.check_only and self.deploy.success
            else None,
            "quick_deploy_of": self.quick_from,
            "follow_up_error": self.follow_up_error,
            "snapshot": self.snapshot_id,
            "permission_set_assignments": self.assignments.to_json() if self.assignments else None,
            "integration_user": self.integration.to_json() if self.integration else None,
            "verify": self.verify.to_json() if self.verify else None,
            "warnings": self.warnings,
            "timings": self.timings.phases,
        }
