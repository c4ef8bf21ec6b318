"""deploy / verify / rollback against the org emulator, through the real clients.

The CLI runs in-process (typer's runner) with the emulator named as org ``emu``
through ``CUMULUSCI_ORG_emu``, so CumulusCI's keychain, token refresh, SOAP
classes and simple-salesforce all speak HTTPS to the emulator.
"""

from __future__ import annotations

import json
import logging

import pytest
from typer.testing import CliRunner

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.cli.app import app
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.support.cli import SECTION_LABEL, as_json, cli, deploy_kinds, write_config


def test_fresh_org_deploy_verify_then_redeploy_is_in_sync(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.history.clear()

    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    doc = as_json(result)
    assert doc["status"] == "deployed" and doc["verify"]["in_sync"] is True
    assert doc["deploy"]["success"] is True and doc["deploy_id"]
    assert doc["permission_set_assignments"]["assigned"] == 3  # active Standard/Admin users
    layout = emulator.state.metadata_xml("Layout", "Account-Account Layout")
    assert SECTION_LABEL in layout and b"<page>Totango_Account_Insights</page>" in layout
    security = emulator.state.metadata_xml("Settings", "Security")
    assert b"<start>8.8.8.8</start>" in security and b"Head office" in security

    kinds = emulator.history.kinds()
    assert kinds.count("listMetadata") == 1
    # Each read is two retrieves: the first names the record pages and record types the
    # second needs (org/verify.py read_files); one read before the deploy, one to verify.
    assert kinds.count("retrieve") == 4
    assert kinds.count("deploy") == 1
    assert kinds.count("composite") == 1

    emulator.history.clear()
    again = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert again.exit_code == 0, again.output
    doc = as_json(again)
    assert doc["status"] == "in_sync" and doc["deploy"] is None
    assert deploy_kinds(emulator) == []
    assert doc["permission_set_assignments"]["assigned"] == 0
    assert doc["permission_set_assignments"]["already_assigned"] == 3

    verify = cli("verify", "--org", "emu", "--config", str(config))
    assert verify.exit_code == 0, verify.output
    assert "in sync" in verify.stdout


def test_hand_edited_section_and_removed_range_are_drift_and_deploy_repairs(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config), "--json").exit_code == 0
    state = emulator.state
    layout = state.metadata_xml("Layout", "Account-Account Layout")
    state.set_metadata_xml(
        "Layout",
        "Account-Account Layout",
        layout.replace(b"<height>290</height>", b"<height>500</height>"),
    )
    security = state.metadata_xml("Settings", "Security")
    edited = security.replace(b"<start>8.8.8.8</start>", b"<start>8.8.4.4</start>")
    edited = edited.replace(b"<end>8.8.8.8</end>", b"<end>8.8.4.4</end>")
    state.set_metadata_xml("Settings", "Security", edited)

    verify = cli("verify", "--org", "emu", "--config", str(config), "--json")
    assert verify.exit_code == 3
    drift = {(d["type"], d["name"]): d for d in as_json(verify)["drift"]}
    assert "height 500" in drift[("Layout", "Account-Account Layout")]["detail"]
    assert "8.8.8.8" in drift[("Settings", "Security")]["detail"]
    assert len(drift) == 2

    repaired = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert repaired.exit_code == 0, repaired.output
    doc = as_json(repaired)
    assert {(p["type"], p["name"]) for p in doc["plan"] if p["action"] != "unchanged"} == set(drift)
    assert cli("verify", "--org", "emu", "--config", str(config)).exit_code == 0


def test_component_failure_exits_1_and_leaves_org_unchanged(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    before = {n: emulator.state.metadata_xml("Layout", n) for n in emulator.state.names("Layout")}
    emulator.faults.fail_component("Layout", "Account-Account Layout", "Emulated failure: locked")

    result = cli("deploy", "--org", "emu", "--config", str(config))
    assert result.exit_code == 1
    assert "layouts/Account-Account Layout.layout" in result.stderr
    assert "Emulated failure: locked" in result.stderr
    assert "the org was not changed" in result.stderr
    after = {n: emulator.state.metadata_xml("Layout", n) for n in emulator.state.names("Layout")}
    assert after == before
    assert not emulator.state.has("ApexPage", "Totango_Account_Insights")


def test_check_only_then_quick_deploy(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    # Outside production a validation runs no tests unless asked; quick deploy needs them.
    validated = cli(
        "deploy", "--org", "emu", "--config", str(config), "--check-only", "--json",
        "--test-level", "RunLocalTests",
    )  # fmt: skip
    assert validated.exit_code == 0, validated.output
    validation_id = as_json(validated)["validation_id"]
    assert validation_id
    assert SECTION_LABEL not in emulator.state.metadata_xml("Layout", "Account-Account Layout")

    quick = cli(
        "deploy", "--org", "emu", "--config", str(config), "--quick", validation_id, "--json"
    )
    assert quick.exit_code == 0, quick.output
    doc = as_json(quick)
    assert doc["quick_deploy_of"] == validation_id and doc["verify"]["in_sync"] is True
    assert deploy_kinds(emulator) == ["deploy", "deployRecentValidation"]
    assert SECTION_LABEL in emulator.state.metadata_xml("Layout", "Account-Account Layout")


def test_production_without_yes_is_refused(emulator_factory, use_org, tmp_path):
    prod = use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path)
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 2
    assert "production" in as_json(result)["message"]
    assert deploy_kinds(prod) == [] and "listMetadata" not in prod.history.kinds()

    validation = cli("deploy", "--org", "emu", "--config", str(config), "--check-only", "--json")
    assert validation.exit_code == 0, validation.output
    assert deploy_kinds(prod) == ["deploy"] and prod.history.deploys[0].check_only

    allowed = cli("deploy", "--org", "emu", "--config", str(config), "--yes", "--json")
    assert allowed.exit_code == 0, allowed.output


def test_production_in_a_terminal_asks(emulator_factory, use_org, tmp_path, monkeypatch):
    prod = use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path)
    monkeypatch.setattr("tasks.totango_sf.cli.commands.deploy._interactive", lambda: True)
    declined = CliRunner().invoke(
        app, ["deploy", "--org", "emu", "--config", str(config)], input="n\n"
    )
    assert declined.exit_code == 1, declined.output
    assert "PRODUCTION" in declined.output and "not confirmed, nothing sent" in declined.output
    assert deploy_kinds(prod) == []
    accepted = CliRunner().invoke(
        app, ["deploy", "--org", "emu", "--config", str(config)], input="y\n"
    )
    assert accepted.exit_code == 0, accepted.output
    assert deploy_kinds(prod) == ["deploy"]


def test_placeholder_ips_are_refused_before_contacting_the_org(emulator, use_org, tmp_path):
    use_org(emulator)
    config = tmp_path / "placeholders.yml"
    config.write_text("{}\n")
    emulator.history.clear()
    for extra in ([], ["--check-only"]):
        result = cli("deploy", "--org", "emu", "--config", str(config), "--json", *extra)
        assert result.exit_code == 2
        assert "placeholder" in as_json(result)["message"]
    assert len(emulator.history) == 0


def test_rollback_restores_layouts_and_ranges_exactly(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    state = emulator.state
    layouts = {n: state.metadata_xml("Layout", n) for n in state.names("Layout")}
    security = state.metadata_xml("Settings", "Security")
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0

    result = cli(
        "rollback", "--org", "emu", "--config", str(config), "--remove-components", "--json"
    )
    assert result.exit_code == 0, result.output
    doc = as_json(result)
    assert {"type": "ApexPage", "name": "Totango_Account_Insights"} in doc["delete"]
    assert not any(d["type"] == "CustomField" for d in doc["delete"])
    for name, original in layouts.items():
        assert canonical_bytes(state.metadata_xml("Layout", name)) == canonical_bytes(original)
    assert canonical_bytes(state.metadata_xml("Settings", "Security")) == canonical_bytes(security)
    assert not state.has("ApexPage", "Totango_Account_Insights")
    assert not state.has("PermissionSet", "Totango_Insights")
    assert "Totango_Account_Health__c" in state.field_names("Account")  # fields kept
    assert state.rows("PermissionSetAssignment") == []


def test_layout_glob_matches_both_account_layouts(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path, widget={"layouts": ["Account-*"]})
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    for name in ("Account-Account Layout", "Account-Account Layout - Partner"):
        assert SECTION_LABEL in emulator.state.metadata_xml("Layout", name)
    assert SECTION_LABEL not in emulator.state.metadata_xml("Layout", "Lead-Lead Layout")


def test_namespace_org_references_managed_pages(emulator_factory, use_org, tmp_path):
    org = use_org(emulator_factory(flavour="sandbox", package_installed=True))
    config = write_config(tmp_path, namespace="totango", widget={"generate_page": False})
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    layout = org.state.metadata_xml("Layout", "Lead-Lead Layout")
    assert b"<page>totango__Totango_Lead_Insights</page>" in layout
    assert not org.state.has("ApexPage", "Totango_Lead_Insights")


def test_managed_page_missing_is_refused(emulator, use_org, tmp_path):
    use_org(emulator)  # no package installed
    config = write_config(tmp_path, namespace="totango", widget={"generate_page": False})
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 2
    assert "totango__Totango_Account_Insights" in as_json(result)["message"]
    assert deploy_kinds(emulator) == []


def test_tokens_never_appear_in_output_json_logs_or_snapshots(emulator, use_org, tmp_path, caplog):
    use_org(emulator)
    config = write_config(tmp_path)
    caplog.set_level(logging.DEBUG)
    outputs = [
        cli("deploy", "--org", "emu", "--config", str(config), "--json"),
        cli("verify", "--org", "emu", "--config", str(config)),
        cli("rollback", "--org", "emu", "--config", str(config)),
    ]
    emulator.faults.fail_component("Layout", "Lead-Lead Layout", "boom")
    outputs.append(cli("deploy", "--org", "emu", "--config", str(config), "--diff"))
    texts = [r.stdout + r.stderr for r in outputs] + [caplog.text]
    texts += [p.read_text() for p in (tmp_path / "snapshots").rglob("*") if p.is_file()]
    secrets = set(emulator.state.access_tokens) | {emulator.refresh_token}
    assert len(texts) > 5
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_diff_option_prints_unified_xml_diff(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    result = cli("plan", "--org", "emu", "--config", str(config), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "package" / "package.xml").exists()
    assert deploy_kinds(emulator) == []
    shown = cli("deploy", "--org", "emu", "--config", str(config), "--diff")
    assert shown.exit_code == 0, shown.output
    assert "+++ desired/layouts/Account-Account Layout.layout" in shown.stdout


@pytest.mark.parametrize("flavour", ["sandbox", "production"])
def test_plan_against_the_org_owns_its_out_folder_as_offline_plan_does(
    emulator_factory, use_org, tmp_path, flavour
):
    # Read-only in either kind of org: plan needs no --yes even against production.
    emulator = use_org(emulator_factory(flavour=flavour, package_installed=False))
    config = write_config(tmp_path)
    out = tmp_path / "o"
    stray = out / "package" / "notes.txt"
    stray.parent.mkdir(parents=True)
    stray.write_text("mine")
    refused = cli("plan", "--org", "emu", "--config", str(config), "--out", str(out), "--json")
    assert refused.exit_code == 2, refused.output
    assert "package/notes.txt" in refused.stdout
    assert stray.read_text() == "mine"
    assert not (out / "package" / "package.xml").exists()
    forced = cli("plan", "--org", "emu", "--config", str(config), "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert not stray.exists() and (out / "package" / "package.xml").exists()
    assert deploy_kinds(emulator) == []


def test_deploy_timeout_cancels_and_leaves_the_org_unchanged(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    before = emulator.state.metadata_xml("Layout", "Account-Account Layout")
    emulator.faults.stuck_deploy(10_000)
    result = cli("deploy", "--org", "emu", "--config", str(config), "--timeout", "0.2", "--json")
    assert result.exit_code == 1
    doc = as_json(result)
    assert "cancel" in json.dumps(doc).lower()
    assert "cancelDeploy" in emulator.history.kinds()
    assert emulator.state.metadata_xml("Layout", "Account-Account Layout") == before
    assert not emulator.state.has("ApexPage", "Totango_Account_Insights")


def test_transient_errors_while_polling_are_retried(emulator, use_org, tmp_path, monkeypatch):
    use_org(emulator)
    monkeypatch.setattr(
        "tasks.totango_sf.salesforce.metadata_api.TRANSIENT_RETRY_DELAYS", (0.01, 0.01)
    )
    config = write_config(tmp_path)
    emulator.faults.http_error(503, "checkDeployStatus", count=1)
    emulator.faults.http_error(500, "retrieve", count=1)
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    assert emulator.state.has("ApexPage", "Totango_Account_Insights")


def test_a_failed_deploy_start_is_not_repeated(emulator, use_org, tmp_path, monkeypatch):
    use_org(emulator)
    monkeypatch.setattr(
        "tasks.totango_sf.salesforce.metadata_api.TRANSIENT_RETRY_DELAYS", (0.01, 0.01)
    )
    config = write_config(tmp_path)
    emulator.faults.http_error(503, "deploy", count=1)
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    # The org may have taken a start whose answer is a 5xx page: unknown, never "failed".
    assert result.exit_code == 5
    assert as_json(result)["message"].startswith("outcome unknown: deploy failed or its answer")
    assert len(emulator.history.of("deploy")) == 1


def test_expired_session_mid_run_is_renewed(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.expire_session("query")
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    assert "token" in emulator.history.kinds()


def test_request_limit_is_exit_4_without_traceback(emulator, use_org, tmp_path, monkeypatch):
    use_org(emulator)
    monkeypatch.setattr(
        "tasks.totango_sf.salesforce.metadata_api.TRANSIENT_RETRY_DELAYS", (0.0, 0.0)
    )
    config = write_config(tmp_path)
    emulator.faults.request_limit("query", count=100)
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 4
    doc = as_json(result)
    assert "REQUEST_LIMIT_EXCEEDED" in doc["message"]
    assert emulator.access_token not in result.output
    assert not emulator.history.deploys


def test_defaults_the_org_adds_on_retrieve_are_not_drift(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    name = "Account.Totango_URL__c"
    stored = emulator.state.components["CustomField"][name][""]
    emulator.state.components["CustomField"][name][""] = stored.replace(
        b"<type>", b"<trackFeedHistory>false</trackFeedHistory><type>"
    )
    assert cli("verify", "--org", "emu", "--config", str(config)).exit_code == 0
    emulator.state.components["CustomField"][name][""] = stored.replace(
        b"<label>URL</label>", b"<label>Link</label>"
    )
    drift = cli("verify", "--org", "emu", "--config", str(config), "--json")
    assert drift.exit_code == 3
    assert name in json.dumps(as_json(drift))


def test_every_merged_file_the_deploy_sent_passes_both_schemas(emulator, use_org, tmp_path):
    from tests.support.schemas import oracle_schemas

    use_org(emulator)
    config = write_config(tmp_path, widget={"layouts": ["Account-*", "Lead-*", "Opportunity-*"]})
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    merged = [emulator.state.metadata_xml("Settings", "Security")] + [
        emulator.state.metadata_xml("Layout", name) for name in emulator.state.names("Layout")
    ]
    assert len(merged) == 5
    for schema in oracle_schemas():
        for data in merged:
            assert schema.validate_bytes(data) == [], schema.api_version


def test_rollback_on_an_org_without_trusted_ranges_removes_ours(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    no_ranges = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<SecuritySettings xmlns="http://soap.sforce.com/2006/04/metadata">'
        b"<sessionSettings><forceRelogin>true</forceRelogin></sessionSettings>"
        b"</SecuritySettings>\n"
    )
    # An org with no ranges retrieves without networkAccess at all.
    emulator.state.set_metadata_xml("Settings", "Security", no_ranges)
    assert b"<ipRanges>" not in emulator.state.metadata_xml("Settings", "Security")
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    assert b"8.8.8.8" in emulator.state.metadata_xml("Settings", "Security")
    result = cli("rollback", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    assert b"<ipRanges>" not in emulator.state.metadata_xml("Settings", "Security")
