"""Salesforce-shaped record ids (3-char key prefix, 15-char body, 3-char checksum)."""

from __future__ import annotations

import itertools
import threading

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Key prefixes of the sObjects the emulator serves; clients sometimes sniff them
# (a 04t package version key, a 00D org id), so they match Salesforce's.
KEY_PREFIXES = {
    "Organization": "00D",
    "User": "005",
    "Profile": "00e",
    "PermissionSet": "0PS",
    "PermissionSetAssignment": "0Pa",
    "ConnectedApplication": "0H4",
    "AppMenuItem": "0DS",
    "FieldPermissions": "01k",
    "OauthToken": "0CQ",
    "SetupEntityAccess": "0J0",
    "InstalledSubscriberPackage": "0A3",
    "SubscriberPackage": "033",
    "SubscriberPackageVersion": "04t",
    "PackageInstallRequest": "0Hf",
    "ApexPage": "066",
    "ApexClass": "01p",
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "AsyncResult": "0Af",
    "Metadata": "0Md",
}


def checksum_suffix(id15: str) -> str:
    """The case-safe suffix Salesforce appends to make an 18-character id."""
    suffix = ""
    for block in range(3):
        bits = 0
        for pos, char in enumerate(id15[block * 5 : block * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << pos
        suffix += _ALPHABET[bits]
    return suffix


def to18(id15: str) -> str:
    return id15 if len(id15) == 18 else id15 + checksum_suffix(id15)


class IdFactory:
    """Hands out unique ids per key prefix; the counter is persisted with the state."""

    def __init__(self, start: int = 1):
        self._counter = itertools.count(start)
        self._lock = threading.Lock()
        self.last = start - 1

    def new(self, prefix_or_sobject: str) -> str:
        prefix = KEY_PREFIXES.get(prefix_or_sobject, prefix_or_sobject)
        if len(prefix) != 3:
            raise ValueError(f"no key prefix for {prefix_or_sobject!r}")
        with self._lock:
            number = next(self._counter)
            self.last = number
        body = ""
        while number:
            number, digit = divmod(number, 62)
            body = _BASE62[digit] + body
        # "00000" keeps Salesforce's pod/reserved characters plausible.
        return to18(prefix + "0000" + body.rjust(8, "0"))
