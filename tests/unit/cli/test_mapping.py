"""``totango-sf mapping``: Totango's field and the Salesforce API name, per object."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.cli.app import app
from tests.support.cli_json import error_of, result_of


def mapping(tmp_path, *args: str, config: dict | None = None):
    path = tmp_path / "totango.yml"
    path.write_text(json.dumps(config or {}))
    return CliRunner().invoke(app, ["mapping", "--config", str(path), *args])


def test_csv_pairs_every_written_field_on_every_object(tmp_path):
    result = mapping(tmp_path, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 11 * 3  # the formula icon is computed, never written by Totango
    assert {r["object"] for r in rows} == {"Account", "Lead", "Opportunity"}
    assert {"object": "Lead", "totango_field": "Engagement",
            "salesforce_field": "Totango_Engagement__c", "type": "Number"} in rows  # fmt: skip
    assert not any(r["salesforce_field"] == "Totango_Health_Icon__c" for r in rows)


def test_follows_configured_objects_names_and_extra_fields(tmp_path):
    config = {
        "insights": {
            "objects": ["Account", "Customer__c"],
            "fields": {
                "Totango_Engagement__c": {"label": "Score"},
                "Totango_Insights__c": {"enabled": False},
                "Totango_NPS__c": {"label": "NPS", "type": "Number", "precision": 3, "scale": 0},
            },
        },
        "widget": {"layouts": ["Account-Account Layout"]},
    }
    result = mapping(tmp_path, "--format", "json", config=config)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    by_field = {(r["object"], r["salesforce_field"]): r["totango_field"] for r in rows}
    assert by_field[("Customer__c", "Totango_Engagement__c")] == "Engagement"  # Totango's name
    assert by_field[("Account", "Totango_NPS__c")] == "NPS"
    assert ("Account", "Totango_Insights__c") not in by_field
    assert len(rows) == 2 * 11


def test_json_envelope_and_warning_without_a_connection_user(tmp_path):
    result = mapping(tmp_path, "--json")
    assert result.exit_code == 0
    assert len(result_of(result.stdout)["mappings"]) == 33
    assert any("integration.username" in w for w in json.loads(result.stdout)["warnings"])
    named = mapping(tmp_path, "--json", config={"integration": {"username": "tt@example.com"}})
    assert json.loads(named.stdout)["warnings"] == []


def test_bad_format_and_bad_config_exit_2(tmp_path):
    result = mapping(tmp_path, "--format", "xml", "--json")
    assert result.exit_code == 2 and "--format" in error_of(result.stdout)["message"]
    bad = mapping(tmp_path, "--json", config={"integration": {"username": "not a user"}})
    assert bad.exit_code == 2 and "integration.username" in error_of(bad.stdout)["message"]
