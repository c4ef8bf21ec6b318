"""The part of Security.settings the setup owns: ``networkAccess``, and nothing else.

A Settings deploy changes only the settings the file holds, and replaces
``networkAccess`` whole (Metadata API Developer Guide, "SecuritySettings"; the
emulator models it in ``settings_merge.py``). Sending the org's whole retrieved
security configuration to change the trusted ranges would re-send password
policies, session and single sign-on settings: a deploying user who may not
change those is refused, and any of them changed in the org since the retrieve
is silently reverted. So deploy and rollback send a SecuritySettings holding the
merged ``networkAccess`` only, always present (an empty one removes every range).
"""

from __future__ import annotations

import copy

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.xml import canonical_bytes, sibling_tag


def network_access_only(settings_xml: bytes) -> bytes:
    """A SecuritySettings holding only the file's ``networkAccess`` (empty if it had none)."""
    root = parse_xml(settings_xml)
    tag = sibling_tag(root, "networkAccess")
    network = root.find(tag)
    scoped = etree.Element(root.tag, nsmap=root.nsmap)
    scoped.append(copy.deepcopy(network) if network is not None else etree.Element(tag))
    scoped[0].tail = None
    return canonical_bytes(scoped)


def same_network_access(left: bytes, right: bytes) -> bool:
    """Whether two Security.settings hold the same trusted ranges (other settings ignored)."""
    return network_access_only(left) == network_access_only(right)
