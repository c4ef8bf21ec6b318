"""Which orgs write mode may change, from the Organization record alone (no org needed).

A scratch org (IsSandbox with a TrialExpirationDate), a sandbox and a Developer Edition
org may be changed; a production org, a trial of a paid edition included, never.
"""

from __future__ import annotations

import pytest

from tests.support.live_org import org_kind, write_refusal

TRIAL = "2025-07-01T00:00:00.000+0000"


@pytest.mark.parametrize(
    ("organization_type", "is_sandbox", "trial", "kind"),
    [
        ("Developer Edition", True, TRIAL, "scratch"),
        ("Enterprise Edition", True, TRIAL, "scratch"),
        ("Enterprise Edition", True, None, "sandbox"),
        ("Unlimited Edition", True, None, "sandbox"),
        ("Developer Edition", False, None, "developer"),
        ("Enterprise Edition", False, None, "production"),
        ("Unlimited Edition", False, None, "production"),
        ("Professional Edition", False, None, "production"),
        ("Enterprise Edition", False, TRIAL, "production"),
    ],
)
def test_the_kind_of_org_and_whether_write_mode_may_change_it(
    organization_type, is_sandbox, trial, kind
):
    record = {
        "OrganizationType": organization_type,
        "IsSandbox": is_sandbox,
        "TrialExpirationDate": trial,
    }
    assert org_kind(record) == kind
    refusal = write_refusal(record, "prod")
    if kind == "production":
        assert refusal is not None
        assert "write mode refused: org 'prod' is a production org" in refusal
        assert f'"{organization_type}"' in refusal and "Nothing was changed" in refusal
    else:
        assert refusal is None


def test_a_record_that_says_nothing_is_production():
    assert org_kind({}) == "production"
    assert write_refusal({"IsSandbox": None}, "x")
