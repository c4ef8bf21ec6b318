"""Metadata API packages built in the tests, and the ways they reach the org emulator.

A package is a folder for CumulusCI's own Deploy task (``write_package``, ``deploy_task``),
a zip for the emulator's deploy engine (``deploy_zip``), or a base64 zip inside a raw
SOAP call (``zip_b64``, ``soap_call``).
"""

from __future__ import annotations

import base64
import copy
import io
import zipfile
from pathlib import Path

import requests
from cumulusci.tasks.salesforce import Deploy
from cumulusci.tasks.salesforce.tests.util import create_task

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import load_schema
from tests.org_emulator.seed import SEED

MD = "http://soap.sforce.com/2006/04/metadata"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TOTANGO_SECTION = """    <layoutSections>
        <customLabel>true</customLabel>
        <detailHeading>true</detailHeading>
        <editHeading>false</editHeading>
        <label>Totango</label>
        <layoutColumns>
            <layoutItems>
                {item}
            </layoutItems>
        </layoutColumns>
        <style>OneColumn</style>
    </layoutSections>
"""
GOOD_ITEM = (
    "<height>290</height>\n                <page>{page}</page>\n"
    "                <showLabel>false</showLabel>"
)


def package_xml(types: dict[str, list[str]]) -> str:
    # One element per line, as CumulusCI's retrieve strips <Package ...> with a greedy regex.
    body = "".join(
        "  <types>\n"
        + "".join(f"    <members>{m}</members>\n" for m in ms)
        + f"    <name>{t}</name>\n  </types>\n"
        for t, ms in types.items()
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="{MD}">\n'
        f"{body}  <version>63.0</version>\n</Package>\n"
    )


def layout_with_section(item: str, layout: str = "Account-Account Layout") -> str:
    text = (SEED / "layouts" / f"{layout}.layout").read_text()
    marker = "    <quickActionList>"
    return text.replace(marker, TOTANGO_SECTION.format(item=item) + marker, 1)


def page_files(name: str) -> dict[str, str]:
    return {
        f"pages/{name}.page": '<apex:page standardController="Account">hi</apex:page>',
        f"pages/{name}.page-meta.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ApexPage xmlns="{MD}">'
            "<apiVersion>63.0</apiVersion><label>Page</label></ApexPage>"
        ),
    }


HEALTH_FIELD = f"""<?xml version="1.0" encoding="UTF-8"?>
<CustomObject xmlns="{MD}">
    <fields>
        <fullName>Totango_Health__c</fullName>
        <label>Account Health</label>
        <length>20</length>
        <type>Text</type>
    </fields>
</CustomObject>
"""


def write_package(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def deploy_task(emulator, path: Path, **options):
    return create_task(Deploy, {"path": str(path), **options}, org_config=emulator.org_config())


def zip_b64(files: dict[str, str]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return base64.b64encode(buffer.getvalue()).decode()


def soap_call(emulator, body: str) -> tuple[int, bytes]:
    envelope = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}"><soapenv:Header>'
        f'<SessionHeader xmlns="{MD}"><sessionId>{emulator.access_token}</sessionId>'
        f"</SessionHeader></soapenv:Header><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )
    response = requests.post(
        f"{emulator.instance_url}/services/Soap/m/63.0/{emulator.org_id}",
        data=envelope.encode(),
        headers={"Content-Type": "text/xml", "SOAPAction": "x"},
        timeout=10,
    )
    return response.status_code, response.content


def body_child(content: bytes):
    root = parse_xml(content)
    return next(iter(root.find(f"{{{SOAP}}}Body")))


def layout_package(page: str) -> dict[str, str]:
    return {
        "package.xml": package_xml({"ApexPage": [page], "Layout": ["Account-Account Layout"]}),
        "layouts/Account-Account Layout.layout": layout_with_section(GOOD_ITEM.format(page=page)),
        **page_files(page),
    }


def a_task(emulator):
    return create_task(Deploy, {"path": "."}, org_config=emulator.org_config())


def assert_schema_valid(content: bytes) -> None:
    element = copy.deepcopy(body_child(content))
    assert load_schema().validate_element(element) == [], content[:600]


def deploy_zip(files: dict[str, bytes], members: dict[str, list[str]], version: str) -> bytes:
    types = "".join(
        "<types>" + "".join(f"<members>{m}</members>" for m in ms) + f"<name>{t}</name></types>"
        for t, ms in members.items()
    )
    package = (
        f'<?xml version="1.0" encoding="UTF-8"?><Package xmlns="{MD}">{types}'
        f"<version>{version}</version></Package>"
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("package.xml", package)
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()
