"""The choice of an Apex test level for a deploy, and the levels refused (no org)."""

from __future__ import annotations

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.salesforce.apex_tests import (
    ApexTestLevelRefused,
    ApexTestPlan,
    choose_test_plan,
    parse_test_names,
)


@pytest.mark.parametrize(
    ("production", "check_only", "expected"),
    [
        (False, False, ApexTestPlan("NoTestRun")),
        (False, True, ApexTestPlan("NoTestRun")),
        (True, False, ApexTestPlan(None)),
        (True, True, ApexTestPlan("RunLocalTests")),
    ],
)
def test_defaults_per_org_kind(production, check_only, expected):
    plan = choose_test_plan(None, None, production=production, check_only=check_only)
    assert plan == expected


def test_explicit_levels_and_refusals():
    assert choose_test_plan("default", None, production=False, check_only=True) == ApexTestPlan(
        None
    )
    assert choose_test_plan(
        "RunSpecifiedTests", "A, ns__B", production=True, check_only=False
    ) == ApexTestPlan("RunSpecifiedTests", ("A", "ns__B"))
    with pytest.raises(ApexTestLevelRefused, match="production"):
        choose_test_plan("NoTestRun", None, production=True, check_only=False, org="prod")
    with pytest.raises(ApexTestLevelRefused, match="needs --tests"):
        choose_test_plan("RunSpecifiedTests", None, production=False, check_only=False)
    with pytest.raises(ApexTestLevelRefused, match="RunSpecifiedTests only"):
        choose_test_plan("RunLocalTests", "A", production=False, check_only=False)
    with pytest.raises(ApexTestLevelRefused, match="not one of"):
        choose_test_plan("RunSomeTests", None, production=False, check_only=False)
    with pytest.raises(ApexTestLevelRefused, match="Apex test class"):
        parse_test_names("A,</runTests><x>")
