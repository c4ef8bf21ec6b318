"""Metadata API operations: async deploys and retrieves that progress over polls."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from lxml import etree

from tests.org_emulator import admin_lock, apex_tests, catalog, check_only, limits, managed_layouts
from tests.org_emulator.deploy_engine import Message, Outcome, count_components, run_deploy
from tests.org_emulator.faults import Faults
from tests.org_emulator.history import Call
from tests.org_emulator.retrieve_engine import RetrieveOutcome, list_components, retrieve
from tests.org_emulator.soap import XSI_NS, SoapFault, local, md
from tests.org_emulator.state import MD_NS, OrgState, now_iso, now_soap

_M = f"{{{MD_NS}}}"
# A validation stays quick-deployable this long ("deployRecentValidation()").
VALIDATION_DAYS = 10
# cancelDeploy() (Metadata API Developer Guide): a deploy still queued is canceled at
# once (CancelDeployResult.done true); one in progress is not, "so call
# checkDeployStatus() to check the status of the cancellation": it shows Canceling, then
# Canceled. Here Canceling lasts this many status checks (or deploy ticks).
CANCELING_STEPS = 2
# "For API versions 65.0 and higher, deployments with a status of Finalizing Deploy,
# can't be cancelled. For API versions below 65.0 ... it's possible that the
# cancellation will succeed, but data from the deployment is also committed."
# (cancelDeploy()). DeployResult.status has no such value, so the emulator reports the
# last step of a deploy as InProgress with this stateDetail (our reading); no recorded
# answer refuses such a cancel in words, so from 65.0 the cancel simply does not take.
FINALIZING = "Finalizing Deploy"
CANCEL_REFUSED_FROM = 65


@dataclass
class DeployJob:
    id: str
    zip_data: bytes
    check_only: bool
    ignore_warnings: bool
    rollback_on_error: bool
    polls_needed: int
    total: int
    created: str
    call: Call
    polls: int = 0
    # None while queued behind another deploy (status Pending).
    started: float | None = None
    canceled: bool = False
    # cancelDeploy() taken while running: when, and the status checks since (Canceling).
    cancel_requested: float | None = None
    cancel_checks: int = 0
    # Canceled while finalizing below API 65.0: the changes are committed all the same.
    commit_on_cancel: bool = False
    outcome: Outcome | None = None
    completed: str | None = None
    # For validations: the metadata version they were checked against, and use.
    validated_at: int | None = None
    quick_deployed: bool = False
    # The org's Apex tests: what DeployOptions asked for and what ran.
    test_level: str | None = None
    run_tests: list[str] = field(default_factory=list)
    tests: apex_tests.TestRun | None = None
    completed_at: datetime | None = None
    # A quick deploy's validation (deployRecentValidation).
    validation_of: DeployJob | None = None

    @property
    def ok(self) -> bool:
        return (
            self.outcome is not None and self.outcome.ok and (self.tests is None or self.tests.ok)
        )


@dataclass
class RetrieveJob:
    id: str
    requested: dict[str, list[str]]
    version: str
    polls_needed: int
    polls: int = 0
    outcome: RetrieveOutcome | None = None
    malformed: bool = False
    calls: list[Call] = field(default_factory=list)
    # A packaged retrieve (retrieveRequest.packageNames) instead of an unpackaged one.
    package_names: list[str] = field(default_factory=list)
    # Set when the retrieve failed: (errorMessage, errorStatusCode).
    error: tuple[str, str] | None = None


def _bool(op: etree._Element, path: str, default: bool = False) -> bool:
    value = op.findtext(f".//{_M}{path}")
    return default if value is None else value.strip() == "true"


class MetadataApi:
    def __init__(
        self,
        state: OrgState,
        faults: Faults,
        deploy_polls: int,
        retrieve_polls: int,
        deploy_seconds: float = 0.0,
        deploy_tick: float = 1.0,
    ):
        # A deploy finishes after deploy_polls status checks and, for benchmarks that
        # model a real org's deploy time, not before deploy_seconds of wall time.
        self.deploy_seconds = deploy_seconds
        # A deploy also progresses by one step per deploy_tick seconds of wall time,
        # polled or not: an org runs a deploy whether or not its client still watches
        # (Metadata API Developer Guide, checkDeployStatus(): "Issue a
        # checkDeployStatus() call in a loop until the done field ... contains true";
        # polling observes a deploy, it does not drive it).
        self.deploy_tick = deploy_tick
        self.state = state
        self.faults = faults
        self.deploy_polls = deploy_polls
        self.retrieve_polls = retrieve_polls
        self.deploys: dict[str, DeployJob] = {}
        self.retrieves: dict[str, RetrieveJob] = {}
        # Deploy jobs live in memory: a deploy still open when the emulator last stopped
        # cannot resume, so it is closed rather than left blocking the queue forever.
        for row in state.rows("DeployRequest"):
            if row.get("Status") in ("Pending", "InProgress", "Canceling"):
                row["Status"] = "Failed"

    def handle(self, operation: etree._Element, call: Call) -> etree._Element:
        name = local(operation.tag)
        handler = getattr(self, f"op_{name}", None)
        if handler is None:
            raise SoapFault("sf:INVALID_OPERATION", f"The emulator does not implement {name}")
        return handler(operation, call)

    # -- deploy ---------------------------------------------------------------------
    def op_deploy(self, op: etree._Element, call: Call) -> etree._Element:
        zip_data = base64.b64decode(op.findtext(f"{_M}ZipFile") or "")
        too_large = limits.deploy_problem(zip_data)
        if too_large is not None:
            # Refused at deploy() itself, before any job exists (limits.py).
            raise SoapFault(f"sf:{limits.LIMIT_EXCEEDED}", too_large)
        test_level = (op.findtext(f".//{_M}testLevel") or "").strip() or None
        if test_level == "NoTestRun" and self.state.org_flavour == "production":
            # deploy() itself faults (recorded in xjsender/haoide issue 107). Developer
            # Edition orgs are non-production here ("Run the Same Tests in Sandbox and
            # Production Deployments"), so only the production flavour refuses.
            raise SoapFault("sf:INVALID_OPERATION", apex_tests.NO_TEST_RUN_IN_PRODUCTION)
        job = self._new_deploy(
            zip_data,
            check_only=_bool(op, "checkOnly"),
            ignore_warnings=_bool(op, "ignoreWarnings"),
            rollback_on_error=_bool(op, "rollbackOnError", True),
            call=call,
        )
        job.test_level = test_level
        call.detail["zip_bytes"] = len(zip_data)
        job.run_tests = [(t.text or "").strip() for t in op.iter(f"{_M}runTests")]
        call.detail["test_level"] = test_level
        return self._async_response("deployResponse", job.id)

    def _new_deploy(self, zip_data, *, check_only, ignore_warnings, rollback_on_error, call):
        job = DeployJob(
            id=self.state.ids.new("0Af"),
            zip_data=zip_data,
            check_only=check_only,
            ignore_warnings=ignore_warnings,
            rollback_on_error=rollback_on_error,
            polls_needed=self.deploy_polls + self.faults.stuck_polls,
            total=count_components(zip_data),
            created=now_soap(),
            call=call,
        )
        self.faults.stuck_polls = 0
        call.deploy_id, call.check_only = job.id, check_only
        self.deploys[job.id] = job
        self.state.insert(
            "DeployRequest",
            {
                "Id": job.id,
                "Status": "Pending",
                "CheckOnly": check_only,
                "NumberComponentsTotal": job.total,
            },
        )
        self.advance()
        return job

    def _async_response(self, element: str, job_id: str) -> etree._Element:
        response = md(element)
        result = md("result", response)
        md("done", result, False)
        md("id", result, job_id)
        md("state", result, "Queued")
        return response

    # -- the deploy queue -------------------------------------------------------------
    # Salesforce runs one deploy at a time per org; the others wait with status
    # Pending (Metadata API DeployResult.status: "Pending", "InProgress", ...; the
    # Setup > Deployment Status page lists waiting deploys as Pending; Gearset,
    # "Common causes of slow validations or deployments": "Salesforce places your
    # package into the queue for processing").
    def _running(self) -> DeployJob | None:
        return next(
            (j for j in self.deploys.values() if j.outcome is None and not j.canceled), None
        )

    def _progress(self, job: DeployJob) -> int:
        """Steps done: status checks while running, or wall-clock ticks, whichever is more."""
        if job.started is None:
            return 0
        ticks = int((time.monotonic() - job.started) / self.deploy_tick) if self.deploy_tick else 0
        return max(job.polls, ticks)

    def advance(self) -> bool:
        """Start the next queued deploy and finish those whose time has come; True if any did."""
        changed = False
        while (job := self._running()) is not None:
            if job.cancel_requested is not None:
                if not self._cancel_settled(job):
                    break
                self._complete_cancel(job)
                changed = True
                continue
            if job.started is None:
                job.started = time.monotonic()
                self._set_request(job, "InProgress")
                changed = True
            elapsed = time.monotonic() - job.started
            if self._progress(job) >= job.polls_needed and elapsed >= self.deploy_seconds:
                self._finish(job)
                changed = True
                continue
            break
        return changed

    def _set_request(self, job: DeployJob, status: str) -> None:
        row = self.state.get("DeployRequest", job.id)
        if row is None:
            self.state.insert("DeployRequest", {"Id": job.id, "CheckOnly": job.check_only})
            row = self.state.get("DeployRequest", job.id)
        assert row is not None
        row["Status"] = status
        if status == "InProgress":
            row["StartDate"] = now_iso()
        elif status not in ("Pending",):
            row["CompletedDate"] = now_iso()

    def op_checkDeployStatus(self, op: etree._Element, call: Call) -> etree._Element:
        job = self._deploy_job(op.findtext(f"{_M}asyncProcessId"))
        call.deploy_id, call.check_only = job.id, job.check_only
        if job.cancel_requested is not None and not job.canceled:
            job.cancel_checks += 1
        elif job.outcome is None and not job.canceled and job.started is not None:
            job.polls += 1
        self.advance()
        response = md("checkDeployStatusResponse")
        response.append(self._deploy_result(job, _bool(op, "includeDetails")))
        return response

    def _finish(self, job: DeployJob) -> None:
        if admin_lock.take(self.state):
            # Failed as a whole, nothing applied (admin_lock.py); a quick deploy's
            # validation stays usable, as the org did nothing with it.
            outcome = Outcome(
                error_message=admin_lock.LOCKED_MESSAGE, error_code=admin_lock.ALREADY_IN_PROCESS
            )
            if job.validation_of is not None:
                job.validation_of.quick_deployed = False
        else:
            forced = tuple(self.faults.component_failures)
            if job.check_only:
                forced += check_only.validation_failures(self.state)
            outcome = run_deploy(
                self.state,
                job.zip_data,
                ignore_warnings=job.ignore_warnings,
                forced=forced,
            )
        job.outcome = outcome
        job.completed = now_soap()
        job.completed_at = datetime.now(UTC)
        if outcome.ok:
            # Tests run once the components are in place; one failure rolls all back.
            level = apex_tests.effective_level(
                job.test_level,
                self.state.org_flavour == "production",
                apex_tests.package_types(job.zip_data),
            )
            production = self.state.org_flavour == "production"
            job.tests = apex_tests.run_tests(
                level,
                job.run_tests,
                self.faults.failing_tests,
                apex_tests.org_coverage(self.state) if production else None,
            )
        if job.ok and not job.check_only:
            assert outcome.new_state is not None
            self.state.adopt(outcome.new_state)
        if job.ok and job.check_only:
            job.validated_at = self.state.metadata_version
        job.call.success = job.ok
        if job.tests is not None:
            job.call.detail["tests_run"] = len(job.tests.ran)
        job.call.detail["failures"] = [m.problem for m in outcome.failures]
        self._set_request(job, "Succeeded" if job.ok else "Failed")

    def _deploy_job(self, job_id: str | None) -> DeployJob:
        job = self.deploys.get((job_id or "").strip())
        if job is None:
            raise SoapFault("sf:INVALID_ID_FIELD", f"INVALID_ID_FIELD: Invalid id: {job_id}")
        return job

    def _status(self, job: DeployJob) -> str:
        if job.canceled:
            return "Canceled"
        if job.cancel_requested is not None:
            return "Canceling"
        if job.outcome is None:
            if job.started is None:
                return "Pending"
            return "Pending" if self._progress(job) <= 1 and job.polls_needed > 2 else "InProgress"
        return "Succeeded" if job.ok else "Failed"

    def _deploy_result(self, job: DeployJob, include_details: bool) -> etree._Element:
        outcome = job.outcome
        done = outcome is not None or job.canceled
        status = self._status(job)
        total = job.total
        if outcome is not None:
            deployed = len(outcome.successes) - 1 if outcome.ok else 0
            errors = len(outcome.failures)
            # DeployResult, Metadata API Developer Guide: numberComponentsTotal is "The
            # total number of components in the deployment". Once the package is expanded
            # that includes each object holding fields and each deletion, which
            # package.xml's member count (all that is known while queued) leaves out; so
            # numberComponentsDeployed never exceeds it.
            deletions = sum(1 for m in outcome.successes if m.deleted)
            total = max(job.total, outcome.total + deletions)
        else:
            fraction = min(self._progress(job), job.polls_needed) / max(job.polls_needed, 1)
            deployed = int(job.total * fraction) if status == "InProgress" else 0
            errors = 0
        result = md("result")
        if job.canceled:
            md("canceledBy", result, self.state.user_id)
            md("canceledByName", result, self.state.user["Name"])
        md("checkOnly", result, job.check_only)
        if job.completed:
            md("completedDate", result, job.completed)
        # DeployResult.createdBy is a 15-character id in every recorded answer
        # (../shared/recorded/ss_check_deploy_*.xml, ic2753_check_deploy_*.xml).
        md("createdBy", result, self.state.user_id[:15])
        md("createdByName", result, self.state.user["Name"])
        md("createdDate", result, job.created)
        # details always holds runTestResult, zeros when no tests ran, from Pending on
        # (recorded: ss_check_deploy_pending.xml, ss_check_deploy_in_progress.xml,
        # ss_check_deploy_succeeded.xml, ss_check_deploy_failed_no_package.xml,
        # ic2753_check_deploy_validation_in_progress.xml). Every recording asked with
        # includeDetails; without it the component rows and the per-test rows stay out.
        details = md("details", result)
        if outcome is not None and include_details:
            for message in outcome.failures:
                details.append(_message("componentFailures", message, job.completed or ""))
            for message in outcome.successes:
                details.append(_message("componentSuccesses", message, job.completed or ""))
        details.append(_run_test_result(job.tests, rows=include_details))
        md("done", result, done)
        if outcome is not None and outcome.error_message:
            md("errorMessage", result, outcome.error_message)
            md("errorStatusCode", result, outcome.error_code or "UNKNOWN_EXCEPTION")
        md("id", result, job.id)
        md("ignoreWarnings", result, job.ignore_warnings)
        md("lastModifiedDate", result, job.completed or job.created)
        md("numberComponentErrors", result, errors)
        md("numberComponentsDeployed", result, deployed)
        md("numberComponentsTotal", result, total)
        tests = job.tests
        failed_tests = len(tests.failures) if tests else 0
        md("numberTestErrors", result, failed_tests)
        md("numberTestsCompleted", result, len(tests.ran) - failed_tests if tests else 0)
        md("numberTestsTotal", result, len(tests.ran) if tests else 0)
        md("rollbackOnError", result, job.rollback_on_error)
        md("runTestsEnabled", result, tests is not None)
        # A deploy still Pending has no startDate (ss_check_deploy_pending.xml); neither
        # recorded InProgress answer carries a stateDetail (ss_check_deploy_in_progress.xml,
        # ic2753_check_deploy_validation_in_progress.xml), so none is sent.
        if status != "Pending":
            md("startDate", result, job.created)
        if status == "InProgress" and self._finalizing(job):
            md("stateDetail", result, FINALIZING)
        md("status", result, status)
        md("success", result, job.ok and not job.canceled)
        return result

    def op_deployRecentValidation(self, op: etree._Element, call: Call) -> etree._Element:
        validation_id = (op.findtext(f"{_M}validationId") or "").strip()
        job = self.deploys.get(validation_id)
        eligible = (
            job is not None
            and job.check_only
            and job.ok
            and not job.quick_deployed
            and job.validated_at == self.state.metadata_version
        )
        if not eligible:
            raise SoapFault(
                "sf:INVALID_ID_FIELD",
                f"INVALID_ID_FIELD: The validation {validation_id} is not eligible for quick "
                "deploy (unknown, failed, already used, or the org changed since)",
            )
        assert job is not None
        # "deployRecentValidation()": the components were validated "within the last
        # 10 days", and "as part of the validation, Apex tests in the target org have
        # passed" (Metadata API Developer Guide).
        if job.tests is None or not job.tests.ran:
            raise SoapFault(
                "sf:INVALID_ID_FIELD",
                f"INVALID_ID_FIELD: The validation {validation_id} ran no Apex tests, so it "
                "is not eligible for quick deploy",
            )
        assert job.completed_at is not None
        if datetime.now(UTC) - job.completed_at > timedelta(days=VALIDATION_DAYS):
            raise SoapFault(
                "sf:INVALID_ID_FIELD",
                f"INVALID_ID_FIELD: The validation {validation_id} is older than "
                f"{VALIDATION_DAYS} days and is not eligible for quick deploy",
            )
        job.quick_deployed = True
        new = self._new_deploy(
            job.zip_data,
            check_only=False,
            ignore_warnings=job.ignore_warnings,
            rollback_on_error=True,
            call=call,
        )
        new.validation_of = job
        call.detail["validation_id"] = validation_id
        response = md("deployRecentValidationResponse")
        md("result", response, new.id)
        return response

    def op_cancelDeploy(self, op: etree._Element, call: Call) -> etree._Element:
        parameter = _single_parameter(op)
        job_id = "" if parameter is None else (parameter.text or "").strip()
        job = self.deploys.get(job_id)
        if job is None:
            # cancelDeploy(): "INVALID_ID_FIELD with the message Invalid deploy ID".
            raise SoapFault("sf:INVALID_ID_FIELD", "INVALID_ID_FIELD: Invalid deploy ID")
        call.deploy_id = job.id
        self.advance()
        if job.outcome is not None or job.canceled:
            # cancelDeploy(): "INVALID_ID_FIELD with the message Deployment already
            # completed".
            raise SoapFault("sf:INVALID_ID_FIELD", "INVALID_ID_FIELD: Deployment already completed")
        done = False
        if self._status(job) == "Pending":
            # Still queued: canceled at once.
            job.canceled = True
            job.completed = now_soap()
            job.call.success = False
            self._set_request(job, "Canceled")
            done = True
        elif job.cancel_requested is None:
            finalizing = self._finalizing(job)
            if finalizing and _call_version(call) >= CANCEL_REFUSED_FROM:
                call.detail["cancel_not_taken"] = FINALIZING
            else:
                job.cancel_requested = time.monotonic()
                job.commit_on_cancel = finalizing
                self._set_request(job, "Canceling")
        self.advance()
        response = md("cancelDeployResponse")
        result = md("result", response)
        md("done", result, done)
        md("id", result, job.id)
        return response

    def _finalizing(self, job: DeployJob) -> bool:
        """The last step of a running deploy (see FINALIZING), for deploys of three steps or
        more: the recorded InProgress answers of shorter deploys carry no stateDetail
        (ss_check_deploy_in_progress.xml, ic2753_check_deploy_validation_in_progress.xml)."""
        return (
            job.started is not None
            and job.outcome is None
            and job.polls_needed >= 3
            and self._progress(job) >= job.polls_needed - 1
        )

    def _cancel_settled(self, job: DeployJob) -> bool:
        assert job.cancel_requested is not None
        ticks = (
            int((time.monotonic() - job.cancel_requested) / self.deploy_tick)
            if self.deploy_tick
            else 0
        )
        return max(job.cancel_checks, ticks) >= CANCELING_STEPS

    def _complete_cancel(self, job: DeployJob) -> None:
        """Canceling is over: nothing applied, or (finalizing below 65.0) all of it."""
        if job.commit_on_cancel:
            outcome = run_deploy(self.state, job.zip_data, ignore_warnings=job.ignore_warnings)
            if outcome.ok and not job.check_only:
                assert outcome.new_state is not None
                self.state.adopt(outcome.new_state)
                job.call.detail["committed_on_cancel"] = True
        job.canceled = True
        job.completed = now_soap()
        job.call.success = False
        self._set_request(job, "Canceled")

    # -- retrieve -------------------------------------------------------------------
    def op_retrieve(self, op: etree._Element, call: Call) -> etree._Element:
        # The request's elements are read by local name: simple-salesforce sends
        # <met:unpackaged><types><members>... with the inner elements in no namespace
        # (simple-salesforce/simple-salesforce, simple_salesforce/metadata.py, retrieve()
        # with messages.py RETRIEVE_MSG), and real orgs retrieve what it names.
        request = _single_parameter(op)
        package_names = (
            []
            if request is None
            else [(p.text or "").strip() for p in request.iterfind("{*}packageNames")]
        )
        if request is None or (request.find("{*}unpackaged") is None and not package_names):
            # specificFiles alone: outside what the emulator serves (no recording either).
            raise SoapFault(
                "sf:INVALID_CROSS_REFERENCE_KEY",
                "INVALID_CROSS_REFERENCE_KEY: the emulator only retrieves unpackaged requests"
                " and packages",
            )
        requested: dict[str, list[str]] = {}
        for types in request.findall("{*}unpackaged/{*}types"):
            name = (types.findtext("{*}name") or "").strip()
            requested.setdefault(name, []).extend(
                (m.text or "").strip() for m in types.findall("{*}members")
            )
        version = request.findtext("{*}apiVersion") or "63.0"
        job = RetrieveJob(self.state.ids.new("09S"), requested, version, self.retrieve_polls)
        job.package_names = package_names
        if self.faults.malformed_retrieves > 0:
            self.faults.malformed_retrieves -= 1
            job.malformed = True
        self.retrieves[job.id] = job
        call.deploy_id = job.id
        call.detail["types"] = requested
        return self._async_response("retrieveResponse", job.id)

    def _retrieve_job(self, job_id: str | None) -> RetrieveJob:
        job = self.retrieves.get((job_id or "").strip())
        if job is None:
            raise SoapFault("sf:INVALID_ID_FIELD", f"INVALID_ID_FIELD: Invalid id: {job_id}")
        job.polls += 1
        if job.outcome is None and job.error is None and job.polls >= job.polls_needed:
            unknown = [n for n in job.package_names if not _is_installed_package(self.state, n)]
            if unknown:
                # retrieve() accepts an unknown package; the status then says Failed with
                # the recorded words and a nil zipFile (CumulusCI's recorded answer,
                # ../shared/recorded/cci_check_retrieve_unknown_package.xml).
                job.error = (
                    f"INVALID_CROSS_REFERENCE_KEY: No package named '{unknown[0]}' found",
                    "UNKNOWN_EXCEPTION",
                )
            else:
                job.outcome = retrieve(
                    self.state,
                    _package_members(self.state, job.requested, job.package_names),
                    job.version,
                )
        return job

    def op_checkStatus(self, op: etree._Element, call: Call) -> etree._Element:
        """The pre-API-31 status call CumulusCI's retrieve still makes; an AsyncResult."""
        job = self._retrieve_job(op.findtext(f"{_M}asyncProcessId"))
        call.deploy_id = job.id
        response = md("checkStatusResponse")
        result = md("result", response)
        md("done", result, job.outcome is not None or job.error is not None)
        md("id", result, job.id)
        if job.error is not None:
            # AsyncResult (metadata.wsdl): done, id, message, state Error, statusCode;
            # no recording of this answer.
            md("message", result, job.error[0])
            md("state", result, "Error")
            md("statusCode", result, job.error[0].split(":")[0])
            return response
        failed = job.outcome is not None and job.outcome.error is not None
        if failed:
            assert job.outcome is not None
            md("message", result, job.outcome.error)
        md("state", result, _retrieve_state(job))
        if failed:
            md("statusCode", result, limits.LIMIT_EXCEEDED)
        return response

    def op_checkRetrieveStatus(self, op: etree._Element, call: Call) -> etree._Element:
        job = self._retrieve_job(op.findtext(f"{_M}asyncProcessId"))
        call.deploy_id = job.id
        outcome = job.outcome
        response = md("checkRetrieveStatusResponse")
        result = md("result", response)
        if job.error is not None:
            # cci_check_retrieve_unknown_package.xml: done, errorMessage, errorStatusCode,
            # id, status Failed, success false, a nil zipFile.
            md("done", result, True)
            md("errorMessage", result, job.error[0])
            md("errorStatusCode", result, job.error[1])
            md("id", result, job.id)
            md("status", result, "Failed")
            md("success", result, False)
            md("zipFile", result).set(f"{{{XSI_NS}}}nil", "true")
            call.success = False
            return response
        md("done", result, outcome is not None)
        if outcome is not None and outcome.error is not None:
            # A limit: the recorded answer (limits.py) has errorMessage, errorStatusCode,
            # status Failed, success false and no zip.
            md("errorMessage", result, outcome.error)
            md("errorStatusCode", result, limits.LIMIT_EXCEEDED)
            md("id", result, job.id)
            md("status", result, "Failed")
            md("success", result, False)
            _nil("zipFile", result)
            call.success = False
            return response
        if outcome is not None:
            stamp = now_soap()
            for props in outcome.properties:
                result.append(self._file_properties(props, stamp, prefix="unpackaged/"))
        md("id", result, job.id)
        if outcome is not None:
            for file_name, problem in outcome.messages:
                message = md("messages", result)
                md("fileName", message, file_name)
                md("problem", message, problem)
        md("status", result, "Succeeded" if outcome is not None else "InProgress")
        md("success", result, outcome is not None)
        zip_bytes = b"" if outcome is None else outcome.zip_bytes
        call.detail["zip_bytes"] = len(zip_bytes)
        if job.malformed and outcome is not None:
            zip_bytes = b"PK\x03\x04 this is not a zip archive (emulator fault)"
        md("zipFile", result, base64.b64encode(zip_bytes).decode())
        call.success = outcome is not None
        return response

    def _file_properties(self, props, stamp: str, prefix: str = "") -> etree._Element:
        el = md("fileProperties") if prefix else md("result")
        user, user_name = self.state.user_id, self.state.user["Name"]
        md("createdById", el, user)
        md("createdByName", el, user_name)
        md("createdDate", el, stamp)
        file_name = props.file_name
        md("fileName", el, prefix + file_name if not file_name.startswith(prefix) else file_name)
        md("fullName", el, props.full_name)
        if props.type_name == "Package":
            md("id", el, "")
        else:
            md("id", el, props.record_id or self.state.ids.new("0Md"))
        md("lastModifiedById", el, user)
        md("lastModifiedByName", el, user_name)
        md("lastModifiedDate", el, stamp)
        md("manageableState", el, props.manageable_state)
        if props.namespace:
            md("namespacePrefix", el, props.namespace)
        md("type", el, props.type_name)
        return el

    # -- describeMetadata -----------------------------------------------------------
    def op_describeMetadata(self, op: etree._Element, call: Call) -> etree._Element:
        """DescribeMetadataResult (Metadata API Developer Guide, "describeMetadata()";
        recorded: ../shared/recorded/nelsonic_describe_metadata.xml): one
        metadataObjects per type, then organizationNamespace, partialSaveAllowed and
        testRequired. A real org lists every type of the API version; the emulator
        lists the types it stores and lists."""
        response = md("describeMetadataResponse")
        result = md("result", response)
        types = {**catalog.TYPES, **catalog.LISTED_TYPES}
        for name in sorted(types):
            info = types[name]
            item = md("metadataObjects", result)
            for child in catalog.CHILD_XML_NAMES.get(name, ()):
                md("childXmlNames", item, child)
            md("directoryName", item, info.folder)
            md("inFolder", item, info.in_folder)
            md("metaFile", item, name in catalog.META_FILE_TYPES)
            md("suffix", item, info.suffix)
            md("xmlName", item, name)
        md("organizationNamespace", result, self.state.org.get("NamespacePrefix") or "")
        md("partialSaveAllowed", result, True)
        # "testRequired: Indicates whether tests are required to deploy (true) or not
        # (false)": production orgs require them.
        md("testRequired", result, self.state.org_flavour == "production")
        return response

    # -- listMetadata ---------------------------------------------------------------
    def op_listMetadata(self, op: etree._Element, call: Call) -> etree._Element:
        response = md("listMetadataResponse")
        stamp = now_soap()
        for query in op.findall(f"{_M}queries"):
            type_name = (query.findtext(f"{_M}type") or "").strip()
            folder = query.findtext(f"{_M}folder")
            call.detail.setdefault("types", []).append(type_name)
            if type_name not in catalog.KNOWN_TYPE_NAMES | set(catalog.LISTED_TYPES):
                continue  # an org answers an unknown type with an empty list
            for props in list_components(self.state, type_name):
                if folder and not props.full_name.startswith(f"{folder.strip()}/"):
                    continue
                if type_name == "Layout" and props.namespace:
                    # A managed layout is listed without its namespace on the layout's
                    # own name (managed_layouts.py).
                    props = replace(
                        props,
                        full_name=managed_layouts.listed_name(props.full_name, props.namespace),
                    )
                response.append(self._file_properties(props, stamp))
        return response


def _single_parameter(op: etree._Element) -> etree._Element | None:
    """The one parameter of retrieve() or cancelDeploy(), whatever its element is called.

    metadata.wsdl names them ``retrieveRequest`` and ``String``; Salesforce's sf CLI sends
    ``<retrieve><request>`` and ``<cancelDeploy><id>`` (its SOAP client, jsforce/jsforce
    ``src/api/metadata.ts``: ``this._invoke('retrieve', { request })`` and
    ``this._invoke('cancelDeploy', { id })``), and real orgs serve both forms, so the
    element is read by its place, not by its name.
    """
    children = [c for c in op if isinstance(c.tag, str)]
    return children[0] if len(children) == 1 else None


def _call_version(call: Call) -> float:
    """The API version of a SOAP call: its path's ``/services/Soap/m/<version>``."""
    parts = call.path.split("/")
    try:
        return float(parts[parts.index("m") + 1])
    except (ValueError, IndexError):
        return 63.0


def _retrieve_state(job: RetrieveJob) -> str:
    """AsyncResult.state of a retrieve: Error for one refused for a limit."""
    if job.outcome is None:
        return "InProgress"
    return "Error" if job.outcome.error is not None else "Completed"


def _is_installed_package(state: OrgState, name: str) -> bool:
    """A packaged retrieve names an installed package by its name (SubscriberPackage)."""
    installed = {
        str(r.get("SubscriberPackageId"))[:15] for r in state.rows("InstalledSubscriberPackage")
    }
    return any(
        str(p["Id"])[:15] in installed and p.get("Name") == name
        for p in state.rows("SubscriberPackage")
    )


def _package_members(
    state: OrgState, requested: dict[str, list[str]], package_names: list[str]
) -> dict[str, list[str]]:
    """The members of a retrieve: those asked for, plus every component of each package
    named, read as the components carrying the package's namespace (our reading; no
    recording of a packaged retrieve's contents)."""
    members = {t: list(names) for t, names in requested.items()}
    if package_names:
        for type_name in catalog.TYPES:
            for props in list_components(state, type_name):
                if props.namespace == state.namespace:
                    members.setdefault(type_name, []).append(props.full_name)
    return members


def _run_test_result(tests: apex_tests.TestRun | None, rows: bool = True) -> etree._Element:
    """details.runTestResult, elements in RunTestsResult's schema order (metadata.wsdl);
    zeros when no tests ran, as real orgs send it."""
    el = md("runTestResult")
    if tests is None or not rows:
        ran = len(tests.ran) if tests else 0
        md("numFailures", el, len(tests.failures) if tests else 0)
        md("numTestsRun", el, ran)
        md("totalTime", el, tests.total_time if tests else 0.0)
        return el
    for name, message in tests.coverage_warnings:
        warning = md("codeCoverageWarnings", el)
        md("id", warning, "01p000000000001AAA")
        md("message", warning, message)
        # The org-wide warning names no class.
        _text_or_nil("name", warning, name)
        _nil("namespace", warning)
    for failure in tests.failures:
        namespace, name = _split_namespace(failure.class_name)
        item = md("failures", el)
        md("id", item, "01p000000000002AAA")
        md("message", item, failure.message)
        md("methodName", item, failure.method)
        md("name", item, name)
        _text_or_nil("namespace", item, namespace)
        md("packageName", item, name)
        md("stackTrace", item, f"Class.{name}.{failure.method}: line 12, column 1")
        md("time", item, apex_tests.METHOD_MILLISECONDS)
        md("type", item, "Class")
    md("numFailures", el, len(tests.failures))
    md("numTestsRun", el, len(tests.ran))
    failed = {(f.class_name, f.method) for f in tests.failures}
    for class_name, method in tests.ran:
        if (class_name, method) not in failed:
            namespace, name = _split_namespace(class_name)
            success = md("successes", el)
            md("id", success, "01p000000000003AAA")
            md("methodName", success, method)
            md("name", success, name)
            _text_or_nil("namespace", success, namespace)
            md("time", success, apex_tests.METHOD_MILLISECONDS)
    md("totalTime", el, tests.total_time)
    return el


def _split_namespace(class_name: str) -> tuple[str | None, str]:
    namespace, _, name = class_name.rpartition("__")
    return (namespace or None), name


def _nil(tag: str, parent: etree._Element) -> None:
    md(tag, parent).set(f"{{{XSI_NS}}}nil", "true")


def _text_or_nil(tag: str, parent: etree._Element, text: str | None) -> None:
    if text is None:
        _nil(tag, parent)
    else:
        md(tag, parent, text)


def _message(tag: str, message: Message, stamp: str) -> etree._Element:
    el = md(tag)
    md("changed", el, message.changed)
    if message.column is not None:
        md("columnNumber", el, message.column)
    # Every row holds componentType, empty for package.xml (ss_check_deploy_succeeded.xml,
    # ss_check_deploy_failed_no_package.xml).
    md("componentType", el, message.component_type or "")
    md("created", el, message.created)
    md("createdDate", el, stamp)
    md("deleted", el, message.deleted)
    md("fileName", el, message.file_name)
    md("fullName", el, message.full_name)
    if message.line is not None:
        md("lineNumber", el, message.line)
    if message.problem:
        md("problem", el, message.problem)
        md("problemType", el, message.problem_type or "Error")
    md("success", el, message.success)
    return el
