"""IPv4-mapped IPv6 addresses are IPv4 addresses to Salesforce (Security Implementation
Guide: "In ranges, IPv4 addresses exist in the IPv4-mapped IPv6 address space ::ffff:0:0 to
::ffff:ffff:ffff ... A range can't include IP addresses inside of the IPv4-mapped IPv6
address space if it also includes IP addresses outside of [it]")."""

from __future__ import annotations

import ipaddress

import pytest

from tasks.totango_sf.config.ip_limits import totals
from tasks.totango_sf.config.ip_ranges import IpRangeError, parse_address_spec


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("::ffff:8.8.8.8", "8.8.8.8", "8.8.8.8"),
        ("::ffff:8.8.8.0/120", "8.8.8.0", "8.8.8.255"),
        ("8.8.8.0-::ffff:8.8.8.255", "8.8.8.0", "8.8.8.255"),
        ("::ffff:0:0-::ffff:0.0.0.9", "0.0.0.0", "0.0.0.9"),
    ],
)
def test_a_mapped_range_is_an_ipv4_range(spec, start, end):
    rng = parse_address_spec(spec)
    assert rng.family == 4
    assert (rng.start, rng.end) == (ipaddress.ip_address(start), ipaddress.ip_address(end))


@pytest.mark.parametrize("spec", ["255.255.255.255-::1:0:0:0", "::ffff:8.8.8.8-::1:0:0:0"])
def test_a_range_inside_and_outside_the_mapped_space_is_refused(spec):
    with pytest.raises(IpRangeError, match=r"::ffff:a\.b\.c\.d is the IPv4 address"):
        parse_address_spec(spec)


def test_the_ipv4_limits_apply_to_a_mapped_range():
    with pytest.raises(IpRangeError, match="/7"):
        parse_address_spec("::ffff:0:0-::ffff:2.255.255.255")
    (ipv4, ipv6) = totals([parse_address_spec("::ffff:8.8.0.0/112")])
    assert (ipv4.addresses, ipv6.addresses) == (65_536, 0)


def test_a_mapped_documentation_address_is_a_placeholder():
    assert parse_address_spec("::ffff:192.0.2.10").is_documentation
