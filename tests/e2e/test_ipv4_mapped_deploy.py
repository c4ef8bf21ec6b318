"""A trusted range written IPv4-mapped (::ffff:a.b.c.d) deploys as the IPv4 range it is to
Salesforce, and one across the mapped space is refused before anything is sent, on
production and sandbox orgs (Security Implementation Guide; the emulator's rule is in
tests/org_emulator/rules.py)."""

from __future__ import annotations

import pytest

from tests.support.cli import as_json, cli, write_config


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_mapped_range_lands_as_ipv4(emulator_factory, use_org, tmp_path, flavour):
    emulator = use_org(emulator_factory(flavour=flavour))
    config = write_config(tmp_path, addresses=["::ffff:52.1.2.0/120"])
    result = cli("deploy", "--org", "emu", "--config", str(config), "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["verify"]["in_sync"]
    settings = emulator.state.metadata_xml("Settings", "Security")
    assert b"<start>52.1.2.0</start>" in settings and b"<end>52.1.2.255</end>" in settings


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_range_across_the_mapped_space_is_bad_input(emulator_factory, use_org, tmp_path, flavour):
    emulator = use_org(emulator_factory(flavour=flavour))
    config = write_config(tmp_path, addresses=["255.255.255.255-::1:0:0:0"])
    emulator.history.clear()
    result = cli("deploy", "--org", "emu", "--config", str(config), "--yes", "--json")
    assert result.exit_code == 2, result.output
    assert "::ffff:a.b.c.d is the IPv4 address" in as_json(result)["message"]
    assert emulator.history.deploys == []
