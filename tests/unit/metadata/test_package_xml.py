"""Our package.xml writer agrees with CumulusCI's generator on the same folder."""

from pathlib import Path

from cumulusci.tasks.metadata.package import PackageXmlGenerator

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.metadata.components import Component, mdapi_files
from tasks.totango_sf.metadata.package_xml import package_xml, package_xml_for
from tasks.totango_sf.render.plan import build_plan

LAYOUT = b'<Layout xmlns="http://soap.sforce.com/2006/04/metadata"/>'
SETTINGS = b'<SecuritySettings xmlns="http://soap.sforce.com/2006/04/metadata"/>'


def test_same_as_cumulusci_generator(tmp_path: Path):
    components = build_plan(
        build_config({"insights": {"objects": ["Account", "Lead", "Renewal__c"]}})
    ).components
    components = [
        *components,
        Component("Layout", "Account-Account Layout", LAYOUT),
        Component("Layout", "Renewal__c-Renewal Layout", LAYOUT),
        Component("Settings", "Security", SETTINGS),
    ]
    for rel, data in mdapi_files(components).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    expected = PackageXmlGenerator(str(tmp_path), "63.0")()
    # CumulusCI also lists a custom object's .object file as a CustomObject. We ship
    # only fields for objects that already exist; deploying the object itself from a
    # fields-only file would fail on its missing label and sharing model.
    custom_object_entry = (
        "    <types>\n        <members>Renewal__c</members>\n"
        "        <name>CustomObject</name>\n    </types>\n"
    )
    assert custom_object_entry in expected
    expected = expected.replace(custom_object_entry, "")
    assert package_xml_for(components, "63.0").decode() == expected + "\n"


def test_escapes_member_names_and_omits_version_for_destructive_changes():
    text = package_xml([("Layout", "A&B-Layout")], None).decode()
    assert "<members>A&amp;B-Layout</members>" in text
    assert "<version>" not in text
