"""Salesforce ids (15 to 18 characters), and an org the keychain does not know (no org)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tasks.totango_sf.steps.org_id import InvalidSalesforceId, to_18
from tests.support.cli_json import error_of
from tests.support.org import cli_app


def test_18_character_id_matches_a_known_conversion():
    # Salesforce's documented example: 001A0000006Vm9r -> 001A0000006Vm9rIAC.
    assert to_18("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert to_18("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"
    assert to_18("00D5g000004ZtQp") == "00D5g000004ZtQpEAK"
    with pytest.raises(InvalidSalesforceId):
        to_18("001A0000006Vm9rAAA")
    with pytest.raises(InvalidSalesforceId):
        to_18("short")


def test_unknown_org_is_exit_4(monkeypatch, tmp_path):
    monkeypatch.setenv("CUMULUSCI_KEY", "0123456789abcdef")
    result = CliRunner().invoke(cli_app(), ["doctor", "--org", "nosuchorg", "--json"])
    assert result.exit_code == 4
    assert "nosuchorg" in error_of(result.stdout)["message"]
