"""The commands that change nothing, against the live org: plan, doctor, verify, org-id,
mapping. Each runs as a user runs it (``--org`` the org's name, ``--json``), exits with
one of its documented codes, and prints a document that its published schema accepts;
what it says is checked against the org's own answers where the org can say it.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from tests.support.cli import as_json, cli
from tests.support.live_org import LiveOrg, live_config, schema_problems

# A large org's reads take longer than the suite's 300 s allows a test.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return live_config(tmp_path)


def run(command: str, *args: str) -> tuple[int, dict]:
    """``totango-sf COMMAND ARGS --json``: its exit code and its document, schema-checked."""
    result = cli(*command.split(), *args, "--json")
    document = as_json(result)
    problems = schema_problems(command, json.loads(result.stdout))
    assert not problems, f"{command}: the --json document breaks its schema: {problems}"
    return result.exit_code, document


def describe(org: LiveOrg, sobject: str) -> requests.Response:
    return requests.get(
        f"{org.instance_url}/services/data/v63.0/sobjects/{quote(sobject)}/describe",
        headers={"Authorization": f"Bearer {org.access_token}"},
        timeout=60,
    )


def test_org_id_names_the_org_its_organization_record_names(live_org):
    code, identity = run("org-id", "--org", live_org.name)
    assert code == 0, identity
    assert identity["id15"] == live_org.org_id[:15]
    assert identity["id18"][:15] == identity["id15"] and len(identity["id18"]) == 18
    assert identity["edition"] == live_org.record["OrganizationType"]
    # The product's word for the kind, against the record's: a scratch org, a sandbox, or
    # production (a Developer Edition org is production to the product).
    expected = {"developer": "production"}.get(live_org.kind, live_org.kind)
    assert identity["kind"] == expected


def test_plan_reads_the_org_and_changes_nothing(live_org, config, tmp_path):
    code, plan = run(
        "plan", "--org", live_org.name, "--config", str(config), "--out", str(tmp_path / "plan")
    )
    assert code == 0, plan
    assert plan["org"] == live_org.name and plan["components"], plan
    actions = {c["action"] for c in plan["components"]}
    assert actions <= {"create", "update", "unchanged"}, actions
    assert plan["in_sync"] == (actions == {"unchanged"})


def test_plan_with_detailed_exitcode_agrees_with_verify(live_org, config, tmp_path):
    out = str(tmp_path / "plan")
    code, plan = run(
        "plan", "--org", live_org.name, "--config", str(config), "--out", out, "--detailed-exitcode"
    )
    assert code in (0, 3), plan
    verify_code, report = run("verify", "--org", live_org.name, "--config", str(config))
    assert verify_code in (0, 3), report
    assert (code == 0) == (verify_code == 0) == report["in_sync"] == plan["in_sync"]
    pending = {(c["type"], c["name"]) for c in plan["components"] if c["action"] != "unchanged"}
    drift = {(c["type"], c["name"]) for c in report["components"] if c["state"] != "in_sync"}
    assert pending == drift


def test_doctor_reports_each_check_with_its_fix(live_org, config):
    code, doctor = run("doctor", "--org", live_org.name, "--config", str(config))
    assert code in (0, 1), doctor
    assert doctor["checks"], doctor
    failed = [c for c in doctor["checks"] if c["required"] and c["status"] == "fail"]
    assert (code == 1) == bool(failed) == (not doctor["ok"])
    assert all(c["fix"] for c in failed), failed


def test_mapping_names_objects_the_org_has(live_org, config):
    code, mapping = run("mapping", "--config", str(config))
    assert code == 0, mapping
    objects = {row["object"] for row in mapping["mappings"]}
    assert objects, mapping
    for sobject in sorted(objects):
        answer = describe(live_org, sobject)
        assert answer.status_code == 200, f"{sobject}: {answer.status_code} {answer.text[:200]}"
        fields = {f["name"] for f in answer.json()["fields"]}
        rows = [r for r in mapping["mappings"] if r["object"] == sobject]
        present = [r["salesforce_field"] for r in rows if r["salesforce_field"] in fields]
        # Before a deploy none of the setup's fields is there, after it all are.
        assert present in ([], [r["salesforce_field"] for r in rows]), (sobject, present)
