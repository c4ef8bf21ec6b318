"""Which Apex tests a deploy asks the org to run, and what the org says about them.

The setup holds no Apex, yet production still decides on tests:

- A production org refuses ``testLevel`` NoTestRun outright ("INVALID_OPERATION:
  testLevel of NoTestRun cannot be used in production organizations", the
  deploy() fault quoted in xjsender/haoide issue 107 and in
  salesforcecli/plugin-deploy-retrieve pull 611).
- With ``testLevel`` left out, production runs local tests only when the package
  holds Apex classes or triggers, so our package runs none (Metadata API
  Developer Guide, "Running Tests in a Deployment": "If your package doesn't
  contain Apex components, no tests are run by default"). Non-production orgs run
  no tests by default ("Run the Same Tests in Sandbox and Production
  Deployments").
- ``deployRecentValidation`` needs a validation in which the org's Apex tests ran
  and passed, within the last 10 days (Metadata API Developer Guide,
  "deployRecentValidation()"). So a production validation meant for a quick
  deploy runs RunLocalTests.

So the defaults are per org kind: NoTestRun outside production; in production,
the level left out for a direct deploy and RunLocalTests for a validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from lxml import etree

from tasks.totango_sf.errors import BadInput

TestLevel = Literal["NoTestRun", "RunLocalTests", "RunSpecifiedTests", "RunAllTestsInOrg"]
TEST_LEVELS: tuple[str, ...] = get_args(TestLevel)
# "default" leaves testLevel out, so the org applies its own rule.
DEFAULT = "default"
TEST_LEVEL_CHOICES = (*TEST_LEVELS, DEFAULT)
# An Apex class name, optionally namespaced; RunSpecifiedTests also takes Class.method.
_APEX_TEST_NAME = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9_]*__)?[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z]\w*)?$"
)
PRODUCTION_NO_TEST_RUN = (
    "--test-level NoTestRun cannot be used on production org {org!r}: Salesforce refuses it"
    " (INVALID_OPERATION). Leave --test-level out, or use RunLocalTests; nothing was sent."
)
ORG_TESTS_FAILED = (
    "The org's own Apex tests failed. The Totango setup holds no Apex, so it did not cause"
    " these failures, and nothing was changed: the deploy was rolled back as a whole."
)
# A production deploy that runs the org's tests also needs the org's Apex as a whole
# covered to 75% (Metadata API Developer Guide, "deployRecentValidation()", "Running
# Tests in a Deployment"); below it the org fails the deploy with no test failing and
# this code coverage warning, in the recorded words ("Average test coverage across all
# Apex Classes and Triggers is 62%, at least 75% test coverage is required.", the failed
# validation in akohan91/libak-salesforce-ci).
AVERAGE_COVERAGE = re.compile(
    r"Average test coverage across all Apex Classes and Triggers is (\d+)%"
)
ORG_COVERAGE_TOO_LOW = (
    "The org's own Apex code coverage ({percent}) is below the 75% Salesforce requires for a"
    " production deploy that runs the org's tests. This is the org's coverage, not this"
    " setup: the Totango setup holds no Apex and cannot raise or lower it, and nothing was"
    " changed. Raise the org's coverage with its own tests (or have its Apex owners do"
    " so), then deploy or validate again."
)


class ApexTestLevelRefused(BadInput):
    """A test level or test list that Salesforce would refuse (exit code 2)."""

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class ApexTestPlan:
    """What ``DeployOptions`` says about tests; ``level`` None leaves testLevel out."""

    __test__ = False  # not a pytest test class

    level: TestLevel | None
    tests: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.level or DEFAULT

    def to_json(self) -> dict[str, Any]:
        return {"test_level": self.label, "tests": list(self.tests)}


def parse_test_names(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """``A,B`` (or a list) as test class names; refuses anything not an Apex name."""
    if text is None:
        return ()
    parts = text.split(",") if isinstance(text, str) else list(text)
    names = tuple(p.strip() for p in parts if str(p).strip())
    for name in names:
        if not _APEX_TEST_NAME.match(name):
            raise ApexTestLevelRefused(f"--tests: {name!r} is not an Apex test class name")
    return names


def production_for_tests(org_type: str, is_production: bool) -> bool:
    """Whether the org applies production's test rules.

    A Developer Edition org is neither a sandbox nor a scratch org, yet it is not
    production for deploys: "By default, no tests are run in a deployment to a
    non-production organization, such as a sandbox or a Developer Edition
    organization" ("Run the Same Tests in Sandbox and Production Deployments").
    """
    return is_production and org_type != "Developer Edition"


# Salesforce reads runTests only with testLevel RunSpecifiedTests (Metadata API Developer
# Guide, DeployOptions: runTests "A list of Apex tests to run during deployment. Specify
# the class name, one name per instance... applies only when testLevel is
# RunSpecifiedTests"); any other level would quietly run other tests, or none.
TESTS_NEED_SPECIFIED = (
    "--tests goes with --test-level RunSpecifiedTests only (add --test-level"
    " RunSpecifiedTests, or leave out --tests); nothing was sent"
)


def check_test_options(
    requested: str | None, tests: str | Iterable[str] | None
) -> tuple[str | None, tuple[str, ...]]:
    """The level and test names, refused when malformed whatever the org (no org needed)."""
    if requested is not None and requested not in TEST_LEVEL_CHOICES:
        raise ApexTestLevelRefused(
            f"--test-level: {requested!r} is not one of {', '.join(TEST_LEVEL_CHOICES)}"
        )
    names = parse_test_names(tests)
    if requested == "RunSpecifiedTests" and not names:
        raise ApexTestLevelRefused("--test-level RunSpecifiedTests needs --tests A,B")
    if names and requested != "RunSpecifiedTests":
        raise ApexTestLevelRefused(TESTS_NEED_SPECIFIED)
    return requested, names


def choose_test_plan(
    requested: str | None,
    tests: str | Iterable[str] | None,
    *,
    production: bool,
    check_only: bool,
    org: str = "",
) -> ApexTestPlan:
    """The test plan for one deploy, validation or rollback; refuses before anything is sent."""
    names = parse_test_names(tests)
    if requested is not None and requested not in TEST_LEVEL_CHOICES:
        raise ApexTestLevelRefused(
            f"--test-level: {requested!r} is not one of {', '.join(TEST_LEVEL_CHOICES)}"
        )
    if names and requested != "RunSpecifiedTests":
        raise ApexTestLevelRefused(TESTS_NEED_SPECIFIED)
    if requested is None:
        if not production:
            return ApexTestPlan("NoTestRun")
        return ApexTestPlan("RunLocalTests") if check_only else ApexTestPlan(None)
    if requested == "RunSpecifiedTests":
        if not names:
            raise ApexTestLevelRefused("--test-level RunSpecifiedTests needs --tests A,B")
        return ApexTestPlan("RunSpecifiedTests", names)
    if requested == "NoTestRun" and production:
        raise ApexTestLevelRefused(PRODUCTION_NO_TEST_RUN.format(org=org))
    if requested == DEFAULT:
        return ApexTestPlan(None)
    return ApexTestPlan(cast(TestLevel, requested))  # one of TEST_LEVELS, checked above


# -- what the org reports ------------------------------------------------------------


@dataclass(frozen=True)
class ApexTestFailure:
    __test__ = False  # not a pytest test class

    class_name: str
    method: str
    message: str
    stack_trace: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "class": self.class_name,
            "method": self.method,
            "message": self.message,
            "stack_trace": self.stack_trace,
        }


@dataclass(frozen=True)
class CoverageWarning:
    name: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "message": self.message}


@dataclass
class ApexTestReport:
    """DeployResult's test counts plus details.runTestResult (RunTestsResult)."""

    __test__ = False  # not a pytest test class

    tests_run: int
    failures_count: int
    total_time_ms: float
    failures: list[ApexTestFailure] = field(default_factory=list)
    coverage_warnings: list[CoverageWarning] = field(default_factory=list)

    @property
    def org_coverage_percent(self) -> int | None:
        """The org-wide coverage the org refused (its average warning), else None."""
        for warning in self.coverage_warnings:
            found = AVERAGE_COVERAGE.search(warning.message)
            if found:
                return int(found.group(1))
        return None

    @property
    def org_coverage_too_low(self) -> bool:
        return self.org_coverage_percent is not None

    @property
    def org_tests_failed(self) -> bool:
        return self.failures_count > 0 or bool(self.failures) or self.org_coverage_too_low

    @property
    def explanation(self) -> str | None:
        """Why the org's tests failed the deploy, in one paragraph; None when they did not."""
        if self.failures_count > 0 or self.failures:
            return ORG_TESTS_FAILED
        if self.org_coverage_too_low:
            return ORG_COVERAGE_TOO_LOW.format(percent=f"{self.org_coverage_percent}%")
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "tests_run": self.tests_run,
            "failures": self.failures_count,
            "total_time_seconds": round(self.total_time_ms / 1000, 3),
            "failed_tests": [f.to_json() for f in self.failures],
            "code_coverage_warnings": [w.to_json() for w in self.coverage_warnings],
            "org_tests_failed": self.org_tests_failed,
            "org_coverage_too_low": self.org_coverage_too_low,
            "org_coverage_percent": self.org_coverage_percent,
            "explanation": self.explanation,
        }


def _number(text: str | None) -> float:
    try:
        return float(text) if text else 0.0
    except ValueError:
        return 0.0


def parse_test_report(result: etree._Element, tag: Callable[[str], str]) -> ApexTestReport | None:
    """The tests of a DeployResult element, or None when the deploy ran none.

    Real orgs send ``details/runTestResult`` in every checkDeployStatus answer, with
    zeros when no tests ran (recorded answers of simple-salesforce's tests and of
    IlluminatedCloud issue 2753). So a runTestResult is no sign that tests ran:
    ``numTestsRun`` 0 with no failures and no coverage warnings means none did, and the
    result says nothing of tests (JSON ``tests`` null, no "Apex tests" line).

    ``tag`` turns a local name into the Metadata API namespace's tag.
    """
    run = next(result.iter(tag("runTestResult")), None)
    completed = int(_number(result.findtext(tag("numberTestsCompleted"))))
    errors = int(_number(result.findtext(tag("numberTestErrors"))))
    if run is None and completed == 0 and errors == 0:
        return None
    failures: list[ApexTestFailure] = []
    warnings: list[CoverageWarning] = []
    tests_run, failed, total = completed + errors, errors, 0.0
    if run is not None:
        tests_run = int(_number(run.findtext(tag("numTestsRun")))) or tests_run
        failed = int(_number(run.findtext(tag("numFailures")))) or failed
        total = _number(run.findtext(tag("totalTime")))
        for element in run.findall(tag("failures")):
            namespace = element.findtext(tag("namespace"))
            name = element.findtext(tag("name")) or ""
            failures.append(
                ApexTestFailure(
                    class_name=f"{namespace}__{name}" if namespace else name,
                    method=element.findtext(tag("methodName")) or "",
                    message=element.findtext(tag("message")) or "",
                    stack_trace=element.findtext(tag("stackTrace")) or "",
                )
            )
        for element in run.findall(tag("codeCoverageWarnings")):
            warnings.append(
                CoverageWarning(
                    element.findtext(tag("name")) or "", element.findtext(tag("message")) or ""
                )
            )
    if tests_run == 0 and not failures and not warnings:
        return None
    return ApexTestReport(tests_run, failed, total, failures, warnings)
