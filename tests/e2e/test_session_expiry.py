"""A session that expires (or an org that moves) on any Metadata API call is renewed once,
and the run carries on; when renewing fails, the run ends in one of the three outcomes.

Real orgs end sessions by policy (Salesforce Help, "Set Session Timeout": from 15 minutes to
24 hours), so a long deploy or a fleet run meets this. The emulator answers an expired
session as real orgs do (sf:INVALID_SESSION_ID, recorded in CumulusCI's cassettes).
"""

from __future__ import annotations

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tests.support.cli import as_json, cli, write_config

METADATA_CALLS = ("listMetadata", "retrieve", "checkRetrieveStatus", "deploy", "checkDeployStatus")


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(
        "tasks.totango_sf.salesforce.metadata_api.TRANSIENT_RETRY_DELAYS", (0.01,) * 3
    )


def expire_and_revoke(emulator, call: str) -> None:
    """The session expires at ``call``, and the refresh token is revoked then too, so the
    renewal is refused (invalid_grant) after the run has connected."""

    def revoke() -> None:
        emulator.state.refresh_token = "revoked"

    emulator.faults.on_call(call, revoke)
    emulator.faults.expire_session(call)


def tokens(emulator) -> int:
    return sum(1 for c in emulator.history if c.kind == "token")


@pytest.mark.parametrize("fault", ["expire_session", "move_instance"])
@pytest.mark.parametrize("call", METADATA_CALLS)
def test_deploy_renews_the_session_on_every_metadata_call(emulator, use_org, tmp_path, call, fault):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.history.clear()
    getattr(emulator.faults, fault)(call)
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    document = as_json(result)
    assert document["status"] == "deployed" and document["verify"]["in_sync"] is True
    # The assignment after the deploy was not skipped.
    assert document["permission_set_assignments"]["assigned"] == 3
    assert tokens(emulator) >= 1
    # One deploy started: a refused (expired) start leaves no deploy behind.
    assert len([d for d in emulator.history.deploys if d.deploy_id]) == 1


@pytest.mark.parametrize("call", ["listMetadata", "retrieve", "checkRetrieveStatus"])
def test_verify_renews_the_session(emulator, use_org, tmp_path, call):
    use_org(emulator)
    config = write_config(tmp_path)
    assert cli("deploy", "--org", "emu", "--config", str(config)).exit_code == 0
    emulator.faults.expire_session(call)
    result = cli("verify", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["in_sync"] is True


@pytest.mark.parametrize("call", ["retrieve", "deploy", "checkDeployStatus"])
def test_rollback_renews_the_session_on_a_production_org(emulator_factory, use_org, tmp_path, call):
    production = emulator_factory(flavour="production")
    use_org(production)
    config = write_config(tmp_path)
    first = cli("deploy", "--org", "emu", "--config", str(config), "--yes", "--json")
    assert first.exit_code == 0, first.output
    production.faults.expire_session(call)
    result = cli("rollback", "--org", "emu", "--config", str(config), "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["status"] == "rolled_back"
    layout = production.state.metadata_xml("Layout", "Account-Account Layout")
    assert b"<label>Totango</label>" not in layout


def test_a_renewal_that_fails_while_polling_is_outcome_unknown_with_the_deploy_id(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    expire_and_revoke(emulator, "checkDeployStatus")
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 5, result.output
    document = as_json(result)
    deploy_id = emulator.history.deploys[0].deploy_id
    assert document["data"]["deploy_id"] == deploy_id
    assert f"totango-sf status --org emu --deploy-id {deploy_id}" in document["actions"]
    assert "renewing it failed" in document["message"]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("call", ["listMetadata", "retrieve", "deploy"])
def test_a_renewal_that_fails_before_anything_started_changes_nothing(
    emulator, use_org, tmp_path, call
):
    use_org(emulator)
    config = write_config(tmp_path)
    expire_and_revoke(emulator, call)
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 4, result.output
    assert "renewing it failed" in as_json(result)["message"]
    assert [d for d in emulator.history.deploys if d.deploy_id] == []


def test_a_fleet_lane_renews_its_session_and_the_other_lane_is_untouched(
    emulator_factory, use_org, tmp_path
):
    expiring = use_org(emulator_factory(flavour="sandbox"), "expiring")
    steady = use_org(emulator_factory(flavour="production"), "steady")
    config = write_config(tmp_path)
    expiring.faults.expire_session("checkDeployStatus")
    steady.faults.move_instance("retrieve")
    result = cli(
        "deploy", "--org", "expiring", "--org", "steady", "--yes", "--config", str(config), "--json"
    )
    assert result.exit_code == 0, result.output
    rows = {row["org"]: row for row in as_json(result)["orgs"]}
    assert {org: row["status"] for org, row in rows.items()} == {"expiring": 0, "steady": 0}
    for emulator in (expiring, steady):
        layout = emulator.state.metadata_xml("Layout", "Account-Account Layout")
        assert b"<label>Totango</label>" in layout
