"""Step 1 of the article: the org's 15- and 18-character Organization ID.

The Totango side (pasting the id into Totango's Single Sign-On settings) has no
API we may call, so the toolkit reads the id and says exactly where it goes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from tasks.totango_sf.errors import BadInput

TOTANGO_PASTE_PATH = "Totango: Settings > User Management > Authentication Settings > Salesforce"

# Salesforce's case-safe suffix: each 5-character block of the 15-character id
# gives a 5-bit mask of its upper-case letters, written with this alphabet.
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_BODY = re.compile(r"[A-Za-z0-9]{15}")


class InvalidSalesforceId(BadInput, ValueError):
    """Not a 15- or 18-character Salesforce id."""


def checksum_suffix(id15: str) -> str:
    """The three characters that make a 15-character id case-insensitively unique."""
    if not _ID_BODY.fullmatch(id15):
        raise InvalidSalesforceId(f"{id15!r} is not a 15-character Salesforce id")
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << pos for pos, char in enumerate(id15[start : start + 5]) if char.isupper())
        suffix += _SUFFIX_ALPHABET[bits]
    return suffix


def to_18(record_id: str) -> str:
    """The 18-character form; an 18-character id must carry the right suffix."""
    id15 = record_id[:15]
    expected = id15 + checksum_suffix(id15)
    if len(record_id) == 18 and record_id.upper() != expected.upper():
        raise InvalidSalesforceId(f"{record_id!r} has a wrong checksum (expected {expected})")
    if len(record_id) not in (15, 18):
        raise InvalidSalesforceId(f"{record_id!r} is neither 15 nor 18 characters long")
    return expected


@dataclass(frozen=True)
class OrgIdentity:
    id15: str
    id18: str
    name: str
    edition: str
    kind: str  # production, sandbox or scratch
    paste_into: str = TOTANGO_PASTE_PATH

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def identity_from_record(record: dict[str, Any], kind: str) -> OrgIdentity:
    """Build the identity from an ``Organization`` row (Id, Name, OrganizationType)."""
    org_id = str(record["Id"])
    return OrgIdentity(
        id15=org_id[:15],
        id18=to_18(org_id),
        name=str(record.get("Name") or ""),
        edition=str(record.get("OrganizationType") or ""),
        kind=kind,
    )


def read_org_identity(session: Any) -> OrgIdentity:
    """Query the connected org (an ``OrgSession``) for its id."""
    record = session.query("SELECT Id, Name, OrganizationType FROM Organization")[0]
    return identity_from_record(record, session.kind().label)
