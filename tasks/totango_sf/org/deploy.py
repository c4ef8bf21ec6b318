"""deploy and quick deploy against a connected org.

Each is a plain function taking an ``OrgSession`` and the config and returning a
``DeployOutcome`` (``org/results.py``); the CLI and the CumulusCI tasks only print or log
it. Round trips of a deploy: one listMetadata (layout globs), one retrieve of everything
compared or merged, one deploy, one verify retrieve, plus the permission-set assignment
calls. Verify lives in ``org/verify.py``, rollback in ``org/rollback.py`` and the org plan
in ``org/org_plan.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.errors import LocalFileError
from tasks.totango_sf.merge.record_page_plan import retrieve_members as record_page_members
from tasks.totango_sf.metadata.validation import require_valid
from tasks.totango_sf.org.check_only import validation_only_note
from tasks.totango_sf.org.desired_state import DesiredState
from tasks.totango_sf.org.integration_user import IntegrationAssignment, assign_integration_user
from tasks.totango_sf.org.permset_assignment import (
    PermissionSetMissing,
    assign_permission_set,
    assignments_made,
)
from tasks.totango_sf.org.record_page_rollback import WIDGETS_KEY
from tasks.totango_sf.org.requests import DeployRequest, RunHooks, polling
from tasks.totango_sf.org.results import DeployOutcome, DeployRefused, Timings
from tasks.totango_sf.org.verify import read_org, verify
from tasks.totango_sf.salesforce.admin_lock import AdminSetupLocked, is_admin_locked
from tasks.totango_sf.salesforce.apex_tests import (
    ApexTestLevelRefused,
    ApexTestPlan,
    choose_test_plan,
    production_for_tests,
)
from tasks.totango_sf.salesforce.connection import OrgUnreachable, org_call_errors
from tasks.totango_sf.salesforce.metadata_api import (
    MetadataCallFailed,
    check_package_limits,
    deploy_files,
    quick_deploy,
)
from tasks.totango_sf.salesforce.org_identity import org_id_of
from tasks.totango_sf.salesforce.retry_policy import with_retries
from tasks.totango_sf.state.ownership import OWNERSHIP_KEY
from tasks.totango_sf.state.record_page_claims import claims_extra
from tasks.totango_sf.state.snapshot import (
    Snapshot,
    damaged_snapshots,
    readable_snapshots,
    record_deploy,
    save_deployed,
    save_manifest,
    snapshot_folder,
    write_snapshot,
)
from tasks.totango_sf.state.tracking import Tracker, refuse_if_in_flight, run_tracked

PLACEHOLDER_REFUSAL = (
    "trusted_ip_ranges.addresses still holds the documentation placeholders (RFC 5737/3849);"
    " replace them with Totango's published IP list before deploying"
)
# Seconds between attempts of a follow-up step (assignment, verify): both are safe
# to repeat, and a deploy that went through must not be reported as failed.
FOLLOW_UP_RETRY_DELAYS = (1.0, 3.0)


# -- deploying -----------------------------------------------------------------------


def integration_warning(integration: IntegrationAssignment) -> str:
    """The warning of a deploy whose connection-user assignment did not go through (a
    terminal shows the assignment on a line of its own, and drops this one)."""
    return (
        f"{integration.permission_set} not assigned to Totango's connection user:"
        f" {integration.detail}"
    )


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
    # A layout left alone (a section made by hand) has a plan row but no component.
    built = {c.key for c in state.components}
    return [d.key for d in state.diffs if _is_patch(state, d.key) and d.key in built]


def apex_test_plan_for(
    session: Any, kind: str, test_level: str | None, tests: Any, check_only: bool
) -> ApexTestPlan:
    """The tests this deploy asks for; a refused level stops it before anything is sent."""
    production = False
    if kind == "production":
        org = session.kind()
        production = production_for_tests(org.org_type, org.is_production)
    try:
        return choose_test_plan(
            test_level, tests, production=production, check_only=check_only, org=session.name
        )
    except ApexTestLevelRefused as exc:
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


def _retried(step: Callable[[], Any]) -> Any:
    """An idempotent follow-up step, tried again after a transient failure."""
    transient: tuple[type[BaseException], ...] = (MetadataCallFailed, *org_call_errors())
    return with_retries(step, lambda exc: isinstance(exc, transient), FOLLOW_UP_RETRY_DELAYS)


def after_deploy(
    session: Any, config: TotangoConfig, outcome: DeployOutcome, layout_names: list[str] | None
) -> None:
    """Assign the permission set and verify; a failure here never undoes "deployed"."""
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
        if outcome.assignments is not None:
            outcome.warnings += outcome.assignments.warnings
        step = "connection user assignment"
        outcome.integration = _retried(lambda: assign_integration_user(session, config))
        if not outcome.integration.ok:
            outcome.warnings.append(integration_warning(outcome.integration))
        elif outcome.integration.state == "assigned" and outcome.integration.detail:
            outcome.warnings.append(outcome.integration.detail)  # made, but not recorded
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
    request: DeployRequest = DeployRequest(),
    hooks: RunHooks = RunHooks(),
) -> DeployOutcome:
    """Retrieve, merge, diff, validate, snapshot, deploy once, assign, verify."""
    check_only, snapshot_root = request.check_only, request.snapshot_root
    timings = Timings()
    started = time.monotonic()
    # A validation changes nothing, so production needs no --yes for it: that keeps
    # "validate, review, then --quick" the easy path.
    kind = check_safety(session, config, request.yes or check_only)
    test_plan = apex_test_plan_for(session, kind, request.test_level, request.tests, check_only)
    # Read before anything is sent: a damaged ledger refuses the run (exit 2).
    assignments_made(session.name)
    layout_names, state = read_org(session, config, snapshot_root, request.adopt)
    timings.measure("read_org", started)
    if state.blocking:
        raise DeployRefused("; ".join(state.blocking))
    outcome = DeployOutcome(session.name, kind, "in_sync", state, warnings=list(state.warnings))
    outcome.warnings.extend(damaged_warnings(snapshot_root, session.name))
    outcome.timings = timings
    if hooks.on_plan is not None:
        hooks.on_plan(state)
    if state.in_sync:
        if not check_only:
            if state.record.adopted_anything:
                outcome.snapshot_id = record_adoption(session, state, snapshot_root)
            _after_deploy(session, config, outcome, layout_names)
        return outcome
    files = state.deploy_files()
    require_valid(files)
    check_package_limits(files)
    refuse_if_in_flight(session)
    try:
        snapshot = write_snapshot(
            snapshot_folder(snapshot_root),
            session.name,
            state.originals,
            _added(state),
            _patched(state),
        )
        save_deployed(snapshot, _patched_files(state))
    except LocalFileError as exc:
        raise exc.noting("nothing was sent to the org") from None
    outcome.snapshot_id = snapshot.id
    snapshot.extra["check_only"] = check_only
    snapshot.extra["org_id"] = org_id_of(session)
    snapshot.extra.update(test_plan.to_json())
    if state.record_pages is not None and state.record_pages.widgets:
        snapshot.extra[WIDGETS_KEY] = {n: w.page for n, w in state.record_pages.widgets.items()}
    snapshot.extra.update(claims_extra(state.record_pages))
    snapshot.extra[OWNERSHIP_KEY] = state.record.to_json()
    started = time.monotonic()
    tracker = Tracker(snapshot, "deploy")
    result = run_tracked(
        tracker,
        lambda started_callback: deploy_files(
            session,
            files,
            config.api_version,
            check_only=check_only,
            polling=replace(polling(request, hooks), on_started=started_callback),
            test_plan=test_plan,
        ),
        session,
        config.api_version,
        **polling(request, hooks).keywords(),
    )
    timings.measure("deploy", started)
    outcome.deploy = result
    snapshot.extra["tests_run"] = result.tests.tests_run if result.tests else 0
    record_deploy(snapshot, result.id, result.success and not check_only)
    if is_admin_locked(result):
        raise AdminSetupLocked.of(session.name, result)
    if not result.success:
        outcome.status = "failed"
        note = validation_only_note(result, session.name)
        if note:
            outcome.warnings.append(note)
    else:
        outcome.status = "validated" if check_only else "deployed"
        if not check_only:
            _after_deploy(session, config, outcome, layout_names)
            tracker.follow_up(outcome.follow_up_error)
    outcome.warnings.extend(snapshot.warnings)
    return outcome


def damaged_warnings(snapshot_root: Path | None, org: str) -> list[str]:
    """One warning per damaged snapshot of ``org``: skipped, never in the way of new work."""
    return [d.warning for d in damaged_snapshots(snapshot_folder(snapshot_root), org)]


def record_adoption(session: Any, state: DesiredState, snapshot_root: Path | None) -> str:
    """An org in sync whose sections or ranges made by hand are adopted: nothing to deploy,
    but from now on they are ours, so a snapshot records it (kind ``adopt``, no deploy)."""
    snapshot = write_snapshot(snapshot_folder(snapshot_root), session.name, {}, [], [])
    snapshot.extra["kind"] = "adopt"
    snapshot.extra["org_id"] = org_id_of(session)
    snapshot.extra[OWNERSHIP_KEY] = state.record.to_json()
    snapshot.extra["deploy_success"] = True
    save_manifest(snapshot)
    return snapshot.id


def _snapshot_of_validation(root: Path, org: str, validation_id: str) -> Snapshot | None:
    for snapshot in readable_snapshots(root, org):
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
    request: DeployRequest,
    hooks: RunHooks = RunHooks(),
) -> DeployOutcome:
    """deployRecentValidation of ``request.quick_id``, then assign and verify."""
    if not request.quick_id:
        raise DeployRefused("a quick deploy needs the id of a validation (--quick ID)")
    validation_id, snapshot_root = request.quick_id, request.snapshot_root
    kind = check_safety(session, config, request.yes)
    assignments_made(session.name)  # a damaged ledger refuses before anything is sent
    snapshot = _snapshot_of_validation(snapshot_folder(snapshot_root), session.name, validation_id)
    if snapshot is not None and snapshot.extra.get("tests_run") == 0:
        raise DeployRefused(quick_without_tests(session.name, validation_id, snapshot))
    outcome = DeployOutcome(session.name, kind, "failed", quick_from=validation_id)
    refuse_if_in_flight(session)
    found_validation = snapshot is not None
    if snapshot is None:
        # Still traceable: an empty snapshot records the quick deploy's id and state.
        try:
            snapshot = write_snapshot(snapshot_folder(snapshot_root), session.name, {}, [], [])
        except LocalFileError as exc:
            raise exc.noting("nothing was sent to the org") from None
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
                replace(polling(request, hooks), on_started=started_callback),
            ),
            session,
            config.api_version,
            **polling(request, hooks).keywords(),
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
    outcome.warnings.extend(damaged_warnings(snapshot_root, session.name))
    if found_validation:
        outcome.snapshot_id = snapshot.id
        record_deploy(snapshot, validation_id, result.success)
    else:
        outcome.warnings.append(
            f"no snapshot of validation {validation_id} here: rollback will need --snapshot"
        )
    if is_admin_locked(result):
        raise AdminSetupLocked.of(session.name, result)
    if result.success:
        outcome.status = "deployed"
        layout_names = layouts_for_verify(config, snapshot) if found_validation else None
        _after_deploy(session, config, outcome, layout_names)  # type: ignore[arg-type]
        tracker.follow_up(outcome.follow_up_error)
    outcome.warnings.extend(snapshot.warnings)
    return outcome
