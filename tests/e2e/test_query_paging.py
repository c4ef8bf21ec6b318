"""Query answers come in pages, and every query the product sends reads all of them.

A real org sends at most 2,000 records per answer, with ``done: false`` and a
``nextRecordsUrl`` for the rest (REST API Developer Guide, "Execute a SOQL Query"; a
first page is recorded in ../shared/recorded/rf_query_paginated_first_page.json), Tooling
queries too. The emulator pages the same way, at a page size a test may set lower, and
keeps the locator of every page it handed out and nobody asked for
(``emulator.rest.unread_pages``): a caller that reads only the first page leaves one.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import requests

from tasks.totango_sf.salesforce.connection import OrgSession
from tasks.totango_sf.state.tracking import recent_deploys
from tests.org_emulator.rest import QUERY_PAGE_SIZE
from tests.support.cci import run_totango_sf
from tests.support.processes import project


def get(emulator, path: str) -> requests.Response:
    return requests.get(
        f"{emulator.instance_url}{path}",
        headers={"Authorization": f"Bearer {emulator.access_token}"},
        timeout=30,
    )


def query_path(soql: str, tooling: bool = False) -> str:
    return "/services/data/v63.0/" + ("tooling/" if tooling else "") + f"query/?q={quote(soql)}"


def session_of(emulator) -> OrgSession:
    return OrgSession("emu", emulator.org_config(), None)


def test_answers_page_at_2000_records_by_default():
    assert QUERY_PAGE_SIZE == 2000


def test_the_emulator_pages_rest_and_tooling_answers(emulator_factory):
    emulator = emulator_factory(query_page_size=2)
    users = len(emulator.state.rows("User"))
    assert users > 4
    for tooling in (False, True):
        first = get(emulator, query_path("SELECT Id, Name FROM User", tooling)).json()
        assert first["done"] is False and first["totalSize"] == users
        assert len(first["records"]) == 2
        names = [r["Name"] for r in first["records"]]
        page = first
        while not page["done"]:
            page = get(emulator, page["nextRecordsUrl"]).json()
            names += [r["Name"] for r in page["records"]]
            if tooling:
                assert page["size"] == users and page["entityTypeName"] == "User"
        assert sorted(names) == sorted(r["Name"] for r in emulator.state.rows("User"))
        if tooling:
            assert page["queryLocator"] is None and first["queryLocator"]
            assert "/tooling/query/" in first["nextRecordsUrl"]
    assert emulator.rest.unread_pages == set()


def test_a_page_left_unread_is_seen(emulator_factory):
    emulator = emulator_factory(query_page_size=2)
    first = get(emulator, query_path("SELECT Id FROM User")).json()
    assert emulator.rest.unread_pages == {first["nextRecordsUrl"].rsplit("/", 1)[1]}
    unknown = get(emulator, "/services/data/v63.0/query/01gNOPE-2")
    assert unknown.status_code == 400
    assert unknown.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_the_product_reads_every_page_of_rest_and_tooling_queries(emulator_factory):
    emulator = emulator_factory(query_page_size=1)
    session = session_of(emulator)
    users = session.query("SELECT Id, Name FROM User")
    assert len(users) == len(emulator.state.rows("User"))
    tooling_users = session.query("SELECT Id, Name FROM User", tooling=True)
    assert len(tooling_users) == len(emulator.state.rows("User"))
    assert emulator.rest.unread_pages == set()


def test_recent_deploys_read_every_page(emulator_factory):
    emulator = emulator_factory(query_page_size=1)
    for number in range(3):
        deploy_id = emulator.state.ids.new("0Af")
        emulator.state.insert(
            "DeployRequest", {"Id": deploy_id, "Status": "Succeeded", "CheckOnly": number > 0}
        )
    deploys = recent_deploys(session_of(emulator))
    assert len(deploys) == 3
    assert emulator.rest.unread_pages == set()


def test_unknown_sobjects_are_not_found_on_data_and_tooling_paths(emulator):
    """Salesforce's sf CLI asks for the Tooling SourceMember describe: a 404 NOT_FOUND
    means "no source tracking", anything else fails it (sfdx-core,
    Org.supportsSourceTracking). A query naming an unknown object stays INVALID_TYPE."""
    for path in (
        "/services/data/v63.0/tooling/sobjects/SourceMember/describe",
        "/services/data/v63.0/sobjects/SourceMember/describe",
        "/services/data/v63.0/sobjects/Nope__c",
        "/services/data/v63.0/tooling/sobjects/Account",  # Account is no Tooling object
    ):
        answer = get(emulator, path)
        assert answer.status_code == 404, path
        assert answer.json() == [
            {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
        ] or answer.json() == [
            {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
        ]
    refused = get(emulator, query_path("SELECT Id FROM Nope__c"))
    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "INVALID_TYPE"
    assert refused.json()[0]["message"].startswith(
        "\nSELECT Id FROM Nope__c\n               ^\nERROR at Row:1:Column:16\nsObject type"
    )


def test_tooling_describe_answers_for_a_tooling_object(emulator):
    answer = get(emulator, "/services/data/v63.0/tooling/sobjects/DeployRequest/describe")
    assert answer.status_code == 200
    described = answer.json()
    assert described["name"] == "DeployRequest"
    assert {f["name"] for f in described["fields"]} >= {"Id", "Status", "CheckOnly"}
    everything = get(emulator, "/services/data/v63.0/tooling/sobjects").json()
    assert "DeployRequest" in {s["name"] for s in everything["sobjects"]}
    assert json.dumps(everything)  # plain JSON


def test_setup_reads_every_page_at_a_page_size_of_one(emulator_factory, tmp_path):
    """Every query of a whole ``setup`` (doctor, install check, deploy, connected app,
    verify) against an org that pages after one record: the same outcome as with
    2,000 records per page, and no page left unread."""
    config = tmp_path / "totango.yml"
    config.write_text(json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}))
    outcomes = []
    for size in (1, QUERY_PAGE_SIZE):
        emulator = emulator_factory(package_installed=True, query_page_size=size)
        setup = ["setup", "--org", "emu", "--config", str(config), "--yes", "--allow-manual"]
        folder = project(tmp_path / f"run{size}")
        ran = run_totango_sf([*setup, "--json"], folder, emulator, tmp_path / f"home{size}")
        assert ran.returncode == 0, ran.stdout + ran.stderr
        result = json.loads(ran.stdout)["result"]
        outcomes.append(
            (
                [(s["stage"], s["status"], s["detail"]) for s in result["stages"]],
                [(s["step"], s["status"], s["detail"]) for s in result["steps"]],
            )
        )
        assert emulator.rest.unread_pages == set()
        paged = [c for c in emulator.history if "/query/01g" in c.path]
        assert bool(paged) == (size == 1)
    assert outcomes[0] == outcomes[1]
