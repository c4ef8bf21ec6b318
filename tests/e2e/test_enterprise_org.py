"""A small enterprise-shaped org (``tests/org_emulator/enterprise.py``), built from the
real files of ../shared/corpus: deploy and verify on it, and read no more than needed."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from lxml import etree

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tests.org_emulator.emulator import OrgEmulator
from tests.org_emulator.enterprise import (
    EnterpriseSize,
    build_enterprise_state,
    corpus_folder,
)
from tests.org_emulator.retrieve_engine import retrieve
from tests.support.cli import cli
from tests.support.cli_json import result_of
from tests.support.paths import SHARED_ABSENT

pytestmark = pytest.mark.skipif(corpus_folder() is None, reason=SHARED_ABSENT)


SMALL = EnterpriseSize(
    profiles=6, record_types=3, layouts=4, flexipages=60, fields=20, ip_ranges=12,
    list_views=3, validation_rules=2, assigned_share=0.2,
)  # fmt: skip


@pytest.fixture
def enterprise(tmp_path):
    emulator = OrgEmulator(build_enterprise_state(SMALL), tmp_path / "org", deploy_polls=1)
    emulator.start()
    yield emulator
    emulator.stop()


def files_of(zip_bytes: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        return {n.removeprefix("unpackaged/"): archive.read(n) for n in archive.namelist()}


def test_the_org_has_the_size_asked_for():
    state = build_enterprise_state(SMALL)
    assert len([n for n in state.names("Profile") if n.startswith("Enterprise")]) == 6
    assert len(state.names("FlexiPage")) >= 60
    assert len([n for n in state.names("CustomField") if n.startswith("Account.Ent_")]) == 20
    assert len([n for n in state.names("Layout") if n.startswith("Lead-")]) == 4
    security = state.metadata_xml("Settings", "Security") or b""
    assert security.count(b"<ipRanges>") >= 12


def test_a_profile_carries_field_permissions_only_with_its_object():
    state = build_enterprise_state(SMALL)
    layouts = [n for n in state.names("Layout") if n.startswith("Account-")]
    record_types = ["Account.RT_000", "Account.RT_001"]
    named = {"Profile": ["*"], "Layout": layouts, "RecordType": record_types}
    profile = files_of(retrieve(state, named, "63.0").zip_bytes)[
        "profiles/Enterprise Profile 001.profile"
    ]
    root = etree.fromstring(profile)
    assert not root.findall("{*}fieldPermissions")
    kept = {el.findtext("{*}recordType") for el in root.findall("{*}layoutAssignments")}
    assert {"Account.RT_000", "Account.RT_001"} <= kept and "Account.RT_002" not in kept
    whole = files_of(retrieve(state, {**named, "CustomObject": ["Account"]}, "63.0").zip_bytes)
    root = etree.fromstring(whole["profiles/Enterprise Profile 001.profile"])
    assert len(root.findall("{*}fieldPermissions")) == 20


def test_deploy_and_verify_on_an_enterprise_org_read_only_the_pages_in_use(
    enterprise, use_org, tmp_path
):
    use_org(enterprise)
    config = tmp_path / "totango.yml"
    config.write_text(json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}))
    enterprise.history.clear()
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    doc = result_of(result.stdout)
    assert doc["status"] == "deployed" and doc["verify"]["in_sync"] is True
    read = [c.detail["types"] for c in enterprise.history if c.kind == "retrieve"]
    pages = {p for types in read for p in types.get("FlexiPage", [])}
    org_pages = set(enterprise.state.names("FlexiPage"))
    assert "*" not in pages and len(pages) < len(org_pages) / 3
    # Pages of objects the setup does not configure are never read.
    assert not any(p.startswith(("Ent_Contact", "Ent_Case", "Ent_Invoice")) for p in pages)
    added = [r for r in doc["record_pages"] if r["action"] == "add"]
    assert added, "no assigned page took the component"
    assert {r["page"] for r in added} <= pages
    assert Path(config).exists()
