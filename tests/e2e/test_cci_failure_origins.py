"""The cci deploy task logs each component failure traced to its element, as the command
line does (the org's own parts seeded by tests/org_emulator/org_own_files.py)."""

from __future__ import annotations

import json
import logging

import pytest
from cumulusci.tasks.salesforce.tests.util import create_task

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.cci.org import TotangoDeploy
from tests.org_emulator import org_own_files


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_the_task_log_names_the_orgs_own_parts(
    emulator_factory, tmp_path, monkeypatch, caplog, flavour
):
    monkeypatch.setattr("tasks.totango_sf.state.snapshot.SNAPSHOT_ROOT", tmp_path / "snapshots")
    monkeypatch.setattr("tasks.totango_sf.salesforce.metadata_api.FIRST_POLL_INTERVAL", 0.001)
    config = tmp_path / "totango.yml"
    config.write_text(json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}))
    emulator = emulator_factory(flavour=flavour)
    org_own_files.seed_unredeployable(emulator.state)
    task = create_task(
        TotangoDeploy, {"config": str(config), "yes": True}, org_config=emulator.org_config()
    )
    with caplog.at_level(logging.INFO), pytest.raises(Exception, match="failed"):
        task()
    text = " ".join(caplog.text.split())
    assert text.count("the org's own, carried over unchanged") == 3
    assert "<quickActionName>FeedItem.RypplePost</quickActionName>" in text
