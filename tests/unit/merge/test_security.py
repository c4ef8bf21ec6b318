import ipaddress
import time

import pytest

from tasks.totango_sf.config.ip_ranges import IpRange, parse_address_spec
from tasks.totango_sf.merge.security import (
    SecurityPatchError,
    add_ip_ranges,
    hand_made_ranges,
    ip_ranges_in,
    missing_ip_ranges,
    owned_stale_ranges,
    range_key,
    range_of,
    remove_ip_ranges,
    with_explicit_network_access,
)
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MD_NS, load_schema
from tasks.totango_sf.metadata.xml import canonical_bytes, local_name, md


def r(spec: str, description: str = "Totango") -> IpRange:
    return parse_address_spec(spec, description)


def settings(body: str) -> bytes:
    return f'<SecuritySettings xmlns="{MD_NS}">{body}</SecuritySettings>'.encode()


def ip(description: str | None, start: str, end: str) -> str:
    desc = f"<description>{description}</description>" if description is not None else ""
    return f"<ipRanges>{desc}<end>{end}</end><start>{start}</start></ipRanges>"


PASSWORD = "<passwordPolicies><complexity>AlphaNumeric</complexity></passwordPolicies>"
SESSION = "<sessionSettings><forceRelogin>true</forceRelogin></sessionSettings>"
EXISTING = settings(
    "<enableAdminLoginAsAnyUser>true</enableAdminLoginAsAnyUser>"
    "<networkAccess>"
    + ip("Office", "10.0.0.0", "10.0.0.255")
    + ip(None, "52.1.1.1", "52.1.1.1")
    + ip("broken", "not-an-ip", "10.9.9.9")
    + "</networkAccess>"
    + PASSWORD
    + SESSION
)


def ranges_in(data: bytes) -> list[tuple[str | None, str | None, str | None]]:
    root = parse_xml(data)
    return [
        (e.findtext(md("description")), e.findtext(md("start")), e.findtext(md("end")))
        for e in root.iterfind(f"{md('networkAccess')}/{md('ipRanges')}")
    ]


def test_new_ranges_appended_in_schema_order_and_existing_kept():
    out = add_ip_ranges(EXISTING, [r("198.51.100.7"), r("2001:db8::/126", "v6")])
    assert ranges_in(out) == [
        ("Office", "10.0.0.0", "10.0.0.255"),
        (None, "52.1.1.1", "52.1.1.1"),
        ("broken", "not-an-ip", "10.9.9.9"),
        ("Totango", "198.51.100.7", "198.51.100.7"),
        ("v6", "2001:db8::", "2001:db8::3"),
    ]
    new = parse_xml(out).findall(f"{md('networkAccess')}/{md('ipRanges')}")[-1]
    assert [local_name(c) for c in new] == ["description", "end", "start"]
    assert load_schema().validate(parse_xml(out)) == []
    assert b"<complexity>AlphaNumeric</complexity>" in out
    assert b"<enableAdminLoginAsAnyUser>true</enableAdminLoginAsAnyUser>" in out


def test_covered_ranges_are_not_duplicated():
    given = [r("10.0.0.7"), r("10.0.0.0/24"), r("52.1.1.1"), r("10.0.0.200-10.0.1.3")]
    out = add_ip_ranges(EXISTING, given)
    assert ranges_in(out)[3:] == [("Totango", "10.0.0.200", "10.0.1.3")]
    assert missing_ip_ranges(EXISTING, given) == [r("10.0.0.200-10.0.1.3")]
    assert missing_ip_ranges(out, given) == []


def test_given_ranges_covering_each_other_are_added_once():
    given = [r("192.0.2.5"), r("192.0.2.0/28"), r("192.0.2.0/28", "again")]
    out = add_ip_ranges(EXISTING, given)
    assert ranges_in(out)[3:] == [("Totango", "192.0.2.0", "192.0.2.15")]


def test_unparseable_existing_range_does_not_count_as_covering():
    assert missing_ip_ranges(EXISTING, [r("10.9.9.9")]) == [r("10.9.9.9")]


def test_second_apply_is_byte_identical():
    given = [r("198.51.100.7"), r("2001:db8::1")]
    once = add_ip_ranges(EXISTING, given)
    assert add_ip_ranges(once, given) == once
    assert canonical_bytes(once) == once


def test_ipv6_coverage_and_families_never_mix():
    base = settings(
        "<networkAccess>" + ip("v6", "2001:db8::", "2001:db8::ffff") + "</networkAccess>"
    )
    assert missing_ip_ranges(base, [r("2001:db8::42"), r("2001:db9::1")]) == [r("2001:db9::1")]
    # ::ffff:... is not an IPv4 address; a v4 range is never covered by a v6 one.
    v4 = IpRange(ipaddress.ip_address("0.0.0.5"), ipaddress.ip_address("0.0.0.5"))
    assert missing_ip_ranges(base, [v4]) == [v4]


def test_network_access_created_at_schema_position_when_absent():
    lacking = settings(
        "<enableRequireHttpsConnection>true</enableRequireHttpsConnection>" + PASSWORD + SESSION
    )
    out = add_ip_ranges(lacking, [r("198.51.100.7")])
    assert [local_name(c) for c in parse_xml(out)] == [
        "enableRequireHttpsConnection",
        "networkAccess",
        "passwordPolicies",
        "sessionSettings",
    ]
    assert load_schema().validate(parse_xml(out)) == []


def test_network_access_created_among_unknown_old_elements():
    lacking = settings(
        "<enableRequireHttpsConnection>true</enableRequireHttpsConnection>"
        "<isTLSv12Required>false</isTLSv12Required>" + PASSWORD
    )
    out = add_ip_ranges(lacking, [r("198.51.100.7")])
    assert [local_name(c) for c in parse_xml(out)] == [
        "enableRequireHttpsConnection",
        "networkAccess",
        "isTLSv12Required",
        "passwordPolicies",
    ]


def test_empty_network_access_is_filled_not_duplicated():
    empty = settings("<networkAccess/>" + PASSWORD)
    out = add_ip_ranges(empty, [r("198.51.100.7")])
    assert len(parse_xml(out).findall(md("networkAccess"))) == 1
    assert ranges_in(out) == [("Totango", "198.51.100.7", "198.51.100.7")]
    assert remove_ip_ranges(out, [r("198.51.100.7")]) == canonical_bytes(empty)


def test_nothing_to_add_leaves_a_lacking_file_without_network_access():
    lacking = settings(PASSWORD)
    assert add_ip_ranges(lacking, []) == canonical_bytes(lacking)


def test_remove_is_the_exact_inverse():
    given = [r("198.51.100.7"), r("2001:db8::/126", "v6")]
    assert remove_ip_ranges(add_ip_ranges(EXISTING, given), given) == canonical_bytes(EXISTING)


def test_remove_needs_start_end_and_description_to_match():
    out = remove_ip_ranges(
        EXISTING,
        [r("10.0.0.0/24", "Other"), IpRange(*[ipaddress.ip_address("52.1.1.1")] * 2)],
    )
    assert ranges_in(out) == [
        ("Office", "10.0.0.0", "10.0.0.255"),
        ("broken", "not-an-ip", "10.9.9.9"),
    ]


def test_remove_keeps_an_emptied_network_access():
    # Deploying without networkAccess would leave the ranges in the org.
    lacking = settings(PASSWORD)
    added = add_ip_ranges(lacking, [r("198.51.100.7")])
    out = remove_ip_ranges(added, [r("198.51.100.7")])
    assert [local_name(c) for c in parse_xml(out)] == ["networkAccess", "passwordPolicies"]
    assert ranges_in(out) == []


def test_wrong_root_is_refused():
    with pytest.raises(SecurityPatchError, match="expected a SecuritySettings root"):
        add_ip_ranges(f'<Layout xmlns="{MD_NS}"/>'.encode(), [r("198.51.100.7")])
    with pytest.raises(SecurityPatchError):
        missing_ip_ranges(b"not xml", [])


def test_thousand_over_thousand_is_fast():
    existing = "".join(
        ip(f"e{i}", f"10.{i // 256}.{i % 256}.0", f"10.{i // 256}.{i % 256}.9") for i in range(1000)
    )
    big = settings(f"<networkAccess>{existing}</networkAccess>")
    given = [
        IpRange(
            ipaddress.ip_address(f"11.{i // 256}.{i % 256}.1"),
            ipaddress.ip_address(f"11.{i // 256}.{i % 256}.1"),
            "t",
        )
        for i in range(1000)
    ] + [r("10.0.0.5")]
    started = time.perf_counter()
    out = add_ip_ranges(big, given)
    elapsed = time.perf_counter() - started
    assert len(ranges_in(out)) == 2000
    assert add_ip_ranges(out, given) == out
    assert elapsed < 2.0


def test_a_range_below_all_existing_ones_is_not_covered():
    base = settings(
        "<networkAccess>"
        + ip("a", "10.0.0.0", "10.0.0.255")
        + ip("b", "10.0.2.0", "10.0.2.255")
        + "</networkAccess>"
    )
    assert missing_ip_ranges(base, [r("9.255.255.255")]) == [r("9.255.255.255")]
    assert missing_ip_ranges(base, [r("10.0.1.0")]) == [r("10.0.1.0")]
    assert missing_ip_ranges(base, [r("10.0.2.7")]) == []


def test_a_range_ending_at_the_first_address_covers_nothing_after_it():
    base = settings("<networkAccess>" + ip(None, "0.0.0.0", "0.0.0.0") + "</networkAccess>")
    assert missing_ip_ranges(base, [r("0.0.0.1")]) == [r("0.0.0.1")]
    assert missing_ip_ranges(base, [r("0.0.0.0")]) == []


def test_an_existing_range_mixing_families_covers_nothing():
    # The org holds it, but an end in another family would otherwise reach past every
    # IPv4 address and hide our ranges.
    base = settings("<networkAccess>" + ip("odd", "10.0.0.1", "2001:db8::") + "</networkAccess>")
    assert missing_ip_ranges(base, [r("10.0.0.9")]) == [r("10.0.0.9")]
    out = add_ip_ranges(base, [r("10.0.0.9")])
    assert ranges_in(out) == [
        ("odd", "10.0.0.1", "2001:db8::"),
        ("Totango", "10.0.0.9", "10.0.0.9"),
    ]


def test_given_ranges_with_the_same_start_keep_the_widest():
    given = [r("192.0.2.0-192.0.2.5"), r("192.0.2.0/28")]
    out = add_ip_ranges(settings(PASSWORD), given)
    assert ranges_in(out) == [("Totango", "192.0.2.0", "192.0.2.15")]


def test_given_ranges_of_both_families_are_judged_per_family():
    # An IPv6 address numerically below the IPv4 ones is still a new range.
    low_v6 = IpRange(ipaddress.ip_address("::1"), ipaddress.ip_address("::1"), "v6")
    first = IpRange(ipaddress.ip_address("0.0.0.1"), ipaddress.ip_address("0.0.0.1"), "v4")
    out = add_ip_ranges(settings(PASSWORD), [r("10.0.0.0/24"), low_v6, first])
    assert ranges_in(out) == [
        ("Totango", "10.0.0.0", "10.0.0.255"),
        ("v6", "::1", "::1"),
        ("v4", "0.0.0.1", "0.0.0.1"),
    ]


def test_not_well_formed_names_the_file():
    with pytest.raises(SecurityPatchError, match=r"^Security\.settings is not well-formed XML"):
        add_ip_ranges(b"<SecuritySettings", [])


def test_remove_from_a_file_without_network_access_changes_nothing():
    lacking = settings(PASSWORD)
    assert remove_ip_ranges(lacking, [r("198.51.100.7")]) == canonical_bytes(lacking)


def test_remove_touches_only_matching_ranges():
    odd = settings("<networkAccess>keep</networkAccess>")
    assert b"<networkAccess>keep</networkAccess>" in remove_ip_ranges(odd, [r("10.0.0.1")])


def test_explicit_network_access_added_empty_at_its_schema_position():
    lacking = settings(
        "<enableRequireHttpsConnection>true</enableRequireHttpsConnection>" + PASSWORD
    )
    out = with_explicit_network_access(lacking)
    assert [local_name(c) for c in parse_xml(out)] == [
        "enableRequireHttpsConnection",
        "networkAccess",
        "passwordPolicies",
    ]
    assert ranges_in(out) == []
    assert with_explicit_network_access(EXISTING) == canonical_bytes(EXISTING)
    assert load_schema().validate(parse_xml(out)) == []


def test_ip_ranges_in_lists_every_readable_range_in_file_order():
    assert ip_ranges_in(EXISTING) == [r("10.0.0.0/24", "Office"), r("52.1.1.1", "")]
    assert ip_ranges_in(settings(PASSWORD)) == []
    assert ip_ranges_in(settings("<networkAccess/>")) == []
    with pytest.raises(SecurityPatchError, match="expected a SecuritySettings root"):
        ip_ranges_in(f'<Layout xmlns="{MD_NS}"/>'.encode())


OURS_AND_OTHERS = settings(
    "<networkAccess>"
    + ip("Totango", "198.51.100.7", "198.51.100.7")
    + ip("Totango", "203.0.113.0", "203.0.113.255")
    + ip("Totango", "198.51.100.7", "198.51.100.8")
    + ip("Totango", "not-an-ip", "10.9.9.9")
    + ip("Office", "192.0.2.9", "192.0.2.9")
    + ip(None, "52.1.1.1", "52.1.1.1")
    + "</networkAccess>"
)


def key(spec: str, description: str = "Totango") -> tuple[str, str, str]:
    return range_key(r(spec, description))


def test_stale_ranges_are_those_a_deploy_recorded_and_the_config_dropped():
    # Recorded as ours: the /24 and the 7-8 range. Still configured: kept. Dropped, or
    # configured with another end: stale. The description alone claims nothing.
    owned = [key("203.0.113.0/24"), key("198.51.100.7-198.51.100.8"), key("198.51.100.7")]
    assert owned_stale_ranges(OURS_AND_OTHERS, [r("198.51.100.7")], owned) == [
        r("203.0.113.0/24"),
        r("198.51.100.7-198.51.100.8"),
    ]


def test_a_range_with_our_description_but_no_record_is_never_stale():
    # The article tells admins to describe their ranges "Totango": that proves nothing.
    assert owned_stale_ranges(OURS_AND_OTHERS, [], []) == []
    assert owned_stale_ranges(OURS_AND_OTHERS, [], [key("203.0.113.0/24")]) == [r("203.0.113.0/24")]
    # The record names start, end and description: another description is another range.
    assert owned_stale_ranges(OURS_AND_OTHERS, [], [key("192.0.2.9", "Totango")]) == []
    assert owned_stale_ranges(OURS_AND_OTHERS, [], [key("192.0.2.9", "Office")]) == [
        r("192.0.2.9", "Office")
    ]


def test_hand_made_ranges_carry_our_description_and_no_record():
    owned = [key("203.0.113.0/24")]
    assert hand_made_ranges(OURS_AND_OTHERS, "Totango", owned) == [
        r("198.51.100.7"),
        r("198.51.100.7-198.51.100.8"),
    ]
    assert hand_made_ranges(OURS_AND_OTHERS, "Office", []) == [r("192.0.2.9", "Office")]


def test_without_a_description_no_range_is_hand_made_of_ours():
    # An empty description would otherwise name every unlabelled range of the org.
    assert hand_made_ranges(OURS_AND_OTHERS, "", []) == []
    assert hand_made_ranges(settings(PASSWORD), "Totango", []) == []
    assert owned_stale_ranges(settings(PASSWORD), [], [key("198.51.100.7")]) == []


def test_a_range_key_round_trips():
    for spec in ("198.51.100.7", "203.0.113.0/24", "2606:4700::/48"):
        assert range_of(key(spec)) == r(spec)
