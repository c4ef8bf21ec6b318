"""Trusted IP ranges: the reported (unconfirmed) Winter '26 totals warn, and the guards on
the merged result, with no org.

No public source for the totals was found, so neither the product nor the emulator
refuses ranges over them (tests/emulator/test_ip_limits.py); totals with an org's own
ranges and stale ranges are in tests/e2e/test_ip_limits.py.
"""

from __future__ import annotations

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.config.ip_limits import TOTAL_LIMIT, totals, totals_warning
from tasks.totango_sf.config.ip_ranges import IpRangeError, parse_address_spec
from tasks.totango_sf.config.model import ConfigError, build_config


def ranges_config(addresses: list[str], **extra) -> dict:
    return {"trusted_ip_ranges": {"addresses": addresses, **extra}}


def problems_of(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        build_config(data)
    return "\n".join(info.value.problems)


def r(spec: str):
    return parse_address_spec(spec)


# -- totals ------------------------------------------------------------------------


def test_totals_count_the_union_and_leave_out_ten_slash_eight():
    counted = {t.family: t.addresses for t in totals([r("10.0.0.0/8"), r("1.0.0.0/24")])}
    assert counted == {4: 256, 6: 0}
    overlapping = [r("1.0.0.0/24"), r("1.0.0.128/25"), r("1.0.1.0/24")]
    assert totals(overlapping)[0].addresses == 512
    straddling = [r("9.255.255.0-10.0.0.255")]  # 256 counted, 256 inside 10/8
    assert totals(straddling)[0].addresses == 256


def test_exactly_at_the_limit_is_quiet_and_one_more_warns_that_the_limit_is_unconfirmed():
    at_limit = [r("1.0.0.0/8")]
    assert totals(at_limit)[0].addresses == TOTAL_LIMIT[4]
    assert totals_warning(at_limit, "x") is None
    warning = totals_warning([r("1.0.0.0/8"), r("2.0.0.0")], "x")
    assert warning is not None
    assert "16,777,217" in warning and "16,777,216" in warning
    assert "no public Salesforce source" in warning


def plan_warnings_of(data: dict) -> list[str]:
    from tasks.totango_sf.render.plan import plan_warnings

    return plan_warnings(build_config(data))


def test_config_over_the_ipv4_total_is_accepted_and_plan_warns():
    warnings = plan_warnings_of(ranges_config(["1.0.0.0/8", "3.0.0.0/9"], allow_broad=True))
    (over,) = [w for w in warnings if "16,777,216" in w]
    assert "trusted_ip_ranges.addresses" in over and "25,165,824" in over


def test_ten_slash_eight_does_not_count_toward_the_total():
    cfg = build_config(ranges_config(["10.0.0.0/8", "1.0.0.0/8"], allow_broad=True))
    assert len(cfg.trusted_ip_ranges.ranges()) == 2
    assert totals_warning(cfg.trusted_ip_ranges.ranges(), "x") is None


def test_config_over_the_ipv6_total_warns():
    nine_slash_32 = [f"2001:{0x100 + i:x}::/32" for i in range(9)]  # 9 * 2^96 > 2^99
    warnings = plan_warnings_of(ranges_config(nine_slash_32, allow_broad=True))
    assert any("IPv6" in w and f"{2**99:,}" in w for w in warnings)
    eight = plan_warnings_of(ranges_config(nine_slash_32[:8], allow_broad=True))
    assert not any("IPv6" in w for w in eight)


# -- guards --------------------------------------------------------------------------


def test_broad_guard_applies_to_the_merged_result():
    text = problems_of(ranges_config(["10.0.0.0/16", "10.1.0.0/16"]))
    assert "10.0.0.0-10.1.255.255" in text and "merged from" in text and "allow_broad" in text
    build_config(ranges_config(["10.0.0.0/16", "10.1.0.0/16"], allow_broad=True))
    build_config(ranges_config(["10.0.0.0/16", "10.2.0.0/16"]))  # apart: two /16s


def test_ipv6_has_its_own_broad_threshold():
    assert "more than a /48" in problems_of(ranges_config(["2a00:1450::/47"]))
    build_config(ranges_config(["2a00:1450:4000::/48"]))
    assert r("2a00:1450::/47").is_broad and not r("2a00:1450:4000::/48").is_broad


@pytest.mark.parametrize(
    "spec",
    [
        "::ffff:192.0.2.1",  # IPv4-mapped documentation address
        "::ffff:198.51.100.0/120",
        "64:ff9b::203.0.113.9",  # NAT64 form (RFC 6052)
        "2002:c000:0200::/48",  # 6to4 prefix of 192.0.2.0 (RFC 3056)
        "192.0.0.0/22",  # contains 192.0.2.0/24
        "203.0.112.0-203.0.113.5",  # overlaps 203.0.113.0/24
        "198.51.99.255-198.51.100.0",
        "2001:db8::1",
        "2001:db7:ffff:ffff::-2001:db8::5",  # reaches into 2001:db8::/32
    ],
)
def test_placeholder_guard_catches_mapped_and_containing_ranges(spec):
    cfg = build_config(ranges_config([spec], allow_broad=True))
    assert cfg.trusted_ip_ranges.uses_placeholders


def test_placeholder_guard_catches_ranges_merged_into_a_documentation_block():
    cfg = build_config(ranges_config(["192.0.1.0/24", "192.0.2.0-192.0.2.0"]))
    assert cfg.trusted_ip_ranges.uses_placeholders
    real = build_config(
        ranges_config(["192.0.1.0/24", "8.8.8.8", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8"])
    )
    assert not real.trusted_ip_ranges.uses_placeholders


@pytest.mark.parametrize("spec", ["fe80::1%eth0", "fe80::1%1-fe80::9", "fe80::/64%eth0"])
def test_zone_ids_are_refused(spec):
    with pytest.raises(IpRangeError, match="zone id|%"):
        parse_address_spec(spec)
    assert "trusted_ip_ranges.addresses[0]" in problems_of(ranges_config([spec]))
