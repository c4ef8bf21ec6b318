"""deploy, verify, rollback and plan against a connected org.

Each is a plain function taking an ``OrgSession`` and the config and returning a
result dataclass with ``to_json()``; the CLI and the CumulusCI tasks only print
or log it. Round trips of a deploy: one listMetadata (layout globs), one retrieve
of everything compared or merged, one deploy, one verify retrieve, plus the
permission-set assignment calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.merge.flexipage import widget_component_state
from tasks.totango_sf.merge.layout import widget_section_state
from tasks.totango_sf.merge.org_default import org_default_page
from tasks.totango_sf.merge.record_page_plan import retrieve_members as record_page_members
from tasks.totango_sf.merge.widget import widget_section_for
from tasks.totango_sf.metadata.validation import require_valid
from tasks.totango_sf.org import snapshot as snapshots
from tasks.totango_sf.org.desired_state import (
    DesiredState,
    desired_state,
    object_path,
    retrieve_members,
)
from tasks.totango_sf.org.integration_user import IntegrationAssignment, assign_integration_user
from tasks.totango_sf.org.ip_ranges_state import ip_ranges_drift
from tasks.totango_sf.org.metadata_api import (
    DEFAULT_TIMEOUT,
    DeployResult,
    MetadataCallFailed,
    ProgressCallback,
    Sleep,
    StartedCallback,
    deploy_files,
    list_metadata,
    quick_deploy,
    retrieve_files,
)
from tasks.totango_sf.org.org_identity import org_id_of
from tasks.totango_sf.org.permset_assignment import (
    AssignmentReport,
    PermissionSetMissing,
    assign_permission_set,
)
from tasks.totango_sf.org.record_page_claims import claims_extra, latest_claims
from tasks.totango_sf.org.record_page_rollback import WIDGETS_KEY
from tasks.totango_sf.org.snapshot import (
    Snapshot,
    list_snapshots,
    load_snapshot,
    record_deploy,
    save_deployed,
    write_snapshot,
)
from tasks.totango_sf.org.test_levels import (
    TestLevelRefused,
    TestPlan,
    choose_test_plan,
    production_for_tests,
)
from tasks.totango_sf.org.tracking import Tracker, refuse_if_in_flight, run_tracked

DeployStatus = Literal["in_sync", "deployed", "validated", "failed"]
DriftState = Literal["in_sync", "missing", "changed"]

PLACEHOLDER_REFUSAL = (
    "trusted_ip_ranges.addresses still holds the documentation placeholders (RFC 5737/3849);"
    " replace them with Totango's published IP list before deploying"
)
# Deleted after the restored layouts are in place: a page still shown on a
# layout cannot be deleted, so the deletions must run last in the same deploy.
DESTRUCTIVE_FILE = "destructiveChangesPost.xml"
DESTRUCTIVE_PRE_FILE = "destructiveChangesPre.xml"
# Seconds between attempts of a follow-up step (assignment, verify): both are safe
# to repeat, and a deploy that went through must not be reported as failed.
FOLLOW_UP_RETRY_DELAYS = (1.0, 3.0)
# Deleted only on request (fields lose their data) or never (patches are restored).
REMOVABLE_TYPES = (
    "ApexPage",
    "CustomTab",
    "PermissionSet",
    "Report",
    "ReportFolder",
    "FlexiPage",
)


class DeployRefused(Exception):
    """A safety rule stops the command before anything is sent (exit code 2)."""


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


# -- reading the org -----------------------------------------------------------------


def read_org(
    session: Any, config: TotangoConfig, snapshot_root: Path | None = None
) -> tuple[list[str], DesiredState]:
    """listMetadata(Layout) + one retrieve -> the desired state and its diff."""
    layout_names = list_metadata(session, "Layout", config.api_version)
    layouts = config.matching_layouts(layout_names)
    members = retrieve_members(config, layouts, layout_names)
    retrieved = retrieve_files(session, members, config.api_version)
    claims = latest_claims(_root(snapshot_root), session.name)
    return layout_names, desired_state(config, layout_names, retrieved, claims)


def drift_report(org: str, config: TotangoConfig, state: DesiredState) -> VerifyReport:
    """Per component: in sync, missing or changed, with what changed."""
    items = []
    for diff in state.diffs:
        if diff.action == "unchanged":
            items.append(Drift(diff.type, diff.name, "in_sync"))
        elif diff.action == "create":
            items.append(Drift(diff.type, diff.name, "missing", "not in the org"))
        else:
            items.append(Drift(diff.type, diff.name, "changed", _detail(config, state, diff)))
    return VerifyReport(org, items, list(state.warnings))


def _detail(config: TotangoConfig, state: DesiredState, diff: Any) -> str:
    if diff.type == "Layout":
        before = state.originals.get(f"layouts/{diff.name}.layout")
        if before is not None:
            obj = diff.name.split("-", 1)[0]
            section_state = widget_section_state(before, widget_section_for(config, obj))
            return f"section {section_state.status}: {section_state.detail}".rstrip(": ")
    if diff.type == "FlexiPage" and state.record_pages is not None:
        before = state.originals.get(f"flexipages/{diff.name}.flexipage")
        widget = state.record_pages.widgets.get(diff.name)
        if state.record_pages.action_of(diff.name) == "remove":
            return "our component is on a page widget.record_pages does not select"
        if before is not None and widget is not None:
            page_state = widget_component_state(before, widget)
            return f"record page component {page_state.status}: {page_state.detail}".rstrip(": ")
    if diff.type == "CustomObject":
        wanted = state.record_pages.org_defaults.get(diff.name) if state.record_pages else None
        return org_default_drift(state.originals.get(object_path(diff.name)), wanted)
    if diff.type == "Settings" and diff.name == "Security":
        before = state.originals.get("settings/Security.settings")
        if before is not None:
            return ip_ranges_drift(before, config.trusted_ip_ranges)
    changed = [
        line
        for line in diff.diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return f"{len(changed)} line(s) differ"


def org_default_drift(before: bytes | None, wanted: str | None) -> str:
    now = org_default_page(before) or "the system default"
    return f"org default record page {now} → {wanted}"


def verify(
    session: Any, config: TotangoConfig, layout_names: list[str] | None = None
) -> VerifyReport:
    """Drift report; reuses ``layout_names`` to skip the listMetadata after a deploy."""
    if layout_names is None:
        layout_names = list_metadata(session, "Layout", config.api_version)
    layouts = config.matching_layouts(layout_names)
    members = retrieve_members(config, layouts, layout_names)
    retrieved = retrieve_files(session, members, config.api_version)
    claims = latest_claims(_root(None), session.name)
    return drift_report(
        session.name, config, desired_state(config, layout_names, retrieved, claims)
    )


# -- deploying -----------------------------------------------------------------------


def check_safety(session: Any, config: TotangoConfig, yes: bool) -> str:
    """Refuse placeholder IPs, and production without ``yes``; returns the org kind."""
    if config.trusted_ip_ranges.uses_placeholders:
        raise DeployRefused(PLACEHOLDER_REFUSAL)
    kind = session.kind()
    if kind.is_production and not yes:
        raise DeployRefused(
            f"org {session.name!r} is a production org; re-run with --yes to deploy to it"
            " (or validate first with --check-only, then --quick VALIDATION_ID)"
        )
    return str(kind.label)


def _is_patch(state: DesiredState, key: tuple[str, str]) -> bool:
    # A FlexiPage is a patch when it is one of the org's pages; one we create is added.
    if key[0] == "FlexiPage":
        return f"flexipages/{key[1]}.flexipage" in state.originals
    # An object is only ever patched: its record-page override (org/desired_state.py).
    return key[0] in ("Layout", "Settings", "CustomObject")


def _added(state: DesiredState) -> list[tuple[str, str]]:
    return [d.key for d in state.diffs if d.action == "create" and not _is_patch(state, d.key)]


def _patched(state: DesiredState) -> list[tuple[str, str]]:
    return [d.key for d in state.diffs if _is_patch(state, d.key)]


def test_plan_for(
    session: Any, kind: str, test_level: str | None, tests: Any, check_only: bool
) -> TestPlan:
    """The tests this deploy asks for; a refused level stops it before anything is sent."""
    production = False
    if kind == "production":
        org = session.kind()
        production = production_for_tests(org.org_type, org.is_production)
    try:
        return choose_test_plan(
            test_level, tests, production=production, check_only=check_only, org=session.name
        )
    except TestLevelRefused as exc:
        raise DeployRefused(str(exc)) from None


def _patched_files(state: DesiredState) -> dict[str, bytes]:
    """The whole merged layouts and Security.settings, and the objects' action overrides,
    as the org holds them after the deploy."""
    folders = {"Layout": "layouts/{}.layout", "CustomObject": "objects/{}.object"}
    return {
        "settings/Security.settings"
        if c.type == "Settings"
        else folders[c.type].format(c.full_name): c.xml
        for c in state.components
        if c.type in ("Layout", "Settings", "CustomObject")
    }


def layouts_for_verify(config: TotangoConfig, snapshot: Snapshot) -> list[str] | None:
    """The snapshot's patched layouts, to spare verify a listMetadata; None (list them)
    with record pages in play, which need every layout of the objects: the profiles'
    assignments come back only for layouts retrieved with them."""
    if record_page_members(config):
        return None
    return [name for kind, name in snapshot.patched if kind == "Layout"] or None


def _root(snapshot_root: Path | None) -> Path:
    # Read at call time, so tests and callers can point it elsewhere.
    return snapshot_root if snapshot_root is not None else snapshots.SNAPSHOT_ROOT


def _retried(step: Callable[[], Any]) -> Any:
    """An idempotent follow-up step, tried again after a transient failure."""
    from tasks.totango_sf.org.connection import org_call_errors
    from tasks.totango_sf.org.retry_policy import with_retries

    transient: tuple[type[BaseException], ...] = (MetadataCallFailed, *org_call_errors())
    return with_retries(step, lambda exc: isinstance(exc, transient), FOLLOW_UP_RETRY_DELAYS)


def after_deploy(
    session: Any, config: TotangoConfig, outcome: DeployOutcome, layout_names: list[str] | None
) -> None:
    """Assign the permission set and verify; a failure here never undoes "deployed"."""
    from tasks.totango_sf.org.connection import OrgUnreachable, org_call_errors

    failures: tuple[type[BaseException], ...] = (
        MetadataCallFailed,
        OrgUnreachable,
        KeyboardInterrupt,
        *org_call_errors(),
    )
    step = "permission-set assignment"
    try:
        started = time.monotonic()
        try:
            outcome.assignments = _retried(
                lambda: assign_permission_set(
                    session, config.permission_set.name, config.permission_set.profiles
                )
            )
        except PermissionSetMissing as exc:
            outcome.warnings.append(f"permission set not assigned: {exc}")
        step = "connection user assignment"
        outcome.integration = _retried(lambda: assign_integration_user(session, config))
        if not outcome.integration.ok:
            outcome.warnings.append(
                f"{config.integration.permission_set} not assigned to Totango's connection user:"
                f" {outcome.integration.detail}"
            )
        outcome.timings.measure("assign_permission_set", started)
        step = "verify"
        started = time.monotonic()
        outcome.verify = _retried(lambda: verify(session, config, layout_names))
        outcome.timings.measure("verify", started)
    except failures as exc:
        outcome.follow_up_error = f"{step} failed: {type(exc).__name__}: {exc}"


def _after_deploy(
    session: Any, config: TotangoConfig, outcome: DeployOutcome, layout_names: list[str]
) -> None:
    after_deploy(session, config, outcome, layout_names)


def deploy(
    session: Any,
    config: TotangoConfig,
    *,
    check_only: bool = False,
    yes: bool = False,
    snapshot_root: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: ProgressCallback | None = None,
    sleep: Sleep = time.sleep,
    on_plan: Callable[[DesiredState], None] | None = None,
    on_started: StartedCallback | None = None,
    test_level: str | None = None,
    tests: str | list[str] | None = None,
) -> DeployOutcome:
    """Retrieve, merge, diff, validate, snapshot, deploy once, assign, verify."""
    timings = Timings()
    started = time.monotonic()
    # A validation changes nothing, so production needs no --yes for it: that keeps
    # "validate, review, then --quick" the easy path.
    kind = check_safety(session, config, yes or check_only)
    test_plan = test_plan_for(session, kind, test_level, tests, check_only)
    layout_names, state = read_org(session, config, snapshot_root)
    timings.measure("read_org", started)
    if state.blocking:
        raise DeployRefused("; ".join(state.blocking))
    outcome = DeployOutcome(session.name, kind, "in_sync", state, warnings=list(state.warnings))
    outcome.timings = timings
    if on_plan is not None:
        on_plan(state)
    if state.in_sync:
        if not check_only:
            _after_deploy(session, config, outcome, layout_names)
        return outcome
    files = state.deploy_files()
    require_valid(files)
    refuse_if_in_flight(session)
    snapshot = write_snapshot(
        _root(snapshot_root), session.name, state.originals, _added(state), _patched(state)
    )
    outcome.snapshot_id = snapshot.id
    snapshot.extra["check_only"] = check_only
    snapshot.extra["org_id"] = org_id_of(session)
    snapshot.extra.update(test_plan.to_json())
    save_deployed(snapshot, _patched_files(state))
    if state.record_pages is not None and state.record_pages.widgets:
        snapshot.extra[WIDGETS_KEY] = {n: w.page for n, w in state.record_pages.widgets.items()}
    snapshot.extra.update(claims_extra(state.record_pages))
    started = time.monotonic()
    tracker = Tracker(snapshot, "deploy")
    result = run_tracked(
        tracker,
        lambda started_callback: deploy_files(
            session,
            files,
            config.api_version,
            check_only=check_only,
            timeout=timeout,
            progress=progress,
            sleep=sleep,
            on_started=started_callback,
            test_plan=test_plan,
        ),
        session,
        config.api_version,
        timeout=timeout,
        progress=progress,
        sleep=sleep,
        on_started=on_started,
    )
    timings.measure("deploy", started)
    outcome.deploy = result
    snapshot.extra["tests_run"] = result.tests.tests_run if result.tests else 0
    record_deploy(snapshot, result.id, result.success and not check_only)
    if not result.success:
        outcome.status = "failed"
        return outcome
    outcome.status = "validated" if check_only else "deployed"
    if not check_only:
        _after_deploy(session, config, outcome, layout_names)
        tracker.follow_up(outcome.follow_up_error)
    return outcome


def _snapshot_of_validation(root: Path, org: str, validation_id: str) -> Snapshot | None:
    for snapshot_id in reversed(list_snapshots(root, org)):
        snapshot = load_snapshot(root, org, snapshot_id)
        if snapshot.deploy_id == validation_id:
            return snapshot
    return None


def quick_without_tests(org: str, validation_id: str, snapshot: Snapshot) -> str:
    level = snapshot.extra.get("test_level") or "default"
    return (
        f"validation {validation_id} ran no Apex tests (test level {level}), and Salesforce"
        " quick-deploys only a validation in which the org's tests ran and passed. Validate"
        f" again with `totango-sf deploy --org {org} --check-only --test-level RunLocalTests`"
        f" and quick-deploy that id, or deploy directly with `totango-sf deploy --org {org}`."
        " Nothing was sent."
    )


def quick(
    session: Any,
    config: TotangoConfig,
    validation_id: str,
    *,
    yes: bool = False,
    snapshot_root: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: ProgressCallback | None = None,
    sleep: Sleep = time.sleep,
    on_started: StartedCallback | None = None,
) -> DeployOutcome:
    """deployRecentValidation of a check-only deploy, then assign and verify."""
    kind = check_safety(session, config, yes)
    snapshot = _snapshot_of_validation(_root(snapshot_root), session.name, validation_id)
    if snapshot is not None and snapshot.extra.get("tests_run") == 0:
        raise DeployRefused(quick_without_tests(session.name, validation_id, snapshot))
    outcome = DeployOutcome(session.name, kind, "failed", quick_from=validation_id)
    refuse_if_in_flight(session)
    found_validation = snapshot is not None
    if snapshot is None:
        # Still traceable: an empty snapshot records the quick deploy's id and state.
        snapshot = write_snapshot(_root(snapshot_root), session.name, {}, [], [])
        snapshot.extra["quick_deploy_of"] = validation_id
    tracker = Tracker(snapshot, "quick")
    started = time.monotonic()
    try:
        result = run_tracked(
            tracker,
            lambda started_callback: quick_deploy(
                session,
                validation_id,
                config.api_version,
                timeout=timeout,
                progress=progress,
                sleep=sleep,
                on_started=started_callback,
            ),
            session,
            config.api_version,
            timeout=timeout,
            progress=progress,
            sleep=sleep,
            on_started=on_started,
        )
    except MetadataCallFailed as exc:
        if "INVALID_ID_FIELD" not in str(exc):
            raise
        # The org refused the id itself (nothing started): say what would work instead.
        raise DeployRefused(
            f"the org refused to quick-deploy validation {validation_id}: {exc}. Salesforce"
            " quick-deploys a validation once, within 10 days, only if the org's Apex tests ran"
            " and passed in it and the org did not change since. Validate again with"
            f" `totango-sf deploy --org {session.name} --check-only --test-level RunLocalTests`"
            " and quick-deploy that id."
        ) from None
    outcome.timings.measure("deploy", started)
    outcome.deploy = result
    if found_validation:
        outcome.snapshot_id = snapshot.id
        record_deploy(snapshot, validation_id, result.success)
    else:
        outcome.warnings.append(
            f"no snapshot of validation {validation_id} here: rollback will need --snapshot"
        )
    if not result.success:
        return outcome
    outcome.status = "deployed"
    layout_names = layouts_for_verify(config, snapshot) if found_validation else None
    _after_deploy(session, config, outcome, layout_names)  # type: ignore[arg-type]
    tracker.follow_up(outcome.follow_up_error)
    return outcome


# -- rollback ------------------------------------------------------------------------


def rollback(session: Any, config: TotangoConfig, **options: Any) -> Any:
    """See ``org.rollback.rollback``: surgical by default, exact restore on request."""
    from tasks.totango_sf.org.rollback import rollback as run_rollback

    return run_rollback(session, config, **options)


# -- plan ----------------------------------------------------------------------------


@dataclass
class OrgPlan:
    org: str
    state: DesiredState
    files: dict[str, bytes]

    def to_json(self, with_diff: bool = False) -> dict[str, Any]:
        return {
            "ok": True,
            "org": self.org,
            "in_sync": self.state.in_sync,
            "api_version": self.state.api_version,
            "components": [d.to_json(with_diff) for d in self.state.diffs],
            "layouts": self.state.layouts,
            "record_pages": self.state.record_pages.to_json() if self.state.record_pages else [],
            "warnings": self.state.warnings + self.state.blocking,
        }


def plan(session: Any, config: TotangoConfig) -> OrgPlan:
    """What deploy would do; reads the org, changes nothing."""
    _, state = read_org(session, config)
    files = state.deploy_files() if not state.in_sync else {}
    return OrgPlan(session.name, state, files)
