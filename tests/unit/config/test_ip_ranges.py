import ipaddress

import pytest

from tasks.totango_sf.config.ip_ranges import (
    IpRange,
    IpRangeError,
    embedded_ipv4,
    make_range,
    merge_ranges,
    parse_address_spec,
)


def r(spec: str) -> IpRange:
    return parse_address_spec(spec)


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("10.1.2.3", "10.1.2.3", "10.1.2.3"),
        ("10.1.2.0/30", "10.1.2.0", "10.1.2.3"),
        ("10.1.2.5 - 10.1.2.9", "10.1.2.5", "10.1.2.9"),
        ("2001:db8::1", "2001:db8::1", "2001:db8::1"),
        ("2001:db8::/126", "2001:db8::", "2001:db8::3"),
    ],
)
def test_address_forms(spec, start, end):
    rng = parse_address_spec(spec)
    assert (str(rng.start), str(rng.end)) == (start, end)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("10.1.2", "does not appear to be an IPv4 or IPv6 address"),
        ("10.0.0.9-10.0.0.1", "is after its end"),
        ("10.0.0.1-2001:db8::1", "not the same IP family"),
        ("10.0.0.1/24", "has host bits set"),
        ("0.0.0.0-3.255.255.255", "wider than Salesforce allows"),
        ("2001::/31", "wider than Salesforce allows"),
        ("", "empty address"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(IpRangeError, match=message):
        parse_address_spec(spec)


def test_salesforce_limits_are_inclusive():
    assert make_range("0.0.0.0", "1.255.255.255").size == 33_554_432
    assert parse_address_spec("2001::/32").size == 2**96


def test_merge_joins_duplicates_overlaps_and_neighbours_per_family():
    merged = merge_ranges(
        [r("10.0.0.5"), r("10.0.0.0/29"), r("10.0.0.5"), r("10.0.0.8-10.0.0.9"), r("2001:db8::1")]
    )
    assert [str(m) for m in merged] == ["10.0.0.0-10.0.0.9", "2001:db8::1"]


def test_merge_never_builds_a_range_salesforce_refuses():
    first = make_range("0.0.0.0", "1.255.255.255")
    second = make_range("2.0.0.0", "2.0.0.10")
    assert merge_ranges([first, second]) == [first, second]


def test_covers_and_documentation():
    assert r("10.0.0.0/24").covers(r("10.0.0.7"))
    assert not r("10.0.0.0/24").covers(r("10.0.1.0"))
    assert not r("10.0.0.0/24").covers(
        IpRange(ipaddress.ip_address("::1"), ipaddress.ip_address("::1"))
    )
    assert r("198.51.100.7").is_documentation
    assert r("2001:db8::5").is_documentation
    assert not r("8.8.8.8").is_documentation
    assert r("10.0.0.0/15").is_broad and not r("10.0.0.0/16").is_broad


@pytest.mark.parametrize("spec", ["10.1.2.3", "10.1.2.0/30", "10.1.2.5-10.1.2.9"])
def test_every_form_keeps_its_description_and_defaults_to_none(spec):
    # The description is sent to the org as the range's label; absent, none is sent.
    assert parse_address_spec(spec, "Totango").description == "Totango"
    assert parse_address_spec(spec).description == ""
    assert make_range("10.0.0.1", "10.0.0.2").description == ""


def test_empty_spec_message_is_exact():
    with pytest.raises(IpRangeError, match=r"^empty address$"):
        parse_address_spec("   ")


@pytest.mark.parametrize(
    ("spec", "limit"),
    [("0.0.0.0-3.255.255.255", "/7 (33,554,432 addresses)"), ("2001::/31", "/32")],
)
def test_span_error_names_the_limit_of_the_family(spec, limit):
    with pytest.raises(IpRangeError) as caught:
        parse_address_spec(spec)
    assert str(caught.value).endswith(f"Salesforce allows for one range: {limit}")


def test_merge_keeps_ranges_apart_across_a_one_address_gap():
    # Joining 10.0.0.1 and 10.0.0.3 would trust 10.0.0.2, which nobody listed.
    assert [str(m) for m in merge_ranges([r("10.0.0.1"), r("10.0.0.3")])] == [
        "10.0.0.1",
        "10.0.0.3",
    ]
    assert [str(m) for m in merge_ranges([r("2001:db8::1"), r("2001:db8::3")])] == [
        "2001:db8::1",
        "2001:db8::3",
    ]
    assert [str(m) for m in merge_ranges([r("10.0.0.1"), r("10.0.0.2")])] == ["10.0.0.1-10.0.0.2"]


def test_merge_keeps_every_group():
    # Two groups of joined ranges: the second must not replace the first.
    merged = merge_ranges(
        [r("10.0.0.0-10.0.0.5"), r("10.0.0.6-10.0.0.7"), r("10.0.1.0"), r("10.0.1.1")]
    )
    assert [str(m) for m in merged] == ["10.0.0.0-10.0.0.7", "10.0.1.0-10.0.1.1"]


def test_merged_range_keeps_the_description_of_its_earliest_start():
    merged = merge_ranges(
        [
            parse_address_spec("10.0.0.4-10.0.0.9", "later"),
            parse_address_spec("10.0.0.0-10.0.0.5", "first"),
        ]
    )
    assert merged == [parse_address_spec("10.0.0.0-10.0.0.9", "first")]


def test_merge_may_build_a_range_of_exactly_the_salesforce_limit():
    first = make_range("0.0.0.0", "1.255.255.254")
    last = make_range("1.255.255.255", "1.255.255.255")
    assert merge_ranges([first, last]) == [make_range("0.0.0.0", "1.255.255.255")]


def test_covers_includes_both_bounds():
    block = r("10.0.0.0/24")
    assert block.covers(block)
    assert block.covers(r("10.0.0.0"))
    assert block.covers(r("10.0.0.255"))
    assert not block.covers(r("9.255.255.255-10.0.0.3"))
    assert not block.covers(r("10.0.0.250-10.0.1.0"))


def v4(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


@pytest.mark.parametrize(
    ("spec", "first", "last"),
    [
        # IPv4-mapped addresses (::ffff:0:0/96) are parsed as IPv4 ranges
        # (tests/unit/config/test_ipv4_mapped_ranges.py).
        # NAT64 (64:ff9b::/96), the second block: a range outside the first one is
        # still looked up in the blocks after it.
        ("64:ff9b::203.0.113.9", "203.0.113.9", "203.0.113.9"),
        ("64:ff9b::8.8.8.0/120", "8.8.8.0", "8.8.8.255"),
        # 6to4 (2002::/16): the 32 bits after the prefix, above 80 bits of site and host.
        ("2002:c000:0200::/48", "192.0.2.0", "192.0.2.0"),
        ("2002:c000:0200::-2002:c000:02ff:ffff:ffff:ffff:ffff:ffff", "192.0.2.0", "192.0.2.255"),
        ("2002:0808:0808::1", "8.8.8.8", "8.8.8.8"),
    ],
)
def test_embedded_ipv4_is_the_address_an_ipv6_range_stands_for(spec, first, last):
    assert embedded_ipv4(r(spec)) == [(v4(first), v4(last))]


@pytest.mark.parametrize("spec", ["2001:db8::1", "::1", "::fffe:c000:201", "2003::/32"])
def test_embedded_ipv4_of_a_range_outside_every_embedding_is_empty(spec):
    assert embedded_ipv4(r(spec)) == []


def test_embedded_ipv4_clips_a_range_to_the_embedding_it_overlaps():
    # Below the NAT64 block and into it; from it to past its end.
    assert embedded_ipv4(r("64:ff9a:ffff:ffff:ffff:ffff:ffff:fff0-64:ff9b::0.0.0.5")) == [(0, 5)]
    assert embedded_ipv4(r("64:ff9b::255.255.255.0-64:ff9b::1:0:0:5")) == [
        (v4("255.255.255.0"), v4("255.255.255.255"))
    ]


def test_embedded_ipv4_of_every_ipv6_address_is_every_ipv4_address_once_per_embedding():
    everything = IpRange(ipaddress.ip_address("::"), ipaddress.ip_address("ffff" + ":ffff" * 7))
    assert embedded_ipv4(everything) == [(0, 2**32 - 1)] * 3


@pytest.mark.parametrize(
    ("spec", "documentation"),
    [
        ("::ffff:192.0.2.1", True),
        ("64:ff9b::203.0.113.9", True),
        ("2002:c633:6400::/40", True),  # 6to4 of 198.51.100.0/24
        ("2002:c000:0100::-2002:c000:0200::", True),  # reaches into 192.0.2.0
        ("::ffff:8.8.8.8", False),
        ("64:ff9b::8.8.8.8", False),
        ("2002:0808:0808::/48", False),
        ("2002:c000:01ff:ffff:ffff:ffff:ffff:ffff", False),  # 192.0.1.255, just below
        ("2001:db9::1", False),
    ],
)
def test_an_embedded_documentation_address_is_a_placeholder(spec, documentation):
    assert r(spec).is_documentation is documentation


@pytest.mark.parametrize(
    ("start", "end", "named"),
    [
        ("fe80::1%eth0", "fe80::1%eth0", "fe80::1%eth0"),
        ("fe80::1", " fe80::2%2 ", "fe80::2%2"),
    ],
)
def test_a_zone_id_is_refused_and_named(start, end, named):
    # Python parses "fe80::1%eth0"; a trusted range is org-wide and has no interface.
    with pytest.raises(IpRangeError) as caught:
        make_range(start, end)
    assert str(caught.value) == (
        f"{named!r} carries a zone id ('%...'); a trusted range takes plain addresses"
    )
    with pytest.raises(IpRangeError, match="zone id"):
        parse_address_spec(f"{start}-{end}")


def test_duplicates_become_one_range_however_wide():
    # merge_ranges takes any IpRange, not only ones make_range checked: a duplicate of a
    # range wider than Salesforce allows is still a duplicate, not a second range.
    wide = IpRange(ipaddress.ip_address("0.0.0.0"), ipaddress.ip_address("255.255.255.255"))
    tail = IpRange(ipaddress.ip_address("10.0.0.0"), ipaddress.ip_address("255.255.255.255"))
    assert merge_ranges([wide, wide]) == [wide]
    assert merge_ranges([tail, wide]) == [wide]
