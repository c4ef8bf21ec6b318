"""Trusted IP ranges over the reported Winter '26 totals: accepted with a warning.

No public source for the totals has been found (docs/salesforce-rules.md), so the
emulator does not refuse settings over them; it warns that the limit is unconfirmed.
"""

from __future__ import annotations

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tests.org_emulator import rules
from tests.org_emulator.deploy_engine import run_deploy
from tests.org_emulator.seed import build_state
from tests.support.mdapi import deploy_zip

MD = "http://soap.sforce.com/2006/04/metadata"


def settings_with(*pairs: tuple[str, str]) -> bytes:
    items = "".join(
        f"<ipRanges><end>{end}</end><start>{start}</start></ipRanges>" for start, end in pairs
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><SecuritySettings xmlns="{MD}">'
        f"<networkAccess>{items}</networkAccess></SecuritySettings>"
    ).encode()


OVER_V4 = settings_with(("1.0.0.0", "1.255.255.255"), ("2.0.0.0", "2.0.0.0"))
OVER_V6 = settings_with(
    *[(f"2001:{0x100 + i:x}::", f"2001:{0x100 + i:x}:ffff:ffff::") for i in range(9)]
)


def test_settings_over_the_totals_are_not_refused_but_warned():
    assert rules.check_security_settings(OVER_V4) == []
    assert rules.check_security_settings(OVER_V6) == []
    (v4,) = rules.security_settings_warnings(OVER_V4)
    assert "16,777,217" in v4 and "no public source confirms" in v4
    assert "IPv6" in rules.security_settings_warnings(OVER_V6)[0]
    ok = settings_with(("1.0.0.0", "1.255.255.255"), ("10.0.0.0", "10.255.255.255"))
    assert rules.security_settings_warnings(ok) == []


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_deploy_over_the_totals_lands_with_a_warning(flavour):
    files = {"settings/Security.settings": OVER_V4}
    outcome = run_deploy(
        build_state(flavour), deploy_zip(files, {"Settings": ["Security"]}, "63.0")
    )
    assert outcome.ok, outcome.failures
    (security,) = [m for m in outcome.successes if m.full_name == "Security"]
    assert security.problem_type == "Warning"
    assert "no public source confirms" in security.problem
