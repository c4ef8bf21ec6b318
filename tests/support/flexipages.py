"""Small FlexiPages built in the tests, in both formats, and the readers that look into them.

The pre-49.0 format puts ``componentInstances`` straight in a region; the current one has
``itemInstances/componentInstance`` with an ``identifier``. ``legacy`` turns a seeded page
of the emulator into the old shape.
"""

from __future__ import annotations

import re

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MD_NS, load_schema
from tasks.totango_sf.metadata.validation import validate_file
from tasks.totango_sf.metadata.xml import local_name
from tests.org_emulator.seed import SEED

# The page ``vf`` shows unless told: a managed package's, with its namespace.
PAGE = "tot__Totango_Account_Insights"


def prop(name: str, value: str) -> str:
    return (
        f"<componentInstanceProperties><name>{name}</name><value>{value}</value>"
        "</componentInstanceProperties>"
    )


def comp(
    name: str,
    identifier: str | None = None,
    props: tuple[tuple[str, str], ...] = (),
    legacy: bool = False,
    tail: str = "",
) -> str:
    """One component in either format; ``tail`` goes after the identifier."""
    body = "".join(prop(n, v) for n, v in props) + f"<componentName>{name}</componentName>"
    if legacy:
        return f"<componentInstances>{body}{tail}</componentInstances>"
    ident = f"<identifier>{identifier or name.replace(':', '_')}</identifier>"
    return (
        f"<itemInstances><componentInstance>{body}{ident}{tail}</componentInstance></itemInstances>"
    )


def vf(
    page: str = PAGE,
    height: str = "290",
    identifier: str = "totango_widget",
    legacy: bool = False,
    label: str = "Totango",
    show_label: str = "false",
    extra: tuple[tuple[str, str], ...] = (),
    tail: str = "",
) -> str:
    props = (
        ("height", height),
        ("label", label),
        ("pageName", page),
        ("showLabel", show_label),
        *extra,
    )
    return comp("flexipage:visualforcePage", identifier, props, legacy, tail)


def region(name: str, *items: str, kind: str = "Region") -> str:
    inside = "".join(items) + f"<name>{name}</name><type>{kind}</type>"
    return f"<flexiPageRegions>{inside}</flexiPageRegions>"


def flexipage(*regions: str, namespace: bool = True, sobject: str = "Account") -> bytes:
    xmlns = f' xmlns="{MD_NS}"' if namespace else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<FlexiPage{xmlns}>'
        + "".join(regions)
        + "<masterLabel>Account Record Page</masterLabel>"
        + f"<sobjectType>{sobject}</sobjectType>"
        + "<template><name>flexipage:recordHomeTemplateDesktop</name></template>"
        + "<type>RecordPage</type></FlexiPage>"
    ).encode()


def detail(legacy: bool = False) -> str:
    return comp("force:detailPanel", legacy=legacy)


def highlights(legacy: bool = False) -> str:
    return comp("force:highlightsPanel", legacy=legacy)


def standard(legacy: bool = False) -> bytes:
    """Header, main with Record Detail, an empty sidebar."""
    return flexipage(
        region("header", highlights(legacy)),
        region("main", detail(legacy)),
        region("sidebar"),
    )


def valid(data: bytes) -> bytes:
    assert validate_file("flexipages/Account_Record_Page.flexipage", data, load_schema()) == []
    return data


def ours(data: bytes) -> list[etree._Element]:
    root = parse_xml(data)
    return [
        c
        for c in root.iter("{*}componentInstance", "{*}componentInstances")
        if c.findtext("{*}componentName") == "flexipage:visualforcePage"
    ]


def region_of(component: etree._Element) -> str:
    holder = component if local_name(component) == "componentInstances" else component.getparent()
    return holder.getparent().findtext("{*}name")


def props_of(component: etree._Element) -> dict[str, str]:
    return {
        p.findtext("{*}name"): p.findtext("{*}value")
        for p in component.findall("{*}componentInstanceProperties")
    }


def legacy(page: bytes, sobject: str = "Account", detail_panel: bool = True) -> bytes:
    """A seeded current-format page in the pre-49.0 shape: components directly in regions."""
    text = page.decode()
    text = re.sub(r"\s*</?itemInstances>", "", text)
    text = re.sub(r"\s*<identifier>[^<]*</identifier>", "", text)
    text = text.replace("<componentInstance>", "<componentInstances>")
    text = text.replace("</componentInstance>", "</componentInstances>")
    if not detail_panel:
        text = text.replace("force:detailPanel", "force:highlightsPanel")
    return text.replace("<sobjectType>Account<", f"<sobjectType>{sobject}<").encode()


def seeded(name: str) -> bytes:
    return (SEED / "flexipages" / f"{name}.flexipage").read_bytes()


def heights(data: bytes) -> list[str]:
    return re.findall(r"<name>height</name>\s*<value>(\d+)</value>", data.decode())


def hand_placed(
    page: bytes, page_name: str = "Totango_Account_Insights", height: int = 200
) -> bytes:
    """``page`` with an admin's own Visualforce component in the sidebar, first."""
    component = (
        "<componentInstances>"
        f"<componentInstanceProperties><name>height</name><value>{height}</value>"
        "</componentInstanceProperties>"
        "<componentInstanceProperties><name>pageName</name>"
        f"<value>{page_name}</value></componentInstanceProperties>"
        "<componentName>flexipage:visualforcePage</componentName></componentInstances>"
    )
    marker = "<name>sidebar</name>"
    head, _, tail = page.decode().partition(marker)
    start = head.rindex("<flexiPageRegions>") + len("<flexiPageRegions>")
    return (head[:start] + component + head[start:] + marker + tail).encode()


def as_current(data: bytes) -> bytes:
    """A pre-49.0 page in today's shape, the only one the schema oracle knows."""
    return data.replace(b"<componentInstances>", b"<itemInstances><componentInstance>").replace(
        b"</componentInstances>", b"</componentInstance></itemInstances>"
    )
