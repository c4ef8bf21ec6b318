"""Parts of an org's own files that orgs have refused on redeploy: warned about by
``plan --org`` (and ``deploy``) before anything is sent, never refused.

Each entry is an element we carry over unchanged in a file we send back whole, and the
recorded case where an org refused it. Whether this org refuses it depends on the org
(its features and licences), so it is a warning: if the deploy fails there, the failure
names the element as the org's own (``failure_origin.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml


@dataclass(frozen=True)
class KnownBad:
    folder: str  # the kind of file: layouts, flexipages
    element: str  # the element's local name
    value: str  # its value
    source: str  # where an org was recorded refusing it


KNOWN_BAD = (
    KnownBad("flexipages", "componentName", "flexipage:blankSpace", "forcedotcom/cli issue 2893"),
    KnownBad(
        "flexipages",
        "componentName",
        "forceChatter:recordFeedContainer",
        "forcedotcom/idecore issue 202",
    ),
    KnownBad(
        "layouts", "quickActionName", "FeedItem.RypplePost", "trailheadapps/lwc-recipes issue 376"
    ),
)


def _values(data: bytes, element: str) -> set[str]:
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError:
        return set()
    return {(e.text or "").strip() for e in root.iter(f"{{*}}{element}")}


def known_bad_warnings(sent: Mapping[str, bytes], originals: Mapping[str, bytes]) -> list[str]:
    """One warning per known-bad element the files ``sent`` carry over from ``originals``."""
    warnings = []
    for path, data in sorted(sent.items()):
        original = originals.get(path)
        if original is None:
            continue
        folder = path.partition("/")[0]
        for bad in KNOWN_BAD:
            if bad.folder != folder:
                continue
            if bad.value in _values(data, bad.element) and bad.value in _values(
                original, bad.element
            ):
                warnings.append(
                    f"{path}: the org's own <{bad.element}>{bad.value}</{bad.element}> goes back"
                    f" unchanged, and orgs have refused it on redeploy ({bad.source}); if the"
                    " deploy fails there, fix or remove it in the org, or leave this file out"
                    " of the setup"
                )
    return warnings
