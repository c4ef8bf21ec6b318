"""Token refresh against an org: transient failures retried, and the instance URL it returns
followed. Which failures are transient: tests/unit/salesforce/test_rest_client.py."""

from __future__ import annotations

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tests.support.cli import as_json, cli, write_config


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(
        "tasks.totango_sf.salesforce.metadata_api.TRANSIENT_RETRY_DELAYS", (0.01,) * 3
    )


def tokens(emulator) -> list[int]:
    return [c.status for c in list(emulator.history) if c.kind == "token"]


def test_a_5xx_on_the_token_refresh_is_retried(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.history.clear()
    emulator.faults.http_error(503, "token", count=2)
    result = cli("org-id", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    assert tokens(emulator)[:3] == [503, 503, 200]


def test_a_refused_refresh_is_not_retried_and_exits_4(emulator, use_org, tmp_path):
    use_org(emulator)
    emulator.state.refresh_token = "revoked"
    emulator.history.clear()
    result = cli("org-id", "--org", "emu", "--config", str(write_config(tmp_path)), "--json")
    assert result.exit_code == 4, result.output
    assert tokens(emulator) == [400]


def test_refresh_mid_run_follows_the_instance_url_it_returns(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.move_instance("query")
    emulator.history.clear()
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["verify"]["in_sync"] is True
    calls = list(emulator.history)
    moved_at = next(i for i, c in enumerate(calls) if c.fault == "move_instance")
    rest_after = [c for c in calls[moved_at + 1 :] if c.kind in ("query", "composite")]
    assert rest_after and all(c.detail["host"] == "localhost" for c in rest_after)
    assert all(c.status < 400 for c in rest_after)
