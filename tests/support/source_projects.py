"""Local projects `apply --source-dir` writes into: an sfdx project and a Metadata API folder,
seeded with the emulator's layouts and Security.settings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.org_emulator.seed import SEED

EXISTING_FIELD = (
    "<fields><fullName>Region__c</fullName><label>Region</label><length>40</length>"
    "<type>Text</type></fields>"
)


def sfdx_project(root: Path) -> Path:
    (root / "sfdx-project.json").write_text(
        json.dumps({"packageDirectories": [{"path": "src-main", "default": True}]})
    )
    base = root / "src-main" / "main" / "default"
    (base / "layouts").mkdir(parents=True)
    (base / "settings").mkdir()
    for layout in (SEED / "layouts").glob("*.layout"):
        shutil.copy(layout, base / "layouts" / f"{layout.stem}.layout-meta.xml")
    shutil.copy(SEED / "settings/Security.settings", base / "settings/Security.settings-meta.xml")
    return base


def mdapi_folder(root: Path) -> Path:
    shutil.copytree(SEED / "layouts", root / "layouts")
    shutil.copytree(SEED / "settings", root / "settings")
    (root / "objects").mkdir()
    (root / "objects/Account.object").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">{EXISTING_FIELD}'
        "<label>Account</label></CustomObject>\n"
    )
    (root / "package.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Package xmlns="http://soap.sforce.com/2006/04/metadata"><types>'
        "<members>Account.Region__c</members><name>CustomField</name></types>"
        "<version>62.0</version></Package>\n"
    )
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}
