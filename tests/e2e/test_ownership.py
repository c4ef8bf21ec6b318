"""Ours is only what we made: sections and ranges an admin made by hand stay theirs.

A section that shows our page, or is labelled "Totango", may be an admin's (Totango's
article has them set one up by hand); a range described "Totango" likewise. The deploy
records what it creates; anything else is left as it is, or adopted on request
(``--adopt``), and a rollback gives an adopted one back exactly as it was.
"""

from __future__ import annotations

import json

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.merge.layout import WidgetSection, add_widget_section
from tasks.totango_sf.merge.layout_ownership import (
    HAND_MADE_ADOPTED,
    HAND_MADE_LEFT,
    SectionRecord,
    derive_record,
    plan_section,
    take_out_section,
)
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.support.cli import as_json, cli, write_config
from tests.support.layouts import (
    ACCOUNT,
    ARTICLE,
    CUSTOMER_HEALTH,
    LEAD,
    PAGE,
    RATING,
    item,
    layout,
    put_section,
    section,
    seed_layout,
    with_section,
)


def plan_rows(result) -> dict:
    return {(c["type"], c["name"]): c for c in as_json(result)["components"]}


def deploy(config, *extra: str):
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json", *extra)
    assert result.exit_code == 0, result.output
    return as_json(result)


def rollback(config, *extra: str):
    result = cli("rollback", "--org", "emu", "--config", str(config), "--json", *extra)
    assert result.exit_code == 0, result.output
    return as_json(result)


# -- the merge, on the layout alone --------------------------------------------------

DESIRED = WidgetSection("Totango", PAGE, 290)


@pytest.mark.parametrize(
    "extra",
    [
        CUSTOMER_HEALTH,
        ARTICLE,
        section("Totango", RATING),  # labelled like ours, holding a field
        section("Insights", item(f"acme__{PAGE}", 500)),  # our page from another namespace
        section("Totango", item("Someone_Elses_Page")),
    ],
    ids=["customer-health", "article", "label-only", "other-namespace", "other-page"],
)
def test_without_a_record_a_look_alike_section_is_left_exactly_as_it_is(extra):
    before = with_section(seed_layout(ACCOUNT), extra)
    plan = plan_section(before, DESIRED, None)
    assert plan.action == "leave" and plan.record is None
    assert plan.note.startswith(HAND_MADE_LEFT)
    assert plan.layout == canonical_bytes(before)
    # Never a second widget section beside it.
    assert plan.layout.count(b"<layoutSections>") == before.count(b"<layoutSections>")


def test_a_hand_made_section_showing_the_page_covers_the_layout_one_without_does_not():
    covered = plan_section(with_section(seed_layout(ACCOUNT), ARTICLE), DESIRED, None)
    assert covered.covered
    bare = plan_section(
        with_section(seed_layout(ACCOUNT), section("Totango", RATING)), DESIRED, None
    )
    assert not bare.covered and "--adopt" in bare.note


@pytest.mark.parametrize("extra", [CUSTOMER_HEALTH, ARTICLE, section("Totango", RATING)])
def test_adopting_keeps_every_item_and_giving_back_restores_the_original(extra):
    before = with_section(seed_layout(ACCOUNT), extra)
    plan = plan_section(before, DESIRED, None, adopt=True)
    assert plan.action == "adopt" and plan.note.startswith(HAND_MADE_ADOPTED)
    assert plan.record is not None and plan.record.origin == "adopted"
    if b"Rating" in extra:
        assert b"<field>Rating</field>" in plan.layout
    assert f"<page>{PAGE}</page>".encode() in plan.layout
    assert b"<height>290</height>" in plan.layout
    again = plan_section(plan.layout, DESIRED, plan.record)
    assert again.action == "keep"
    out, outcome, note = take_out_section(plan.layout, plan.record)
    assert outcome == "given_back" and note == ""
    assert out == canonical_bytes(before)


def test_an_adopted_section_edited_since_gets_only_our_item_set_back():
    before = with_section(seed_layout(ACCOUNT), CUSTOMER_HEALTH)
    plan = plan_section(before, DESIRED, None, adopt=True)
    # After the adoption the admin changes the section (its first one) again.
    changed = plan.layout.replace(
        b"<editHeading>true</editHeading>", b"<editHeading>false</editHeading>", 1
    )
    out, outcome, note = take_out_section(changed, plan.record)
    assert outcome == "given_back" and "changed since" in note
    assert b"<height>200</height>" in out  # the admin's own item is back
    assert b"<field>Rating</field>" in out and b"<editHeading>false</editHeading>" in out
    assert b"<height>290</height>" not in out


def test_our_section_is_found_by_the_record_whatever_the_config_says_now():
    first = plan_section(seed_layout(ACCOUNT), DESIRED, None)
    assert first.action == "add"
    renamed = WidgetSection("Totango Insights", "Totango_Account_Insights_V2", 400)
    second = plan_section(first.layout, renamed, first.record)
    assert second.action == "update"
    assert second.layout.count(b"<layoutSections>") == first.layout.count(b"<layoutSections>")
    assert second.record == SectionRecord(
        "created", "Totango Insights", "Totango_Account_Insights_V2", None, second.record.deployed
    )
    out, outcome, _ = take_out_section(second.layout, second.record)
    assert outcome == "removed" and out == canonical_bytes(seed_layout(ACCOUNT))
    # With the old record the renamed section is not found: nothing is taken.
    out, outcome, _ = take_out_section(second.layout, first.record)
    assert outcome == "not_found" and out == canonical_bytes(second.layout)


def test_items_an_admin_put_into_our_section_stay_on_update_and_on_take_out():
    first = plan_section(seed_layout(ACCOUNT), DESIRED, None)
    ours = b"<layoutItems>\n                <height>290"
    assert ours in first.layout
    with_rating = canonical_bytes(
        first.layout.replace(ours, RATING.encode() + b"<layoutItems><height>290", 1)
    )
    assert b"<field>Rating</field>" in with_rating
    taller = plan_section(with_rating, WidgetSection("Totango", PAGE, 400), first.record)
    assert b"<field>Rating</field>" in taller.layout and b"<height>400</height>" in taller.layout
    out, outcome, note = take_out_section(taller.layout, taller.record)
    assert outcome == "removed" and "items added since" in note
    assert b"<field>Rating</field>" in out and f"<page>{PAGE}</page>".encode() not in out


def test_a_snapshot_without_a_record_is_read_from_its_files():
    added = plan_section(seed_layout(ACCOUNT), DESIRED, None).layout
    assert derive_record(seed_layout(ACCOUNT), added).origin == "created"
    # An older version replaced a hand-made section: that is read back as adopted, with
    # the admin's section as the original to give back.
    before = with_section(seed_layout(ACCOUNT), CUSTOMER_HEALTH)
    replaced = add_widget_section(before, DESIRED)
    record = derive_record(before, replaced)
    assert record.origin == "adopted" and "Rating" in record.original
    out, outcome, _ = take_out_section(replaced, record)
    assert outcome == "given_back" and out == canonical_bytes(before)


# -- against the org -----------------------------------------------------------------


def test_an_admins_customer_health_section_survives_deploy_and_rollback(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    before = put_section(emulator, ACCOUNT, CUSTOMER_HEALTH)

    plan = cli(
        "plan", "--org", "emu", "--config", str(config), "--json", "--out", str(tmp_path / "o")
    )
    row = plan_rows(plan)[("Layout", ACCOUNT)]
    assert row["action"] == "unchanged" and row["summary"].startswith(HAND_MADE_LEFT)

    doc = deploy(config)
    assert any(HAND_MADE_LEFT in w for w in doc["warnings"])
    assert layout(emulator) == canonical_bytes(before)
    assert b"<label>Totango</label>" in layout(emulator, LEAD)  # other layouts still get ours
    verify = cli("verify", "--org", "emu", "--config", str(config), "--json")
    assert verify.exit_code == 0, verify.output

    rollback(config)
    assert layout(emulator) == canonical_bytes(before)
    assert b"<label>Totango</label>" not in layout(emulator, LEAD)


def test_the_articles_manual_setup_survives_deploy_and_rollback_in_production(
    emulator_factory, use_org, tmp_path
):
    org = use_org(emulator_factory(flavour="production", package_installed=True))
    config = write_config(tmp_path)
    before = put_section(org, ACCOUNT, ARTICLE)
    lead = put_section(org, LEAD, section("Totango", item("totango__Totango_Lead_Insights")))

    refused = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert refused.exit_code == 2
    doc = deploy(config, "--yes")
    assert doc["status"] == "deployed"
    assert layout(org) == canonical_bytes(before)
    assert layout(org, LEAD) == canonical_bytes(lead)
    opportunity = layout(org, "Opportunity-Opportunity Layout")
    assert b"<label>Totango</label>" in opportunity

    rollback(config, "--yes")
    assert layout(org) == canonical_bytes(before)
    assert layout(org, LEAD) == canonical_bytes(lead)
    assert b"<label>Totango</label>" not in layout(org, "Opportunity-Opportunity Layout")


def test_a_namespace_config_naming_the_same_page_still_leaves_the_manual_section(
    emulator_factory, use_org, tmp_path
):
    org = use_org(emulator_factory(flavour="sandbox", package_installed=True))
    config = write_config(tmp_path, namespace="totango", widget={"generate_page": False})
    before = put_section(org, ACCOUNT, ARTICLE)
    deploy(config)
    assert layout(org) == canonical_bytes(before)
    rollback(config)
    assert layout(org) == canonical_bytes(before)


def test_adopt_takes_the_section_over_and_rollback_gives_it_back(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    before = put_section(emulator, ACCOUNT, CUSTOMER_HEALTH)

    plan = cli(
        "plan", "--org", "emu", "--config", str(config), "--json", "--adopt",
        "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert plan.exit_code == 0, plan.output
    row = plan_rows(plan)[("Layout", ACCOUNT)]
    assert row["action"] == "update" and row["summary"].startswith(HAND_MADE_ADOPTED)

    deploy(config, "--adopt")
    now = layout(emulator)
    assert b"<label>Customer Health</label>" in now and b"<field>Rating</field>" in now
    assert b"<height>290</height>" in now and b"<label>Totango</label>" not in now
    # Adopted: the next deploy without --adopt still manages it (taller page).
    taller = write_config(tmp_path, widget={"height": 400})
    deploy(taller)
    assert b"<height>400</height>" in layout(emulator)

    rollback(taller)
    assert layout(emulator) == canonical_bytes(before)


def test_adopt_is_refused_for_fleets_and_quick_deploys(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    fleet = cli(
        "deploy", "--org", "emu", "--org", "emu2", "--config", str(config), "--adopt", "--json"
    )
    assert fleet.exit_code == 2 and "--adopt" in as_json(fleet)["message"]
    quick = cli(
        "deploy", "--org", "emu", "--config", str(config), "--adopt", "--quick",
        "0Af000000000001AAA", "--json",
    )  # fmt: skip
    assert quick.exit_code == 2 and "--adopt" in as_json(quick)["message"]
    offline = cli("plan", "--config", str(config), "--adopt", "--json")
    assert offline.exit_code == 2


# -- ranges --------------------------------------------------------------------------

ADMIN_TOTANGO = (
    b"<ipRanges><description>Totango</description>"
    b"<end>5.5.5.5</end><start>5.5.5.5</start></ipRanges>"
)
ADMIN_SAME_AS_OURS = (
    b"<ipRanges><description>Totango</description>"
    b"<end>8.8.8.8</end><start>8.8.8.8</start></ipRanges>"
)


def put_ranges(emulator, *ranges: bytes) -> bytes:
    security = emulator.state.metadata_xml("Settings", "Security")
    security = security.replace(b"<networkAccess>", b"<networkAccess>" + b"".join(ranges), 1)
    emulator.state.set_metadata_xml("Settings", "Security", security)
    return security


def security(emulator) -> bytes:
    return emulator.state.metadata_xml("Settings", "Security")


@pytest.mark.parametrize("flavour", ["sandbox", "production"])
def test_a_totango_range_made_by_hand_is_never_stale_and_never_taken(
    emulator_factory, use_org, tmp_path, flavour
):
    org = use_org(emulator_factory(flavour=flavour, package_installed=False))
    yes = ["--yes"] if flavour == "production" else []
    put_ranges(org, ADMIN_TOTANGO, ADMIN_SAME_AS_OURS)
    config = write_config(tmp_path)

    plan = cli(
        "plan", "--org", "emu", "--config", str(config), "--json", "--out", str(tmp_path / "o")
    )
    warnings = json.loads(plan.stdout)["warnings"]
    assert any("made by hand: leaving it (5.5.5.5-5.5.5.5)" in w for w in warnings)
    assert "stale" not in plan_rows(plan)[("Settings", "Security")]["summary"]

    deploy(config, *yes)
    now = security(org)
    assert b"<start>5.5.5.5</start>" in now and now.count(b"<start>8.8.8.8</start>") == 1
    assert b"1.1.1.0" in now
    # A narrower config: still not stale, it is the admin's.
    narrower = write_config(tmp_path, trusted_ip_ranges={"addresses": ["1.1.1.0/24"]})
    deploy(narrower, *yes)
    now = security(org)
    assert b"<start>5.5.5.5</start>" in now and b"<start>8.8.8.8</start>" in now

    rollback(narrower, *yes)
    now = security(org)
    assert b"<start>5.5.5.5</start>" in now and b"<start>8.8.8.8</start>" in now
    assert b"1.1.1.0" not in now  # ours: gone


def test_adopting_a_range_removes_it_as_stale_and_rollback_gives_it_back(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    put_ranges(emulator, ADMIN_TOTANGO)
    config = write_config(tmp_path)
    doc = deploy(config, "--adopt")
    assert any("made by hand: adopting it (5.5.5.5-5.5.5.5)" in w for w in doc["warnings"])
    assert b"5.5.5.5" not in security(emulator)
    rollback(config)
    now = security(emulator)
    assert b"<start>5.5.5.5</start>" in now and b"<description>Totango</description>" in now
    assert b"8.8.8.8" not in now


def test_adopting_on_an_org_in_sync_is_recorded_without_a_deploy(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    deploy(config)
    put_ranges(emulator, ADMIN_SAME_AS_OURS.replace(b"8.8.8.8", b"6.6.6.6"))
    (tmp_path / "six").mkdir()
    with_six = write_config(
        tmp_path / "six", trusted_ip_ranges={"addresses": ["8.8.8.8", "1.1.1.0/24", "6.6.6.6"]}
    )
    plain = deploy(with_six)
    assert plain["status"] == "in_sync" and plain["snapshot"] is None
    adopted = deploy(with_six, "--adopt")
    assert adopted["status"] == "in_sync" and adopted["snapshot"]
    listing = as_json(cli("snapshots", "--org", "emu", "--json"))
    assert [r["kind"] for r in listing["snapshots"]] == ["deploy", "adopt"]
    origins = {r["start"]: r["origin"] for r in listing["owned"]["ranges"]}
    assert origins["6.6.6.6"] == "adopted"
    # Adopted: once the config drops it, it is stale like ours, and rollback gives it back.
    deploy(config)
    assert b"6.6.6.6" not in security(emulator)
    rollback(config)  # the inverse of that last deploy: the adopted range is back
    now = security(emulator)
    assert b"<start>6.6.6.6</start>" in now and b"<start>8.8.8.8</start>" in now
    # The uninstall gives adopted ranges back and takes ours out.
    rollback(config, "--remove-components")
    now = security(emulator)
    assert b"<start>6.6.6.6</start>" in now and b"8.8.8.8" not in now
