"""CumulusCI tasks for the org deploy path: totango_deploy, totango_verify, totango_rollback.

Thin shells over ``tasks.totango_sf.org.deploy``, the same functions the command line
runs. The org comes from CumulusCI (``--org`` of ``cci task run`` / the flow),
so these build an ``OrgSession`` from the task's own org and project config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cumulusci.core.exceptions import CumulusCIFailure, TaskOptionsError
from cumulusci.core.utils import process_bool_arg
from cumulusci.tasks.salesforce import BaseSalesforceTask

from tasks.totango_sf.cci.offline import CONFIG_OPTION, TotangoConfigMixin
from tasks.totango_sf.org.connection import OrgSession, redact
from tasks.totango_sf.org.identifiers import deploy_id_problem, timeout_problem


class TotangoOrgTaskFailed(CumulusCIFailure):
    """The deploy, verify or rollback did not succeed (details are in the log)."""


class TotangoOrgTask(TotangoConfigMixin, BaseSalesforceTask):
    """Base of every Totango task that works on an org: its session and bool options."""

    def _session(self) -> OrgSession:
        return OrgSession(self.org_config.name, self.org_config, self.project_config, self.logger)

    def _bool(self, name: str) -> bool:
        value = self.options.get(name) or False
        try:
            return bool(process_bool_arg(value))
        except TypeError:
            raise TaskOptionsError(
                f"Option {name!r} must be true or false, not {value!r}"
            ) from None

    def _timeout(self) -> float:
        raw = self.options.get("timeout", 1800)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise TaskOptionsError(f"timeout must be a number of seconds, not {raw!r}") from None
        if problem := timeout_problem(value):
            raise TaskOptionsError(f"timeout: {problem}")
        return value

    def _log_json(self, document: dict[str, Any]) -> None:
        text = json.dumps(document, indent=2, default=str)
        self.logger.info(redact(text, self.org_config.access_token))

    def _run_flow(self, call: Any) -> Any:
        from tasks.totango_sf.org.deploy import DeployRefused
        from tasks.totango_sf.org.desired_state import OrgPrerequisiteMissing
        from tasks.totango_sf.org.metadata_api import DeployTimeout, MetadataCallFailed
        from tasks.totango_sf.org.snapshot import SnapshotNotFound

        try:
            return call()
        except (DeployRefused, OrgPrerequisiteMissing, SnapshotNotFound) as exc:
            raise TaskOptionsError(str(exc)) from None
        except (DeployTimeout, MetadataCallFailed) as exc:
            raise TotangoOrgTaskFailed(redact(str(exc), self.org_config.access_token)) from None


TIMEOUT_OPTION: dict[str, dict[str, object]] = {
    "timeout": {"description": "Seconds before the deploy is canceled. Default: 1800."}
}
TEST_OPTIONS: dict[str, dict[str, object]] = {
    "test_level": {
        "description": "NoTestRun, RunLocalTests, RunSpecifiedTests, RunAllTestsInOrg or"
        " default (testLevel left out). Default: NoTestRun outside production; in"
        " production default for a deploy, RunLocalTests for check_only."
    },
    "tests": {"description": "Test classes for RunSpecifiedTests (comma-separated or a list)."},
}


def _test_options(options: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """test_level and tests, checked as the command line checks them."""
    from tasks.totango_sf.org.test_levels import TestLevelRefused, check_test_options

    try:
        return check_test_options(options.get("test_level") or None, options.get("tests"))
    except TestLevelRefused as exc:
        raise TaskOptionsError(str(exc).replace("--test-level", "test_level")) from None


class TotangoDeploy(TotangoOrgTask):
    task_docs = """
    Retrieves the org's layouts and Security.settings, merges the Totango section and
    trusted IP ranges, diffs against the org and deploys every change in one atomic
    deploy (rollbackOnError; tests per ``test_level``); then assigns the permission set
    and verifies.
    An org already in sync gets no deploy. Production needs ``yes: True``. With
    ``check_only`` the validation id is in return_values["validation_id"], for a
    following step with ``quick: ^^deploy_step.validation_id``.
    """
    task_options = {
        **CONFIG_OPTION,
        "check_only": {"description": "Validate only (no change); returns validation_id."},
        "quick": {"description": "Validation id to quick-deploy (deployRecentValidation)."},
        "yes": {"description": "Required to deploy to a production org."},
        **TIMEOUT_OPTION,
        **TEST_OPTIONS,
    }

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        self.test_level, self.tests = _test_options(self.options)
        self.check_only = self._bool("check_only")
        self.yes = self._bool("yes")
        self.quick_id = self.options.get("quick")
        if self.quick_id is not None and (problem := deploy_id_problem(str(self.quick_id))):
            # An empty id must not fall back to a full, unvalidated deploy.
            raise TaskOptionsError(f"quick: {problem}")
        self.timeout = self._timeout()
        if self.check_only and self.quick_id:
            raise TaskOptionsError("check_only and quick exclude each other")

    def _run_task(self) -> None:
        from tasks.totango_sf.org import deploy as flow

        config = self._load_totango_config()
        if config.trusted_ip_ranges.uses_placeholders:
            raise TaskOptionsError(flow.PLACEHOLDER_REFUSAL)
        session = self._session()
        if self.quick_id:
            outcome = self._run_flow(
                lambda: flow.quick(
                    session, config, self.quick_id, yes=self.yes, timeout=self.timeout
                )
            )
        else:
            outcome = self._run_flow(
                lambda: flow.deploy(
                    session,
                    config,
                    check_only=self.check_only,
                    yes=self.yes,
                    timeout=self.timeout,
                    test_level=self.test_level,
                    tests=list(self.tests),
                )
            )
        document = outcome.to_json()
        self._log_json(document)
        self.return_values = {
            "status": outcome.status,
            "deploy_id": document["deploy_id"],
            "validation_id": document["validation_id"],
            "snapshot": outcome.snapshot_id,
        }
        if outcome.deploy is not None and not outcome.deploy.success:
            failures = "; ".join(
                f"{f.file}:{f.line or ''}: {f.problem}" for f in outcome.deploy.failures
            )
            tests = outcome.deploy.tests
            if tests is not None and tests.org_tests_failed:
                failures = "; ".join(
                    [failures] * bool(failures)
                    + [f"{t.class_name}.{t.method}: {t.message}" for t in tests.failures]
                    + [tests.to_json()["explanation"]]
                )
            raise TotangoOrgTaskFailed(
                f"deploy {outcome.deploy.id} failed, the org was not changed: {failures}"
            )
        if outcome.verify is not None and not outcome.verify.in_sync:
            raise TotangoOrgTaskFailed("deployed, but verify found drift; see the log")


class TotangoVerify(TotangoOrgTask):
    task_docs = """
    Reports drift between the org and the Totango setup, per component: in sync,
    missing, or changed (and what changed). Changes nothing. Fails on drift unless
    ``fail_on_drift: False``.
    """
    task_options = {
        **CONFIG_OPTION,
        "fail_on_drift": {"description": "Fail the task on drift. Default: True."},
    }

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        raw = self.options.get("fail_on_drift")
        self.fail_on_drift = True if raw is None else self._bool("fail_on_drift")

    def _run_task(self) -> None:
        from tasks.totango_sf.org import deploy as flow

        config = self._load_totango_config()
        session = self._session()
        report = self._run_flow(lambda: flow.verify(session, config))
        self._log_json(report.to_json())
        self.return_values = {
            "in_sync": report.in_sync,
            "drift": [d.to_json() for d in report.drift],
        }
        if not report.in_sync and self.fail_on_drift:
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
    task_options = {
        **CONFIG_OPTION,
        "snapshot": {
            "description": "Snapshot id under .totango/snapshots/<org>/. Default: latest."
        },
        "snapshot_dir": {"description": "Snapshot root. Default: .totango/snapshots."},
        "remove_components": {"description": "Also delete the components the deploy added."},
        "delete_fields": {"description": "With remove_components: delete the fields too."},
        "yes": {"description": "Required to roll back a production org."},
        "exact": {"description": "Restore the snapshot's files exactly (see force)."},
        "force": {"description": "With exact: overwrite changes made after the deploy."},
        **TIMEOUT_OPTION,
        **TEST_OPTIONS,
    }

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        self.test_level, self.tests = _test_options(self.options)
        self.exact = self._bool("exact")
        self.force = self._bool("force")
        if self.force and not self.exact:
            raise TaskOptionsError("force goes with exact")
        self.remove_components = self._bool("remove_components")
        self.delete_fields = self._bool("delete_fields")
        self.yes = self._bool("yes")
        self.timeout = self._timeout()
        if self.delete_fields and not self.remove_components:
            raise TaskOptionsError("delete_fields needs remove_components")

    def _run_task(self) -> None:
        from tasks.totango_sf.org import deploy as flow

        config = self._load_totango_config()
        session = self._session()
        root = self.options.get("snapshot_dir")
        outcome = self._run_flow(
            lambda: flow.rollback(
                session,
                config,
                snapshot_id=self.options.get("snapshot") or None,
                remove_components=self.remove_components,
                delete_fields=self.delete_fields,
                exact=self.exact,
                force=self.force,
                yes=self.yes,
                test_level=self.test_level,
                tests=list(self.tests),
                snapshot_root=Path(root) if root else None,
                timeout=self.timeout,
            )
        )
        self._log_json(outcome.to_json())
        self.return_values = {
            "deploy_id": outcome.to_json()["deploy_id"],
            "snapshot": outcome.snapshot_id,
        }
        if outcome.status == "partly_done":
            raise TotangoOrgTaskFailed("rollback partly done: " + "; ".join(outcome.warnings))
        if not outcome.ok:
            raise TotangoOrgTaskFailed("rollback deploy failed; the org was not changed")
