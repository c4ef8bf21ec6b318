"""The emulator refuses trusted IP ranges over Winter '26 totals, as an org does."""

from __future__ import annotations

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tests.org_emulator import rules

MD = "http://soap.sforce.com/2006/04/metadata"


def settings_with(*pairs: tuple[str, str]) -> bytes:
    items = "".join(
        f"<ipRanges><end>{end}</end><start>{start}</start></ipRanges>" for start, end in pairs
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><SecuritySettings xmlns="{MD}">'
        f"<networkAccess>{items}</networkAccess></SecuritySettings>"
    ).encode()


def test_emulator_refuses_settings_over_the_totals():
    over = settings_with(("1.0.0.0", "1.255.255.255"), ("2.0.0.0", "2.0.0.0"))
    assert any("exceeds the limit" in p.text for p in rules.check_security_settings(over))
    ok = settings_with(("1.0.0.0", "1.255.255.255"), ("10.0.0.0", "10.255.255.255"))
    assert rules.check_security_settings(ok) == []
    slash_32s = [(f"2001:{0x100 + i:x}::", f"2001:{0x100 + i:x}:ffff:ffff::") for i in range(9)]
    v6 = settings_with(*slash_32s)
    assert any("IPv6" in p.text for p in rules.check_security_settings(v6))
