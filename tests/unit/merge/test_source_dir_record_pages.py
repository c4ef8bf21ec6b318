"""`apply --source-dir` merges the widget component into the project's record pages too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.merge.flexipage import page_facts
from tasks.totango_sf.merge.source_dir import apply_to_source
from tasks.totango_sf.metadata.schema import load_schema
from tests.org_emulator.seed import SEED

CONFIG = build_config({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}})


def sfdx_project(root: Path, with_assignments: bool) -> Path:
    (root / "sfdx-project.json").write_text(
        json.dumps({"packageDirectories": [{"path": "force-app", "default": True}]})
    )
    base = root / "force-app" / "main" / "default"
    (base / "flexipages").mkdir(parents=True)
    for page in (SEED / "flexipages").glob("*.flexipage"):
        shutil.copy(page, base / "flexipages" / f"{page.stem}.flexipage-meta.xml")
    if with_assignments:
        (base / "applications").mkdir()
        for app in (SEED / "applications").glob("*.app"):
            shutil.copy(app, base / "applications" / f"{app.stem}.app-meta.xml")
        for obj in (SEED / "objects").glob("*.object"):
            (base / "objects" / obj.stem).mkdir(parents=True)
            shutil.copy(obj, base / "objects" / obj.stem / f"{obj.stem}.object-meta.xml")
    return base / "flexipages"


def widget_on(folder: Path, name: str, page: str) -> str:
    return page_facts((folder / f"{name}.flexipage-meta.xml").read_bytes(), page).widget


def test_assigned_dynamic_forms_pages_get_the_component_and_rerun_changes_nothing(tmp_path):
    pages = sfdx_project(tmp_path, with_assignments=True)
    unused = (pages / "Account_Unused_Page.flexipage-meta.xml").read_bytes()
    result = apply_to_source(CONFIG, tmp_path)
    patched = {c.path for c in result.changes if "record page component" in c.detail}
    assert patched == {
        "force-app/main/default/flexipages/Account_Sales_Dynamic.flexipage-meta.xml",
        "force-app/main/default/flexipages/Lead_Dynamic_Page.flexipage-meta.xml",
    }
    assert widget_on(pages, "Lead_Dynamic_Page", "Totango_Lead_Insights") == "component"
    # Not assigned anywhere in the project: left alone.
    assert (pages / "Account_Unused_Page.flexipage-meta.xml").read_bytes() == unused
    for path in pages.iterdir():
        assert not load_schema().validate_bytes(path.read_bytes()), path.name
    again = apply_to_source(CONFIG, tmp_path)
    assert not again.changed


def test_a_project_without_assignments_treats_its_record_pages_as_in_use(tmp_path):
    pages = sfdx_project(tmp_path, with_assignments=False)
    apply_to_source(CONFIG, tmp_path)
    assert widget_on(pages, "Account_Unused_Page", "Totango_Account_Insights") == "component"
    assert widget_on(pages, "Account_Record_Page", "Totango_Account_Insights") == "layout_section"


def test_mdapi_folder_at_48_gets_the_pre_49_format(tmp_path):
    (tmp_path / "flexipages").mkdir()
    (tmp_path / "flexipages" / "Old.flexipage").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<FlexiPage xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        b"    <!-- kept -->\n"
        b"    <flexiPageRegions>\n        <componentInstances>\n"
        b"            <componentName>flexipage:fieldSection</componentName>\n"
        b"        </componentInstances>\n        <name>main</name>\n        <type>Region</type>\n"
        b"    </flexiPageRegions>\n    <masterLabel>Old</masterLabel>\n"
        b"    <sobjectType>Account</sobjectType>\n"
        b"    <template>\n        <name>flexipage:recordHomeTemplateDesktop</name>\n"
        b"    </template>\n    <type>RecordPage</type>\n</FlexiPage>\n"
    )
    (tmp_path / "package.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Package xmlns="http://soap.sforce.com/2006/04/metadata"><types>'
        "<members>Old</members><name>FlexiPage</name></types>"
        "<version>48.0</version></Package>\n"
    )
    apply_to_source(CONFIG, tmp_path)
    merged = (tmp_path / "flexipages" / "Old.flexipage").read_bytes()
    assert merged.count(b"<componentInstances>") == 2 and b"<itemInstances>" not in merged
    assert b"<!-- kept -->" in merged and b"Totango_Account_Insights" in merged
