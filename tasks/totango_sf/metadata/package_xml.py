"""package.xml and destructiveChanges.xml for a set of components.

Written here instead of with CumulusCI's PackageXmlGenerator, which needs the
files on disk and costs half a second of imports; a test checks both agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from tasks.totango_sf.metadata.components import Component
from tasks.totango_sf.metadata.xml import INDENT


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def package_xml(members: Iterable[tuple[str, str]], api_version: str | None) -> bytes:
    """``members`` are (type, full name) pairs; types and members come out sorted."""
    by_type: dict[str, set[str]] = {}
    for mtype, name in members:
        by_type.setdefault(mtype, set()).add(name)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Package xmlns="http://soap.sforce.com/2006/04/metadata">',
    ]
    for mtype in sorted(by_type):
        lines.append(f"{INDENT}<types>")
        lines += [f"{INDENT * 2}<members>{_escape(m)}</members>" for m in sorted(by_type[mtype])]
        lines.append(f"{INDENT * 2}<name>{mtype}</name>")
        lines.append(f"{INDENT}</types>")
    if api_version:
        lines.append(f"{INDENT}<version>{api_version}</version>")
    lines.append("</Package>")
    return ("\n".join(lines) + "\n").encode("utf-8")


# Folders are listed in package.xml under the type of what they hold.
PACKAGE_TYPE_OF_FOLDER = {"ReportFolder": "Report", "DashboardFolder": "Dashboard"}


def package_member(component_type: str, full_name: str) -> tuple[str, str]:
    """The (type, member) pair package.xml uses for a component."""
    return (PACKAGE_TYPE_OF_FOLDER.get(component_type, component_type), full_name)


def package_xml_for(components: Iterable[Component], api_version: str) -> bytes:
    members = (package_member(*c.key) for c in components if c.action != "delete")
    return package_xml(members, api_version)
