"""Write mode: check-only, deploy, verify, rollback and ``--remove-components`` against the
live org, which is left as it was found.

Runs only with ``TOTANGO_SF_LIVE_WRITE=1``, and only on a scratch org, a sandbox or a
Developer Edition org (``writable``: a production org fails the test before anything is
sent). Before and after, a fingerprint of everything the setup reads, deploys or patches
(``live_org.fingerprint``) is taken; the two must be equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from tests.support.cli import as_json, cli
from tests.support.live_org import (
    fingerprint,
    fingerprint_changes,
    live_config,
    schema_problems,
)

WRITES = True  # the conftest's guard: this module's tests may change the org


def run(command: str, *args: str) -> tuple[int, dict]:
    result = cli(*command.split(), *args, "--json")
    problems = schema_problems(command, json.loads(result.stdout))
    assert not problems, f"{command}: the --json document breaks its schema: {problems}"
    return result.exit_code, as_json(result)


def field_names(org, sobject: str) -> set[str]:
    answer = requests.get(
        f"{org.instance_url}/services/data/v63.0/sobjects/{quote(sobject)}/describe",
        headers={"Authorization": f"Bearer {org.access_token}"},
        timeout=60,
    )
    answer.raise_for_status()
    return {f["name"] for f in answer.json()["fields"]}


# A real org takes minutes: three fingerprints (two retrieves each), five deploys.
@pytest.mark.timeout(1800)
def test_deploy_verify_and_rollback_leave_the_org_as_found(writable, tmp_path: Path):
    from tasks.totango_sf.config.model import load_config

    org = writable
    config_path = live_config(tmp_path)
    config = load_config(config_path, org.name)  # as --org reads it, overlay included
    target = ("--org", org.name, "--config", str(config_path))
    # --yes: a Developer Edition org is production to the product; the guard let it in.
    changing = (*target, "--yes")

    code, plan = run("plan", *target, "--out", str(tmp_path / "plan"))
    assert code == 0, plan
    already = [
        f"{c['type']} {c['name']}"
        for c in plan["components"]
        if c["type"] not in ("Layout", "Settings", "FlexiPage", "CustomObject")
        and c["action"] != "create"
    ]
    if already:
        pytest.skip(
            "the org already holds part of the setup (" + ", ".join(already[:5]) + "); write"
            " mode deploys the setup and takes it out again, so it needs an org without it"
        )

    before = fingerprint(org.session, config)

    code, validated = run("deploy", *target, "--check-only")
    assert code == 0, validated
    assert validated["status"] == "validated", validated
    assert fingerprint_changes(before, fingerprint(org.session, config)) == [], (
        "a check-only deploy changed the org"
    )

    removed = False
    try:
        code, deployed = run("deploy", *changing)
        assert code == 0, deployed
        assert deployed["status"] == "deployed", deployed

        code, report = run("verify", *target)
        assert code == 0 and report["in_sync"], report

        code, mapping = run("mapping", "--config", str(config_path))
        assert code == 0, mapping
        for sobject in sorted({row["object"] for row in mapping["mappings"]}):
            wanted = {r["salesforce_field"] for r in mapping["mappings"] if r["object"] == sobject}
            assert wanted <= field_names(org, sobject), (sobject, wanted)

        code, rolled_back = run("rollback", *changing)
        assert code == 0 and rolled_back["status"] == "rolled_back", rolled_back

        code, report = run("verify", *target)
        assert code == 3 and not report["in_sync"], report
    finally:
        # Whatever happened above, take out all the setup added.
        code, removal = run("rollback", *changing, "--remove-components", "--delete-fields")
        removed = code == 0
    assert removed, removal
    changes = fingerprint_changes(before, fingerprint(org.session, config))
    assert changes == [], "the org is not as it was found:\n" + "\n\n".join(changes)
