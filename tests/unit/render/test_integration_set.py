"""The offline plan ships the integration permission set, and warns while no user is named."""

from __future__ import annotations

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.config.model import build_config


def test_offline_plan_ships_the_integration_set_and_warns_without_a_user():
    from tasks.totango_sf.metadata.safe_xml import parse_xml
    from tasks.totango_sf.render.plan import build_plan

    plan = build_plan(build_config({}))
    assert any("integration.username is not set" in w for w in plan.warnings)
    (component,) = [c for c in plan.components if c.full_name == "Totango_Integration"]
    md = "{http://soap.sforce.com/2006/04/metadata}"
    perms = {
        p.findtext(f"{md}field"): p.findtext(f"{md}editable")
        for p in parse_xml(component.xml).iter(f"{md}fieldPermissions")
    }
    assert len(perms) == 12 * 3
    assert perms["Lead.Totango_Health_Icon__c"] == "false"  # formula: read only
    assert {v for k, v in perms.items() if "Health_Icon" not in k} == {"true"}
    named = build_plan(build_config({"integration": {"username": "tt@example.com"}}))
    assert not any("integration.username" in w for w in named.warnings)
