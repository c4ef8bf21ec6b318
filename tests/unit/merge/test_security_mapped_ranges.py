"""An org range written IPv4-mapped (::ffff:a.b.c.d) is the IPv4 range to Salesforce
(Security Implementation Guide), so it covers ours and no duplicate is added."""

from __future__ import annotations

from tasks.totango_sf.config.ip_ranges import parse_address_spec
from tasks.totango_sf.merge.security import add_ip_ranges, missing_ip_ranges

MD = "http://soap.sforce.com/2006/04/metadata"


def test_the_orgs_mapped_range_covers_the_same_ipv4_range():
    settings = (
        f'<?xml version="1.0" encoding="UTF-8"?><SecuritySettings xmlns="{MD}"><networkAccess>'
        "<ipRanges><end>::ffff:8.8.8.255</end><start>::ffff:8.8.8.0</start></ipRanges>"
        "</networkAccess></SecuritySettings>"
    ).encode()
    wanted = [parse_address_spec("8.8.8.0/24")]
    assert missing_ip_ranges(settings, wanted) == []
    assert add_ip_ranges(settings, wanted).count(b"<ipRanges>") == 1
