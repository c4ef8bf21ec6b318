"""IPv4-mapped IPv6 addresses are IPv4 addresses to Salesforce in trusted ranges.

Security Implementation Guide: "In ranges, IPv4 addresses exist in the IPv4-mapped IPv6
address space ::ffff:0:0 to ::ffff:ffff:ffff ... A range can't include IP addresses
inside of the IPv4-mapped IPv6 address space if it also includes IP addresses outside of
the IPv4-mapped IPv6 address space. Ranges such as 255.255.255.255 to ::1:0:0:0 or :: to
::1:0:0:0 are not allowed."
"""

from __future__ import annotations

import pytest

from tests.org_emulator.deploy_engine import run_deploy
from tests.org_emulator.seed import build_state
from tests.support.mdapi import MD, deploy_zip


def settings(start: str, end: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><SecuritySettings xmlns="{MD}"><networkAccess>'
        f"<ipRanges><description>Totango</description><end>{end}</end><start>{start}</start>"
        "</ipRanges></networkAccess></SecuritySettings>"
    ).encode()


def deploy(flavour: str, start: str, end: str):
    files = {"settings/Security.settings": settings(start, end)}
    return run_deploy(build_state(flavour), deploy_zip(files, {"Settings": ["Security"]}, "63.0"))


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
@pytest.mark.parametrize(
    "start, end",
    [
        ("::ffff:8.8.8.0", "::ffff:8.8.8.255"),  # an IPv4 range written mapped
        ("8.8.8.0", "::ffff:8.8.8.255"),  # both ends inside the mapped space
        ("::ffff:1.0.0.0", "::ffff:1.255.255.255"),  # 1.0.0.0/8
    ],
)
def test_mapped_addresses_are_ipv4(flavour, start, end):
    outcome = deploy(flavour, start, end)
    assert outcome.ok, [f.problem for f in outcome.failures]


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
@pytest.mark.parametrize(
    "start, end, problem",
    [
        ("255.255.255.255", "::1:0:0:0", "mixes IPv4 and IPv6"),  # the guide's example
        ("::ffff:8.8.8.8", "::1:0:0:0", "mixes IPv4 and IPv6"),
        # 0.0.0.0-2.255.255.255 as IPv4 is wider than a /7, though it sits in one IPv6 /32.
        ("::ffff:0:0", "::ffff:2.255.255.255", "33,554,432"),
    ],
)
def test_a_range_across_the_mapped_space_or_too_wide_as_ipv4_is_refused(
    flavour, start, end, problem
):
    outcome = deploy(flavour, start, end)
    assert any(problem in f.problem for f in outcome.failures), outcome.failures
