"""``apply --source-dir`` does what deploy does, knowing what is ours from its ledger.

The project's ``totango-ownership.json`` lists the ranges and sections apply made. A
range that left the config goes only when the ledger lists it; an admin's range or
section, described or labelled "Totango", stays byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tasks.totango_sf.cli.app import app
from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.merge.source_dir import ApplySourceError, apply_to_source
from tasks.totango_sf.merge.source_ledger import LEDGER_FILE
from tests.org_emulator.seed import SEED
from tests.support.cli_json import result_of
from tests.support.source_projects import mdapi_folder, sfdx_project, snapshot

SECURITY = "settings/Security.settings-meta.xml"
ACCOUNT = "layouts/Account-Account Layout.layout-meta.xml"
LEAD = "layouts/Lead-Lead Layout.layout-meta.xml"
ADMIN_RANGE = (
    b"<ipRanges>\n            <description>Totango</description>\n"
    b"            <end>5.5.5.5</end>\n            <start>5.5.5.5</start>\n        </ipRanges>\n"
    b"        "
)
CUSTOMER_HEALTH = (
    b"<layoutSections>\n        <customLabel>true</customLabel>\n"
    b"        <detailHeading>true</detailHeading>\n        <editHeading>true</editHeading>\n"
    b"        <label>Customer Health</label>\n        <layoutColumns>\n"
    b"            <layoutItems>\n                <behavior>Edit</behavior>\n"
    b"                <field>Rating</field>\n            </layoutItems>\n"
    b"            <layoutItems>\n                <height>200</height>\n"
    b"                <page>Totango_Account_Insights</page>\n"
    b"                <showLabel>false</showLabel>\n"
    b"                <showScrollbars>false</showScrollbars>\n"
    b"                <width>100%</width>\n            </layoutItems>\n"
    b"        </layoutColumns>\n        <style>OneColumn</style>\n    </layoutSections>\n    "
)


def config(addresses: list[str], **widget) -> object:
    data: dict = {"trusted_ip_ranges": {"addresses": addresses}}
    if widget:
        data["widget"] = widget
    return build_config(data)


def starts(path: Path) -> list[bytes]:
    text = path.read_bytes()
    return [line.strip() for line in text.splitlines() if b"<start>" in line]


@pytest.mark.parametrize(
    ("first", "second", "gone", "kept"),
    [
        (["8.8.8.8", "1.1.1.0/24"], ["8.8.8.8", "1.1.1.0/25"], b"1.1.1.255", b"1.1.1.127"),
        (["8.8.8.8", "4.4.4.4"], ["8.8.8.8"], b"4.4.4.4", b"8.8.8.8"),
        (["2606:4700::/48", "8.8.8.8"], ["8.8.8.8"], b"2606:4700::", b"8.8.8.8"),
    ],
    ids=["narrowed", "dropped", "ipv6-dropped"],
)
def test_apply_removes_a_range_it_wrote_once_the_config_drops_it(
    tmp_path: Path, first, second, gone, kept
):
    base = sfdx_project(tmp_path)
    apply_to_source(config(first), tmp_path)
    assert gone in (base / SECURITY).read_bytes()
    ledger = json.loads((tmp_path / LEDGER_FILE).read_text())
    assert ledger["ranges"]
    result = apply_to_source(config(second), tmp_path)
    assert result.changed
    now = (base / SECURITY).read_bytes()
    assert gone not in now and kept in now
    assert b"Head office" in now and b"VPN egress" in now
    again = apply_to_source(config(second), tmp_path)
    assert not again.changed


def test_apply_keeps_a_totango_range_it_did_not_write(tmp_path: Path):
    base = sfdx_project(tmp_path)
    security = base / SECURITY
    security.write_bytes(
        security.read_bytes().replace(b"<ipRanges>", ADMIN_RANGE + b"<ipRanges>", 1)
    )
    result = apply_to_source(config(["8.8.8.8"]), tmp_path)
    assert any("made by hand: leaving it (5.5.5.5-5.5.5.5)" in w for w in result.warnings)
    apply_to_source(config(["9.9.9.9"]), tmp_path)
    now = security.read_bytes()
    assert b"<start>5.5.5.5</start>" in now  # the admin's, never stale
    assert b"<start>8.8.8.8</start>" not in now and b"<start>9.9.9.9</start>" in now


def test_without_the_ledger_nothing_is_ours_and_nothing_is_removed(tmp_path: Path):
    base = sfdx_project(tmp_path)
    apply_to_source(config(["8.8.8.8", "4.4.4.4"]), tmp_path)
    (tmp_path / LEDGER_FILE).unlink()
    result = apply_to_source(config(["8.8.8.8"]), tmp_path)
    assert b"4.4.4.4" in (base / SECURITY).read_bytes()
    assert any("made by hand: leaving it (4.4.4.4-4.4.4.4)" in w for w in result.warnings)
    # Nor is the section ours: left alone, never doubled.
    assert (base / ACCOUNT).read_bytes().count(b"<label>Totango</label>") == 1


def test_apply_leaves_an_admins_section_holding_our_page_line_for_line(tmp_path: Path):
    base = sfdx_project(tmp_path)
    account = base / ACCOUNT
    original = account.read_bytes().replace(
        b"<layoutSections>", CUSTOMER_HEALTH + b"<layoutSections>", 1
    )
    account.write_bytes(original)
    result = apply_to_source(config(["8.8.8.8"]), tmp_path)
    assert account.read_bytes() == original  # the Rating line and every other byte
    assert any("made by hand: leaving it" in w and ACCOUNT in w for w in result.warnings)
    assert b"<label>Totango</label>" in (base / LEAD).read_bytes()
    ledger = json.loads((tmp_path / LEDGER_FILE).read_text())
    assert set(ledger["sections"]) == {
        f"src-main/main/default/{LEAD}",
        "src-main/main/default/layouts/Opportunity-Opportunity Layout.layout-meta.xml",
    }


def test_apply_updates_its_own_section_and_takes_it_out_of_a_dropped_layout(tmp_path: Path):
    base = sfdx_project(tmp_path)
    apply_to_source(config(["8.8.8.8"]), tmp_path)
    renamed = config(["8.8.8.8"], section_label="Totango Insights")
    apply_to_source(renamed, tmp_path)
    account = (base / ACCOUNT).read_bytes()
    assert (
        b"<label>Totango Insights</label>" in account and b"<label>Totango</label>" not in account
    )
    only_lead = config(["8.8.8.8"], section_label="Totango Insights", layouts=["Lead-Lead Layout"])
    result = apply_to_source(only_lead, tmp_path)
    assert (base / ACCOUNT).read_bytes() == (
        SEED / "layouts/Account-Account Layout.layout"
    ).read_bytes()
    assert b"Totango Insights" in (base / LEAD).read_bytes()
    assert any("no longer in widget.layouts" in c.detail for c in result.changes)


def test_a_metadata_api_folder_keeps_its_ledger_too(tmp_path: Path):
    root = mdapi_folder(tmp_path)
    apply_to_source(config(["8.8.8.8", "4.4.4.4"]), root)
    apply_to_source(config(["8.8.8.8"]), root)
    assert b"4.4.4.4" not in (root / "settings/Security.settings").read_bytes()
    assert (root / LEDGER_FILE).exists()


def test_a_broken_ledger_is_refused_and_nothing_is_written(tmp_path: Path):
    sfdx_project(tmp_path)
    (tmp_path / LEDGER_FILE).write_text("{not json")
    before = snapshot(tmp_path)
    with pytest.raises(ApplySourceError, match=LEDGER_FILE):
        apply_to_source(config(["8.8.8.8"]), tmp_path)
    assert snapshot(tmp_path) == before
    result = CliRunner().invoke(app, ["apply", "--source-dir", str(tmp_path), "--json"])
    assert result.exit_code == 2


def test_apply_through_the_command_line_lists_the_ledger(tmp_path: Path):
    sfdx_project(tmp_path)
    cfg = tmp_path / "totango.yml"
    cfg.write_text(json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}))
    result = CliRunner().invoke(
        app, ["apply", "--source-dir", str(tmp_path), "--config", str(cfg), "--json"]
    )
    assert result.exit_code == 0, result.output
    files = {f["path"]: f for f in result_of(result.stdout)["files"]}
    assert files[LEDGER_FILE]["change"] == "created"
