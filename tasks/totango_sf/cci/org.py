"""CumulusCI tasks for the org deploy path: totango_deploy, totango_verify, totango_rollback.

Thin shells over ``tasks.totango_sf.org.deploy``, the same functions the command line
runs. The org comes from CumulusCI (``--org`` of ``cci task run`` / the flow), so
these build an ``OrgSession`` from the task's own org and project config, and apply
``orgconfig/<org>.yml`` for that org as ``totango-sf --org`` does. They log short
lines through CumulusCI's logger (one per plan row, deploy status change and drift
item); the full result is in ``return_values`` for a following flow step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cumulusci.core.exceptions import CumulusCIFailure, TaskOptionsError
from cumulusci.tasks.salesforce import BaseSalesforceTask
from cumulusci.utils.options import Field

from tasks.totango_sf.cci.options import ConfigOptions, TimeoutOptions, TotangoOptions
from tasks.totango_sf.cci.project import TotangoTask
from tasks.totango_sf.salesforce.connection import OrgSession, redact
from tasks.totango_sf.salesforce.identifiers import deploy_id_problem, timeout_problem


class TotangoOrgTaskFailed(CumulusCIFailure):
    """The deploy, verify or rollback did not succeed (details are in the log)."""


# Fields that say which org and user an org config is; tokens are never compared or shown.
_IDENTITY = ("instance_url", "username", "org_id")


def environment_org_conflict(org_config: Any, environ: Any = None) -> str | None:
    """Why the org CumulusCI loaded differs from ``CUMULUSCI_ORG_<name>``, or None.

    ``totango-sf`` lets the environment entry win over an ``.org`` file an earlier run
    saved under the same name (``salesforce/connection.py``). ``cci task run`` and ``cci
    flow run`` load the org before any task starts, and CumulusCI's keychain loads the
    environment entries first and the saved files over them, so the file wins; a task
    cannot change that for the other tasks of a flow. So the Totango tasks refuse to
    run when the two name different orgs, before any call: nothing is sent to either.
    """
    import json
    import os

    environ = os.environ if environ is None else environ
    name = str(getattr(org_config, "name", "") or "")
    prefix = "CUMULUSCI_ORG_"
    entries = [
        v
        for k, v in environ.items()
        if k.startswith(prefix) and k[len(prefix) :].lower() == name.lower()
    ]
    if not name or not entries:
        return None
    try:
        wanted = json.loads(entries[0])
    except ValueError:
        return None  # CumulusCI itself refuses an entry that is not JSON
    loaded = getattr(org_config, "config", {}) or {}
    differ = [
        key
        for key in _IDENTITY
        if isinstance(wanted, dict)
        and wanted.get(key)
        and loaded.get(key)
        and str(wanted[key]).rstrip("/") != str(loaded[key]).rstrip("/")
    ]
    if not differ:
        return None

    def described(config: dict[str, Any]) -> str:
        return ", ".join(f"{key} {config.get(key)}" for key in _IDENTITY if config.get(key))

    return (
        f"org {name!r}: CumulusCI loaded a saved org ({described(loaded)}), but"
        f" CUMULUSCI_ORG_{name} names another ({described(wanted)}); nothing was sent."
        f" totango-sf follows the environment entry, and cci lets a saved .org file win:"
        f" remove the saved one with `cci org remove {name}` to use the environment's,"
        f" or unset CUMULUSCI_ORG_{name} to use the saved one"
    )


class TotangoOrgTask(TotangoTask, BaseSalesforceTask):
    """Base of every Totango task that works on an org: its session, overlay and log."""

    def _update_credentials(self) -> None:
        # Before CumulusCI refreshes the token: a refused org gets no call at all.
        if problem := environment_org_conflict(self.org_config):
            raise TaskOptionsError(problem)
        super()._update_credentials()

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        timeout = getattr(self.parsed_options, "timeout", None)
        if timeout is not None and (problem := timeout_problem(timeout)):
            raise TaskOptionsError(f"Option 'timeout': {problem}")

    def _config_org(self) -> str | None:
        # The org's own overlay unless the task names another one, as the CLI does.
        return self.parsed_options.config_org or self.org_config.name

    def _session(self) -> OrgSession:
        return OrgSession(self.org_config.name, self.org_config, self.project_config, self.logger)

    @contextmanager
    def _locked(self, command: str) -> Iterator[None]:
        """The org's lock (``state/lock.py``) for the whole change, as ``totango-sf`` holds it."""
        from tasks.totango_sf.state.lock import OrgBusy, OrgLock

        lock = OrgLock(self.org_config.name, command)
        try:
            lock.acquire()
        except OrgBusy as exc:
            raise TotangoOrgTaskFailed(f"{exc}; nothing was sent") from None
        try:
            yield
        finally:
            lock.release()

    def _log(self, line: str, warning: bool = False) -> None:
        # Known secrets only: the token-shaped pattern of redact() would also hide
        # long component names, and these lines hold names, not server text.
        for secret in (self.org_config.access_token, self.org_config.config.get("refresh_token")):
            if secret:
                line = line.replace(secret, "[redacted]")
        (self.logger.warning if warning else self.logger.info)(line)

    def _log_progress(self) -> Any:
        """A deploy progress callback that logs a line each time the status changes."""
        last: list[str] = []

        def log(progress: Any) -> None:
            if last and last[-1] == progress.status:
                return
            last.append(progress.status)
            self._log(
                f"deploy {progress.deploy_id}: {progress.status}"
                f" ({progress.deployed}/{progress.total} components, {progress.elapsed:.0f}s)"
            )

        return log

    def _log_plan(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row["action"] != "unchanged":
                self._log(f"{row['action']:9} {row['type']} {row['name']}: {row['summary']}")
        unchanged = sum(1 for row in rows if row["action"] == "unchanged")
        if unchanged:
            self._log(f"{unchanged} component(s) already as configured")

    def _log_verify(self, report: Any) -> None:
        for item in report.drift:
            detail = f": {item.detail}" if item.detail else ""
            self._log(f"{item.state:8} {item.type} {item.name}{detail}", True)
        in_sync = len(report.items) - len(report.drift)
        summary = f"verify: {in_sync} of {len(report.items)} components in sync"
        self._log(summary if report.in_sync else f"{summary}; drift in {len(report.drift)}")

    def _log_deploy_result(self, result: Any) -> None:
        if result is None:
            return
        self._log(
            f"deploy {result.id} result: {result.status}"
            f" ({result.components_deployed}/{result.components_total} components)",
            not result.success,
        )
        for failure in result.failures:
            self._log(redact(f"{failure.file}:{failure.line or ''}: {failure.problem}"), True)
        if result.error_message:
            self._log(redact(result.error_message), True)

    def _run_flow(self, call: Any) -> Any:
        """Run a flow; its errors become CumulusCI's, by the one verdict table
        (``org/verdicts.py``): bad input is a TaskOptionsError, anything else a failure
        that names the command settling it."""
        from tasks.totango_sf.errors import EXIT_BAD_INPUT
        from tasks.totango_sf.org.verdicts import handled_errors, verdict_of

        try:
            return call()
        except handled_errors() as exc:
            secrets = (self.org_config.access_token,)
            verdict = verdict_of(exc, secrets, self.org_config.name)
            message = redact(str(exc), *secrets)
            if verdict.code == EXIT_BAD_INPUT:
                raise TaskOptionsError(message) from None
            if verdict.actions:
                message = f"{message}; settle it with: {verdict.actions[0]}"
            raise TotangoOrgTaskFailed(message) from None


class ApexTestOptions(TotangoOptions):
    test_level: str | None = Field(
        None,
        description="NoTestRun, RunLocalTests, RunSpecifiedTests, RunAllTestsInOrg or default"
        " (testLevel left out). Default: NoTestRun outside production; in production default"
        " for a deploy, RunLocalTests for check_only.",
    )
    tests: str | None = Field(
        None, description="Test classes for RunSpecifiedTests, comma-separated."
    )


def _test_options(options: ApexTestOptions) -> tuple[str | None, tuple[str, ...]]:
    """test_level and tests, checked as the command line checks them."""
    from tasks.totango_sf.salesforce.apex_tests import ApexTestLevelRefused, check_test_options

    try:
        return check_test_options(options.test_level or None, options.tests)
    except ApexTestLevelRefused as exc:
        message = str(exc).replace("--test-level", "test_level").replace("--tests", "tests")
        raise TaskOptionsError(message) from None


class TotangoDeploy(TotangoOrgTask):
    task_docs = """
    Retrieves the org's layouts and Security.settings, merges the Totango section and
    trusted IP ranges, diffs against the org and deploys every change in one atomic
    deploy (rollbackOnError; tests per ``test_level``); then assigns the permission set
    and verifies. A Totango section or range an admin made by hand is left as it is
    unless ``adopt: True``. An org already in sync gets no deploy. Production needs
    ``yes: True``. With ``check_only`` the validation id is in return_values["validation_id"], for a
    following step with ``quick: ^^deploy_step.validation_id``.
    """

    class Options(ConfigOptions, TimeoutOptions, ApexTestOptions):
        check_only: bool = Field(False, description="Validate only (no change).")
        quick: str | None = Field(
            None, description="Validation id to quick-deploy (deployRecentValidation)."
        )
        yes: bool = Field(False, description="Required to deploy to a production org.")
        adopt: bool = Field(
            False,
            description="Adopt the Totango sections and trusted ranges an admin made by hand"
            " (kept as they are otherwise); the plan logged first names each one.",
        )

    parsed_options: Options

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        quick = self.parsed_options.quick
        if self.parsed_options.adopt and quick:
            raise TaskOptionsError(
                "Options adopt and quick exclude each other: validate with adopt instead"
            )
        if quick is not None and (problem := deploy_id_problem(quick)):
            # An empty id must not fall back to a full, unvalidated deploy.
            raise TaskOptionsError(f"Option 'quick': {problem}")
        if self.parsed_options.check_only and quick:
            raise TaskOptionsError("Options check_only and quick exclude each other")
        self.test_level, self.tests = _test_options(self.parsed_options)

    def _run(self) -> None:
        with self._locked("deploy"):
            self._change()

    def _change(self) -> None:
        from tasks.totango_sf.org import deploy as flow
        from tasks.totango_sf.org.requests import DeployRequest, RunHooks

        options = self.parsed_options
        config = self._load_totango_config()
        if config.trusted_ip_ranges.uses_placeholders:
            raise TaskOptionsError(flow.PLACEHOLDER_REFUSAL)
        session = self._session()
        progress = self._log_progress()
        if options.quick:
            outcome = self._run_flow(
                lambda: flow.quick(
                    session,
                    config,
                    DeployRequest(yes=options.yes, timeout=options.timeout, quick_id=options.quick),
                    RunHooks(progress=progress),
                )
            )
        else:
            outcome = self._run_flow(
                lambda: flow.deploy(
                    session,
                    config,
                    DeployRequest(
                        check_only=options.check_only,
                        yes=options.yes,
                        timeout=options.timeout,
                        test_level=self.test_level,
                        tests=list(self.tests),
                        adopt=options.adopt,
                    ),
                    RunHooks(progress=progress),
                )
            )
        document = outcome.to_json()
        self._log_plan(document["plan"])
        self._log_deploy_result(outcome.deploy)
        # Each failure traced: its element, the setup's or the org's own (failure_origin.py).
        for traced in document["failure_origins"]:
            self._log(_traced_line(traced), True)
        for warning in outcome.warnings:
            self._log(warning, True)
        if outcome.verify is not None:
            self._log_verify(outcome.verify)
        said = {"in_sync": "in sync: nothing deployed"}.get(outcome.status, outcome.status)
        self._log(said + (f"; snapshot {outcome.snapshot_id}" if outcome.snapshot_id else ""))
        self.return_values = {
            "status": outcome.status,
            "deploy_id": document["deploy_id"],
            "validation_id": document["validation_id"],
            "snapshot": outcome.snapshot_id,
            "result": document,
        }
        if outcome.deploy is not None and not outcome.deploy.success:
            tests = outcome.deploy.tests
            org_tests = ""
            if tests is not None and tests.org_tests_failed:
                org_tests = ": " + "; ".join(
                    [f"{t.class_name}.{t.method}: {t.message}" for t in tests.failures]
                    + [tests.to_json()["explanation"]]
                )
            raise TotangoOrgTaskFailed(
                f"deploy {outcome.deploy.id} failed, the org was not changed{org_tests};"
                " see the log"
            )
        if outcome.follow_up_error:
            raise TotangoOrgTaskFailed(
                f"deployed {document['deploy_id']}; follow-up failed: {outcome.follow_up_error};"
                f" finish it with: totango-sf status --org {self.org_config.name}"
            )
        if outcome.verify is not None and not outcome.verify.in_sync:
            raise TotangoOrgTaskFailed("deployed, but verify found drift; see the log")


class TotangoVerify(TotangoOrgTask):
    task_docs = """
    Reports drift between the org and the Totango setup, per component: in sync,
    missing, or changed (and what changed). Changes nothing. Fails on drift unless
    ``fail_on_drift: False``.
    """

    class Options(ConfigOptions):
        fail_on_drift: bool = Field(True, description="Fail the task on drift.")

    parsed_options: Options

    def _run(self) -> None:
        from tasks.totango_sf.org import verify as verify_flow

        config = self._load_totango_config()
        session = self._session()
        report = self._run_flow(lambda: verify_flow.verify(session, config))
        self._log_verify(report)
        for warning in report.warnings:
            self._log(warning, True)
        self.return_values = {
            "in_sync": report.in_sync,
            "drift": [d.to_json() for d in report.drift],
        }
        if not report.in_sync and self.parsed_options.fail_on_drift:
            raise TotangoOrgTaskFailed(f"drift in {len(report.drift)} component(s); see the log")


class TotangoRollback(TotangoOrgTask):
    task_docs = """
    Takes out what the setup owns (its layout section and the trusted ranges the deploy
    added) from the org's current files, in one atomic deploy, so work done after the
    deploy is kept. ``exact`` restores the snapshot's files instead, refused when the org
    changed since the deploy unless ``force``. ``remove_components`` also deletes the
    page, tab, report and, once that deploy succeeded, the permission set's assignments
    and the permission set; fields only with ``delete_fields`` as well, because deleting
    a field deletes its data.
    """

    class Options(ConfigOptions, TimeoutOptions, ApexTestOptions):
        snapshot: str | None = Field(
            None, description="Snapshot id under .totango/snapshots/<org>/ (default: latest)."
        )
        snapshot_dir: Path | None = Field(
            None, description="Snapshot root (default: .totango/snapshots)."
        )
        remove_components: bool = Field(
            False, description="Also delete the components the deploy added."
        )
        delete_fields: bool = Field(False, description="With remove_components: delete fields.")
        yes: bool = Field(False, description="Required to roll back a production org.")
        exact: bool = Field(False, description="Restore the snapshot's files exactly.")
        force: bool = Field(False, description="With exact: overwrite later changes.")

    parsed_options: Options

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        if self.parsed_options.delete_fields and not self.parsed_options.remove_components:
            raise TaskOptionsError("Option delete_fields needs remove_components")
        if self.parsed_options.force and not self.parsed_options.exact:
            raise TaskOptionsError("Option force goes with exact")
        self.test_level, self.tests = _test_options(self.parsed_options)

    def _run(self) -> None:
        with self._locked("rollback"):
            self._change()

    def _change(self) -> None:
        from tasks.totango_sf.org import rollback as rollback_flow
        from tasks.totango_sf.org.requests import RollbackRequest, RunHooks

        options = self.parsed_options
        config = self._load_totango_config()
        session = self._session()
        outcome = self._run_flow(
            lambda: rollback_flow.rollback(
                session,
                config,
                RollbackRequest(
                    snapshot_id=options.snapshot or None,
                    remove_components=options.remove_components,
                    delete_fields=options.delete_fields,
                    exact=options.exact,
                    force=options.force,
                    test_level=self.test_level,
                    tests=list(self.tests),
                    yes=options.yes,
                    snapshot_root=options.snapshot_dir,
                    timeout=options.timeout,
                ),
                RunHooks(progress=self._log_progress()),
            )
        )
        for kind, name in outcome.restored:
            self._log(f"restore  {kind} {name}")
        for kind, name in outcome.deleted:
            self._log(f"delete   {kind} {name}")
        self._log_deploy_result(outcome.deploy)
        for traced in outcome.failure_origins():
            self._log(traced.line_text(), True)
        for warning in outcome.warnings:
            self._log(warning, True)
        self.return_values = {
            "deploy_id": outcome.to_json()["deploy_id"],
            "snapshot": outcome.snapshot_id,
        }
        if not outcome.ok:
            raise TotangoOrgTaskFailed("rollback deploy failed; the org was not changed")
        self._log(f"rolled back to snapshot {outcome.snapshot_id}")


def _traced_line(traced: dict[str, Any]) -> str:
    from tasks.totango_sf.org.failure_origin import FailureOrigin

    return FailureOrigin(**traced).line_text()
