"""Metadata API calls of the deploy path, through CumulusCI's own SOAP classes.

listMetadata and retrieve use CumulusCI's ``ApiListMetadata`` and
``ApiRetrieveUnpackaged`` unchanged. Deploys use a subclass of ``ApiDeploy``:
CumulusCI polls checkDeployStatus about once a second, slowing only a little on
long Pending phases, and has no overall timeout, so a deploy stuck in an org's
queue holds a CI job until the job's own limit kills it, with no cancel sent.
The subclass polls fast first (small deploys finish in seconds), backs off to a
cap, reports progress, cancels on an overall timeout, and returns the result as
data instead of raising, so callers can print every componentFailure.

Every call keeps rollbackOnError true; which tests run is the caller's
``ApexTestPlan`` (``test_levels``), since production refuses NoTestRun.
"""

from __future__ import annotations

import base64
import io
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import Any
from xml.parsers.expat import ExpatError

from lxml import etree

from tasks.totango_sf.errors import Failed, OutcomeUnknown, Unreachable, status_command
from tasks.totango_sf.metadata.package_xml import package_xml
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.salesforce import limits
from tasks.totango_sf.salesforce.apex_tests import ApexTestPlan, ApexTestReport, parse_test_report

MD_NS = "http://soap.sforce.com/2006/04/metadata"
# Outside production nothing needs tests; callers pass their own plan otherwise.
NO_TESTS = ApexTestPlan("NoTestRun")
DONE_STATUSES = {"Succeeded", "SucceededPartial", "Failed", "Canceled"}

# Seconds between status polls: fast at first, then doubling up to the cap.
FIRST_POLL_INTERVAL = 0.5
MAX_POLL_INTERVAL = 10.0
DEFAULT_TIMEOUT = 1800.0


def _soap_envelope(body: str) -> str:
    """A Metadata API call in the shape CumulusCI's soap_envelopes use (session injected later)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n'
        "  <soap:Header>\n"
        f'    <SessionHeader xmlns="{MD_NS}">\n'
        "      <sessionId>###SESSION_ID###</sessionId>\n"
        "    </SessionHeader>\n"
        "  </soap:Header>\n"
        f"  <soap:Body>\n    {body}\n  </soap:Body>\n"
        "</soap:Envelope>"
    )


CANCEL_DEPLOY = _soap_envelope(
    f'<cancelDeploy xmlns="{MD_NS}"><String>{{process_id}}</String></cancelDeploy>'
)
DEPLOY_RECENT_VALIDATION = _soap_envelope(
    f'<deployRecentValidation xmlns="{MD_NS}">'
    "<validationId>{validation_id}</validationId></deployRecentValidation>"
)


class MetadataCallFailed(Unreachable):
    """The Metadata API refused a call (a SOAP fault, a malformed answer)."""

    def verdict_message(self) -> str:
        return f"Metadata API call failed: {self}"


class MetadataAccessDenied(MetadataCallFailed):
    """The connected user may not use the Metadata API (exit code 4, nothing was changed).

    An org refuses every Metadata API call of a user who has neither "Modify Metadata
    Through Metadata API Functions" nor "Modify All Data" (Metadata API Developer Guide,
    "User Permissions") with HTTP 500 and the fault ``sf:INSUFFICIENT_ACCESS`` ("use of
    the Metadata API requires a user with the ModifyAllData permission", the words a
    real org was recorded using).
    """

    def __init__(self, username: str | None):
        self.username = username or "the connected user"
        super().__init__(
            f"{self.username} lacks the Modify Metadata Through Metadata API Functions (or"
            " Modify All Data) permission, which the Metadata API needs (Salesforce refused"
            " the call: INSUFFICIENT_ACCESS); connect as an admin, or give this user the"
            " permission, and run again"
        )

    def verdict_message(self) -> str:
        return str(self)


INSUFFICIENT_ACCESS = "sf:INSUFFICIENT_ACCESS"


def fault_code(content: bytes) -> str | None:
    """The ``faultcode`` of a SOAP fault answer, None for anything else."""
    try:
        root = parse_xml(content)
    except etree.XMLSyntaxError:
        return None
    code = next(root.iter("faultcode"), None)
    return (code.text or "").strip() if code is not None else None


class DeployTimeout(Failed):
    """The deploy did not finish in time; a cancelDeploy was sent."""

    def __init__(self, deploy_id: str, seconds: float, canceled: bool):
        self.deploy_id = deploy_id
        self.seconds = seconds
        self.canceled = canceled
        state = "cancel requested" if canceled else "cancel failed; check the org"
        super().__init__(f"deploy {deploy_id} did not finish within {seconds:.0f}s ({state})")

    def verdict_data(self) -> dict[str, Any]:
        return {"deploy_id": self.deploy_id}


class DeployOutcomeUnknown(OutcomeUnknown):
    """The org may have taken the deploy, but its answer was lost.

    Raised when the answer to a deploy start, or every retry of a status poll, is
    lost (a dropped connection, a gateway page instead of XML), or when polling is
    interrupted and the cancel could not be confirmed. ``deploy_id`` is None when
    even the start's answer was lost. Never reported as "failed": the deploy may
    still run and change the org.
    """

    def __init__(self, deploy_id: str | None, reason: str):
        self.deploy_id = deploy_id
        self.reason = reason
        super().__init__(f"deploy {deploy_id or '(id unknown)'}: outcome unknown: {reason}")

    def verdict_message(self) -> str:
        return (
            f"outcome unknown: {self.reason}. The deploy {self.deploy_id or '(id not returned)'}"
            " may still run and change the org; it is NOT reported as failed."
        )

    def verdict_data(self) -> dict[str, Any]:
        return {"deploy_id": self.deploy_id, "outcome": "unknown"}

    def verdict_actions(self, org: str) -> list[str]:
        return [status_command(org, self.deploy_id)]


class NoSuchDeploy(Failed):
    """The org answered a status check with INVALID_ID_FIELD: it holds no deploy by that id.

    An org answers ``checkDeployStatus`` of an id it does not hold (mistyped, from another
    org, or older than the org keeps deploy results) with the SOAP fault
    ``sf:INVALID_ID_FIELD`` ("INVALID_ID_FIELD: Invalid id", as the org emulator answers
    too), not with a pending deploy: asking again can never settle it.
    """

    def __init__(self, deploy_id: str, answer: str, snapshot: str | None = None):
        self.deploy_id = deploy_id
        self.answer = answer
        self.snapshot = snapshot
        recorded = f" (recorded in {snapshot})" if snapshot else ""
        super().__init__(
            f"no such deploy: the org holds no deploy {deploy_id}{recorded} and answered"
            f" {answer}. Nothing is running under that id, so there is nothing to follow;"
            " check the id against the one the deploy printed, and the org (--org)"
        )

    def recorded_in(self, snapshot: object) -> NoSuchDeploy:
        return NoSuchDeploy(self.deploy_id, self.answer, str(snapshot))

    def verdict_data(self) -> dict[str, Any]:
        return {"deploy_id": self.deploy_id, "outcome": "no_such_deploy"}


@dataclass(frozen=True)
class ComponentFailure:
    file: str
    line: int | None
    problem: str
    type: str
    name: str


@dataclass(frozen=True)
class DeployProgress:
    deploy_id: str
    status: str
    deployed: int
    total: int
    elapsed: float
    tests_completed: int = 0
    tests_total: int = 0


@dataclass
class DeployResult:
    id: str
    success: bool
    status: str
    check_only: bool
    components_deployed: int = 0
    components_total: int = 0
    failures: list[ComponentFailure] = field(default_factory=list)
    error_message: str | None = None
    elapsed: float = 0.0
    # Polling was interrupted (SIGINT/SIGTERM); the status is what the org said after.
    interrupted: bool = False
    tests_completed: int = 0
    tests_total: int = 0

    tests: ApexTestReport | None = None
    # DeployResult.stateDetail: what the org is doing now ("Finalizing Deploy").
    state_detail: str | None = None
    # DeployResult.errorStatusCode beside error_message (ALREADY_IN_PROCESS: admin_lock.py).
    error_code: str | None = None
    # Earlier attempts the org refused for its administration lock (admin_lock.py).
    admin_lock_retries: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "success": self.success,
            "status": self.status,
            "check_only": self.check_only,
            "components_deployed": self.components_deployed,
            "components_total": self.components_total,
            "failures": [asdict(f) for f in self.failures],
            "error_message": self.error_message,
            "error_code": self.error_code,
            "admin_lock_retries": self.admin_lock_retries,
            "elapsed_seconds": round(self.elapsed, 3),
            "interrupted": self.interrupted,
            "tests": self.tests.to_json() if self.tests else None,
        }


ProgressCallback = Callable[[DeployProgress], None]
Sleep = Callable[[float], None]
# Called with the deploy id the moment the org returns it, before any poll.
StartedCallback = Callable[[str], None]


@dataclass(frozen=True)
class Polling:
    """How a deploy is waited for: the overall timeout, the progress and started callbacks,
    and the sleep between polls (tests pass their own)."""

    timeout: float = DEFAULT_TIMEOUT
    progress: ProgressCallback | None = None
    sleep: Sleep = time.sleep
    on_started: StartedCallback | None = None
    # One line for the user while the run waits on the org (an admin lock's retries).
    notice: Callable[[str], None] | None = None

    def keywords(self) -> dict[str, Any]:
        return {
            "timeout": self.timeout,
            "progress": self.progress,
            "sleep": self.sleep,
            "on_started": self.on_started,
        }


# After a cancelDeploy, seconds between the status checks that confirm it settled.
CANCEL_CONFIRM_DELAYS = (0.0, 0.5, 1.0, 2.0, 4.0)
# cancelDeploy() (Metadata API Developer Guide): "For API versions 65.0 and higher,
# deployments with a status of Finalizing Deploy, can't be cancelled. For API versions
# below 65.0 ... it's possible that the cancellation will succeed, but data from the
# deployment is also committed." The org shows that step as the deploy's stateDetail.
FINALIZING = "Finalizing Deploy"
CANCEL_REFUSED_FROM = 65.0
# How long a deploy that cannot be cancelled any more is waited for, after the cancel.
FINALIZING_WAIT = 300.0


def _m(tag: str) -> str:
    return f"{{{MD_NS}}}{tag}"


def _result_element(content: bytes) -> etree._Element:
    try:
        root = parse_xml(content)
    except etree.XMLSyntaxError as exc:
        raise MetadataCallFailed(f"unreadable Metadata API answer: {exc}") from None
    result = next(root.iter(_m("result")), None)
    if result is None:
        raise MetadataCallFailed("the Metadata API answer holds no result")
    return result


def _int(element: etree._Element, tag: str) -> int:
    text = element.findtext(_m(tag))
    return int(text) if text and text.strip().isdigit() else 0


def parse_deploy_result(content: bytes, elapsed: float = 0.0) -> DeployResult:
    """A checkDeployStatus answer (with details) as data."""
    result = _result_element(content)
    failures = []
    for failure in result.iter(_m("componentFailures")):
        line = failure.findtext(_m("lineNumber"))
        failures.append(
            ComponentFailure(
                file=failure.findtext(_m("fileName")) or "",
                line=int(line) if line and line.isdigit() else None,
                problem=failure.findtext(_m("problem")) or "Unknown problem",
                type=failure.findtext(_m("componentType")) or "",
                name=failure.findtext(_m("fullName")) or "",
            )
        )
    status = result.findtext(_m("status")) or "Unknown"
    return DeployResult(
        id=(result.findtext(_m("id")) or "").strip(),
        success=(result.findtext(_m("success")) or "") == "true",
        status=status,
        check_only=(result.findtext(_m("checkOnly")) or "") == "true",
        components_deployed=_int(result, "numberComponentsDeployed"),
        components_total=_int(result, "numberComponentsTotal"),
        failures=failures,
        error_message=result.findtext(_m("errorMessage")),
        error_code=(result.findtext(_m("errorStatusCode")) or "").strip() or None,
        state_detail=(result.findtext(_m("stateDetail")) or "").strip() or None,
        elapsed=elapsed,
        tests_completed=_int(result, "numberTestsCompleted"),
        tests_total=_int(result, "numberTestsTotal"),
        tests=parse_test_report(result, _m),
    )


# Seconds to wait before each retry of a call that failed transiently.
TRANSIENT_RETRY_DELAYS = (0.5, 2.0, 5.0)
# Starting a deploy twice would deploy twice; these are never retried.
NOT_REPEATABLE = {"deploy", "deployRecentValidation"}


def _retrying(call_class: type) -> type:
    """``call_class`` with transient failures retried.

    CumulusCI parses every Metadata API answer as XML before it looks at the HTTP
    status, so a load balancer's HTML 502/503 page ends in an ExpatError traceback
    instead of an error, and a dropped connection on a POST is not retried. Status
    checks, listMetadata and retrieves are safe to repeat, so they get a few
    retries with backoff, also after a REQUEST_LIMIT_EXCEEDED fault (``retry_policy``);
    a deploy start is not repeated.
    """
    import requests
    from cumulusci.salesforce_api.exceptions import MetadataApiError

    from tasks.totango_sf.salesforce.retry_policy import with_retries

    transient = (ExpatError, requests.RequestException)

    class Retrying(call_class):
        def _handle_soap_error(
            self, headers: Any, envelope: Any, refresh: Any, response: Any
        ) -> Any:
            # Said plainly, in one line (CumulusCI would log the fault, then raise it).
            if fault_code(response.content) == INSUFFICIENT_ACCESS:
                raise MetadataAccessDenied(getattr(self.task.org_config, "username", None))
            # An expired session (sf:INVALID_SESSION_ID: "Session expired or invalid",
            # recorded in CumulusCI's cassettes) is renewed once and the call repeated,
            # as CumulusCI does, but through the session's own keychain: CumulusCI reads
            # task.project_config.keychain, which is None outside a cci task, and crashed
            # with AttributeError there. The org refused the expired call, so repeating
            # it is safe even for a deploy start.
            renew = getattr(self.task, "renew_session", None)
            if refresh and renew is not None and b"INVALID_SESSION_ID" in response.content:
                try:
                    renew()
                except Exception as exc:  # noqa: BLE001 - becomes this call's failure
                    raise MetadataCallFailed(f"{exc}") from None
                return self._call_mdapi(headers, envelope, refresh=False)
            return super()._handle_soap_error(headers, envelope, refresh, response)

        def _call_mdapi(self, headers: Any, envelope: Any, refresh: Any = None) -> Any:
            action = headers.get("SOAPAction", "")
            delays = () if action in NOT_REPEATABLE else TRANSIENT_RETRY_DELAYS
            call = super()._call_mdapi

            def attempt() -> Any:
                # CumulusCI marks the call Failed on any fault; a retry starts clean.
                status = getattr(self, "status", None)
                try:
                    return call(headers, envelope, refresh)
                except MetadataApiError as exc:
                    if "REQUEST_LIMIT_EXCEEDED" not in str(exc):
                        raise
                    self.status = status
                    raise _RequestLimit(exc) from None

            try:
                return with_retries(
                    attempt, lambda exc: isinstance(exc, (*transient, _RequestLimit)), delays
                )
            except _RequestLimit as limit:
                raise limit.error from None
            except transient as exc:
                if action in NOT_REPEATABLE:
                    # The request may have reached the org: a start is never
                    # called failed when only its answer is missing.
                    raise DeployOutcomeUnknown(
                        None, f"{action} failed or its answer was lost ({_transient(exc)})"
                    ) from None
                raise MetadataCallFailed(
                    f"{action or 'Metadata API call'} failed: {_transient(exc)}"
                ) from None

    Retrying.__name__ = call_class.__name__
    return Retrying


class _RequestLimit(Unreachable):
    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def _transient(exc: Exception) -> str:
    from tasks.totango_sf.salesforce.retry_policy import TLS_NOT_TRUSTED, is_tls_failure

    if is_tls_failure(exc):
        return TLS_NOT_TRUSTED
    if isinstance(exc, ExpatError):
        return "the server answered with something other than XML (an HTTP 5xx page?)"
    return type(exc).__name__


def _deploy_classes() -> tuple[type, type, type]:
    """Built on first use: importing cumulusci costs about a second."""
    from cumulusci.salesforce_api.metadata import ApiDeploy
    from cumulusci.salesforce_api.soap_envelopes import CHECK_DEPLOY_STATUS

    class BackoffDeploy(_retrying(ApiDeploy)):  # type: ignore[misc]
        """ApiDeploy with backoff polling, an overall timeout and a parsed result."""

        soap_envelope_status = CHECK_DEPLOY_STATUS

        def __init__(
            self,
            task: Any,
            package_zip: str,
            *,
            api_version: str,
            check_only: bool,
            polling: Polling,
            test_plan: ApexTestPlan = NO_TESTS,
        ):
            # purge_on_delete false: deleted components stay in the recycle bin,
            # which production requires anyway and keeps a rollback recoverable.
            super().__init__(
                task,
                package_zip,
                purge_on_delete=False,
                api_version=api_version,
                check_only=check_only,
                test_level=test_plan.level,
                run_tests=list(test_plan.tests),
            )
            self.timeout = polling.timeout
            self.progress = polling.progress
            self.sleep = polling.sleep
            self.on_started = polling.on_started
            self.notice = polling.notice
            self.process_id = ""
            # The org's last answer, to know what a cancel met.
            self.last: DeployResult | None = None

        def _post(self, action: str, envelope: str) -> Any:
            return self._call_mdapi(self._build_headers(action, envelope), envelope)

        def _start(self) -> None:
            response = self._post(self.soap_action_start, self._build_envelope_start())
            self._process_response_start(response)

        def _cancel(self) -> bool:
            try:
                self._post("cancelDeploy", CANCEL_DEPLOY.format(process_id=self.process_id))
            except Exception:  # noqa: BLE001 - reported through DeployTimeout.canceled
                return False
            return True

        def run(self) -> DeployResult:
            from cumulusci.salesforce_api.exceptions import MetadataApiError

            started = time.monotonic()
            try:
                self._start()
            except MetadataApiError as exc:
                raise MetadataCallFailed(str(exc)) from None
            except KeyboardInterrupt:
                raise DeployOutcomeUnknown(
                    None, "interrupted while the deploy was being submitted"
                ) from None
            if not self.process_id:
                raise MetadataCallFailed("the deploy call returned no id")
            if self.on_started is not None:
                self.on_started(self.process_id)
            try:
                return self._poll(started)
            except KeyboardInterrupt:
                return self._interrupted(started)

        def _check(self, started: float) -> DeployResult:
            from cumulusci.salesforce_api.exceptions import MetadataApiError

            try:
                response = self._post(self.soap_action_status, self._build_envelope_status())
            except (MetadataApiError, MetadataCallFailed) as exc:
                # The deploy runs on whether or not we can see it.
                raise DeployOutcomeUnknown(self.process_id, f"status poll failed: {exc}") from None
            self.last = parse_deploy_result(response.content, time.monotonic() - started)
            return self.last

        def _report(self, result: DeployResult) -> None:
            if self.progress is not None:
                self.progress(
                    DeployProgress(
                        self.process_id,
                        result.status,
                        result.components_deployed,
                        result.components_total,
                        result.elapsed,
                        result.tests_completed,
                        result.tests_total,
                    )
                )

        def _poll(self, started: float) -> DeployResult:
            interval = FIRST_POLL_INTERVAL
            while True:
                result = self._check(started)
                self._report(result)
                if result.status in DONE_STATUSES:
                    return result
                if result.elapsed + interval > self.timeout:
                    settled = self._cancel_and_settle(started)
                    if settled is None:
                        raise DeployOutcomeUnknown(
                            self.process_id,
                            f"not done within {self.timeout:.0f}s and no cancel confirmed",
                        )
                    if settled.status == "Canceled":
                        raise DeployTimeout(self.process_id, self.timeout, True)
                    return settled  # it finished while we cancelled
                self.sleep(interval)
                interval = min(interval * 2, MAX_POLL_INTERVAL)

        def _cancel_and_settle(self, started: float) -> DeployResult | None:
            """cancelDeploy, then check until the org says how the deploy ended.

            A cancel is a request: the deploy may finish first (Succeeded) or stay
            in Canceling. Only a done status from the org settles the outcome. A deploy
            the org is finalizing cannot be cancelled from API 65.0, so it is waited
            for; below 65.0 a cancel then can succeed with its changes committed, so a
            Canceled answer is no proof that nothing changed (``FINALIZING``).
            """
            finalizing = self.last is not None and self.last.state_detail == FINALIZING
            self._cancel()
            settled = self._settle(started, CANCEL_CONFIRM_DELAYS)
            finalizing = finalizing or (
                self.last is not None and self.last.state_detail == FINALIZING
            )
            refused = float(self.api_version) >= CANCEL_REFUSED_FROM
            if settled is None and finalizing and refused:
                self._say(
                    f"deploy {self.process_id}: Salesforce does not cancel a deploy it is"
                    " finalizing (API 65.0 and later); waiting for it to finish"
                )
                settled = self._settle(started, _waits(FINALIZING_WAIT))
            if settled is not None and settled.status == "Canceled" and finalizing and not refused:
                raise DeployOutcomeUnknown(
                    self.process_id,
                    "canceled while Salesforce was finalizing it, and below API 65.0 such a"
                    " cancel can succeed with the deploy's changes committed all the same",
                )
            return settled

        def _settle(self, started: float, delays: Iterable[float]) -> DeployResult | None:
            """Status checks after ``delays``, until the org says the deploy is done."""
            for delay in delays:
                self.sleep(delay)
                try:
                    result = self._check(started)
                except DeployOutcomeUnknown:
                    continue
                self._report(result)
                if result.status in DONE_STATUSES:
                    return result
            return None

        def _say(self, line: str) -> None:
            if self.notice is not None:
                self.notice(line)
            else:
                import sys

                print(line, file=sys.stderr, flush=True)

        def _interrupted(self, started: float) -> DeployResult:
            try:
                settled = self._cancel_and_settle(started)
            except KeyboardInterrupt:
                settled = None
            if settled is None:
                raise DeployOutcomeUnknown(
                    self.process_id, "interrupted; cancel requested but not confirmed"
                )
            settled.interrupted = True
            return settled

    class QuickDeploy(BackoffDeploy):
        """deployRecentValidation: CumulusCI has no class for it."""

        def __init__(self, task: Any, validation_id: str, **options: Any):
            super().__init__(task, "unused", check_only=False, **options)
            self.validation_id = validation_id

        def _build_envelope_start(self) -> str:
            from xml.sax.saxutils import escape

            return DEPLOY_RECENT_VALIDATION.format(validation_id=escape(self.validation_id))

        def _start(self) -> None:
            response = self._post("deployRecentValidation", self._build_envelope_start())
            self.process_id = (_result_element(response.content).text or "").strip()

    class FollowDeploy(BackoffDeploy):
        """Polls a deploy started earlier (here or elsewhere); never starts or cancels one."""

        def __init__(self, task: Any, deploy_id: str, **options: Any):
            super().__init__(task, "unused", check_only=False, **options)
            self.process_id = deploy_id

        def _start(self) -> None:
            pass

        def _check(self, started: float) -> DeployResult:
            from cumulusci.salesforce_api.exceptions import MetadataApiError

            try:
                response = self._post(self.soap_action_status, self._build_envelope_status())
            except (MetadataApiError, MetadataCallFailed) as exc:
                answer = " ".join(str(exc).split())
                if "INVALID_ID_FIELD" in answer:
                    raise NoSuchDeploy(self.process_id, answer) from None
                raise DeployOutcomeUnknown(self.process_id, f"status poll failed: {exc}") from None
            return parse_deploy_result(response.content, time.monotonic() - started)

        def _cancel_and_settle(self, started: float) -> DeployResult | None:
            return None

        def _interrupted(self, started: float) -> DeployResult:
            raise DeployOutcomeUnknown(self.process_id, "stopped following; it runs on in the org")

    return BackoffDeploy, QuickDeploy, FollowDeploy


def _waits(total: float) -> list[float]:
    """Poll delays that double up to the cap and add up to about ``total`` seconds."""
    delays, interval, spent = [], FIRST_POLL_INTERVAL, 0.0
    while spent < total:
        delays.append(interval)
        spent += interval
        interval = min(interval * 2, MAX_POLL_INTERVAL)
    return delays


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(files.items()):
            archive.writestr(path, data)
    return buffer.getvalue()


def zip_base64(files: Mapping[str, bytes]) -> str:
    return base64.b64encode(zip_bytes(files)).decode("ascii")


def check_package_limits(files: Mapping[str, bytes]) -> bytes:
    """The package's zip, or ``PackageTooLarge`` when a deploy of it would pass a
    Metadata API limit (``limits.py``): refused before anything is sent."""
    archive = zip_bytes(files)
    limits.check_deploy(len(files), sum(len(data) for data in files.values()), len(archive))
    return archive


def deploy_files(
    session: Any,
    files: Mapping[str, bytes],
    api_version: str,
    *,
    check_only: bool = False,
    polling: Polling = Polling(),
    test_plan: ApexTestPlan = NO_TESTS,
) -> DeployResult:
    """One atomic deploy of a Metadata API folder's files (package.xml included).

    A deploy the org refuses because its administration setup is locked by another
    change changed nothing and is sent again after a wait (``admin_lock``)."""
    from tasks.totango_sf.salesforce.admin_lock import retry_while_locked

    archive = check_package_limits(files)
    backoff_deploy = _deploy_classes()[0]

    def attempt() -> DeployResult:
        call = backoff_deploy(
            session.api_task,
            base64.b64encode(archive).decode("ascii"),
            api_version=api_version,
            check_only=check_only,
            polling=polling,
            test_plan=test_plan,
        )
        result: DeployResult = call.run()
        return result

    return retry_while_locked(attempt, session.name, polling)


def quick_deploy(
    session: Any, validation_id: str, api_version: str, polling: Polling = Polling()
) -> DeployResult:
    """Apply a successful check-only deploy without re-running it (sent again while the
    org's administration setup is locked, as ``deploy_files``)."""
    from tasks.totango_sf.salesforce.admin_lock import retry_while_locked

    quick = _deploy_classes()[1]

    def attempt() -> DeployResult:
        call = quick(session.api_task, validation_id, api_version=api_version, polling=polling)
        result: DeployResult = call.run()
        return result

    return retry_while_locked(attempt, session.name, polling)


def follow_deploy(
    session: Any,
    deploy_id: str,
    api_version: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    progress: ProgressCallback | None = None,
    sleep: Sleep = time.sleep,
) -> DeployResult:
    """Wait for a deploy already started; an interrupt or a timeout leaves it running."""
    follow = _deploy_classes()[2]
    call = follow(
        session.api_task,
        deploy_id,
        api_version=api_version,
        polling=Polling(timeout, progress, sleep),
    )
    result: DeployResult = call.run()
    return result


def destructive_package(members: Iterable[tuple[str, str]], api_version: str) -> dict[str, bytes]:
    """An empty package.xml plus destructiveChanges.xml: a deploy that only deletes."""
    return {
        "package.xml": package_xml([], api_version),
        "destructiveChanges.xml": package_xml(members, None),
    }


def list_metadata(session: Any, metadata_type: str, api_version: str) -> list[str]:
    """Full names of every component of one type (one listMetadata call); a managed
    layout's as retrieve takes it (``layout_names``)."""
    from cumulusci.salesforce_api.exceptions import MetadataApiError
    from cumulusci.salesforce_api.metadata import ApiListMetadata

    task = session.api_task
    if task.project_config is None:
        # CumulusCI's base call reads the project's API version before applying
        # as_of_version; outside a CumulusCI project (a git worktree counts) there is
        # no project config, so give it the version asked for. An expired session is
        # renewed by ``_retrying`` through the session itself (``renew_session``), never
        # through a project config's keychain.
        task.project_config = SimpleNamespace(project__package__api_version=api_version)
    call = _retrying(ApiListMetadata)(task, metadata_type, as_of_version=api_version)
    try:
        listed = call()
    except MetadataApiError as exc:
        raise MetadataCallFailed(str(exc)) from None
    rows = [row for row in listed[metadata_type] if row.get("fullName")]
    if metadata_type == "Layout":
        from tasks.totango_sf.salesforce.layout_names import retrievable_layout_name

        return sorted(retrievable_layout_name(row) for row in rows)
    return sorted(row["fullName"] for row in rows)


class RetrieveLimitExceeded(Failed):
    """The org refused a retrieve for its size (``LIMIT_EXCEEDED``), even once halved."""

    def __init__(self, message: str):
        super().__init__(
            f"the org refused the retrieve: {message}. Each part was halved"
            f" {limits.MAX_SPLITS} times and one is still too large; retrieve less"
            " (fewer insights.objects or widget.layouts)"
        )


class _RetrieveRefused(Unreachable):
    """A retrieve answered with status Failed: its error code and message (a limit is
    retried in halves; anything else becomes ``MetadataCallFailed``)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _retrieve_class() -> type:
    from cumulusci.salesforce_api.metadata import ApiRetrieveUnpackaged

    class Retrieve(_retrying(ApiRetrieveUnpackaged)):  # type: ignore[misc]
        """CumulusCI's retrieve; a Failed result (a limit) is raised as such, not as an
        unreadable zip (its zipFile is empty then)."""

        def _get_check_interval(self) -> float:
            # CumulusCI sleeps after every status check, the last one too: a second
            # (or more) of waiting on a retrieve already done.
            if self.status in ("Done", "Failed"):
                return 0.0
            interval: float = super()._get_check_interval()
            return interval

        def _process_response(self, response: Any) -> Any:
            try:
                result = _result_element(response.content)
            except MetadataCallFailed:
                return super()._process_response(response)
            if (result.findtext(_m("status")) or "").strip() == "Failed":
                raise _RetrieveRefused(
                    (result.findtext(_m("errorStatusCode")) or "").strip(),
                    (result.findtext(_m("errorMessage")) or "").strip(),
                )
            return super()._process_response(response)

    return Retrieve


def _retrieve_one(session: Any, members: list[tuple[str, str]], api_version: str) -> Any:
    from cumulusci.salesforce_api.exceptions import MetadataApiError, MetadataParseError

    request = package_xml(members, api_version).decode("utf-8")
    call = _retrieve_class()(session.api_task, request, api_version)
    try:
        return call()
    except MetadataParseError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, _RetrieveRefused):
            raise cause from None
        raise MetadataCallFailed(str(exc)) from None
    except MetadataApiError as exc:
        raise MetadataCallFailed(str(exc)) from None
    except zipfile.BadZipFile as exc:
        raise MetadataCallFailed(f"the retrieved zip is unreadable: {exc}") from None


def _retrieve_chunk(
    session: Any, chunk: limits.Chunk, api_version: str, splits: int = 0
) -> list[dict[str, bytes]]:
    """One chunk's files; a chunk the org refuses for a limit is halved and retried."""
    try:
        archive = _retrieve_one(session, chunk.all_members, api_version)
    except _RetrieveRefused as refused:
        halves = chunk.halves() if refused.code == limits.LIMIT_EXCEEDED else []
        if not halves or splits >= limits.MAX_SPLITS:
            if refused.code == limits.LIMIT_EXCEEDED:
                raise RetrieveLimitExceeded(str(refused)) from None
            raise MetadataCallFailed(f"{refused.code}: {refused}") from None
        return [
            files
            for half in halves
            for files in _retrieve_chunk(session, half, api_version, splits + 1)
        ]
    return [
        {
            name: archive.read(name)
            for name in archive.namelist()
            if not name.endswith("/") and name != "package.xml"
        }
    ]


def retrieve_files(
    session: Any, members: Iterable[tuple[str, str]], api_version: str
) -> dict[str, bytes]:
    """Unpackaged retrieves of ``members``; zip paths (without ``unpackaged/``) -> bytes.

    One retrieve when the members fit the Metadata API's limits (``limits.py``); else
    chunks, each within them, whose files are merged (an object split over two chunks
    comes back whole).
    """
    merged: dict[str, bytes] = {}
    for chunk in limits.retrieve_chunks(list(members)):
        for files in _retrieve_chunk(session, chunk, api_version):
            for path, data in files.items():
                before = merged.get(path)
                merged[path] = data if before is None else limits.merge_file(path, before, data)
    return merged
