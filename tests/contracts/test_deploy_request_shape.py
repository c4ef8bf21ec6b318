"""The org's deploy list (Tooling API ``DeployRequest``) as a real org answers it.

``tests/fixtures/recorded/deploy_request_query.json`` holds three records of a real
Tooling API query on DeployRequest (API v55.0), cut from a public recording:
github.com/mohan-chinnappan-n/cli-dx, ``deployment/depolymentStatus.json``, saved by
an sfdx plugin (``sfdx mohanc:tooling:query ... -f json``; the query is in
``deployment/ds.md``). The plugin printed the query's ``records``; the envelope around
them (``totalSize``, ``done``, ``records``) is the REST API's query response.

The emulator's answer must have that shape (field names, ``attributes``, date format,
status values), and the product must read the recorded rows as it reads the emulator's.
"""

from __future__ import annotations

import json
import re

import pytest

from tasks.totango_sf.state.tracking import (
    ACTIVE_STATUSES,
    RECENT_DEPLOYS,
    DeployInFlight,
    _parse_time,
    recent_deploys,
    refuse_if_in_flight,
)
from tests.org_emulator.sobjects import SOBJECTS
from tests.support.mdapi import MD, layout_package, soap_call, zip_b64
from tests.support.paths import FIXTURES

RECORDED = json.loads((FIXTURES / "recorded" / "deploy_request_query.json").read_text())
# Metadata API DeployResult.status (Metadata API Developer Guide, "DeployResult"):
# the values a DeployRequest's Status takes; the recording shows the finished ones.
STATUSES = {"Pending", "InProgress", "Succeeded", "SucceededPartial", "Failed", "Canceling",
            "Canceled"}  # fmt: skip
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
URL = re.compile(r"^/services/data/v\d+\.\d/tooling/sobjects/DeployRequest/(\w+)$")
PRODUCT_FIELDS = re.match(r"SELECT (.*) FROM", RECENT_DEPLOYS).group(1).split(", ")  # type: ignore[union-attr]


class Rows:
    """A session whose Tooling query answers with fixed rows."""

    name = "recorded"

    def __init__(self, rows: list[dict]):
        self.rows = rows
        self.queries: list[tuple[str, bool]] = []

    def query(self, soql: str, tooling: bool = False) -> list[dict]:
        self.queries.append((soql, tooling))
        return self.rows


def check_shape(row: dict) -> None:
    """What the recording shows of every DeployRequest record."""
    assert set(row["attributes"]) == {"type", "url"}
    assert row["attributes"]["type"] == "DeployRequest"
    url = URL.match(row["attributes"]["url"])
    assert url and url.group(1) == row["Id"]
    assert row["Id"].startswith("0Af") and len(row["Id"]) == 18
    assert DATE.match(row["CreatedDate"])
    assert isinstance(row["CheckOnly"], bool)
    assert row["Status"] in STATUSES


def test_the_recording_has_the_shape_this_test_checks():
    assert {r["Status"] for r in RECORDED} == {"Canceled", "Succeeded", "Failed"}
    for row in RECORDED:
        check_shape(row)


def test_every_field_the_product_and_the_emulator_name_is_in_the_recording():
    recorded = set(RECORDED[0]) - {"attributes"}
    assert set(PRODUCT_FIELDS) <= recorded
    assert set(SOBJECTS["DeployRequest"].fields) <= recorded


def test_the_emulators_deploy_list_answers_in_the_recorded_shape(emulator):
    for page in ("P1", "P2"):
        soap_call(
            emulator,
            f'<deploy xmlns="{MD}"><ZipFile>{zip_b64(layout_package(page))}</ZipFile>'
            "<DeployOptions><checkOnly>true</checkOnly></DeployOptions></deploy>",
        )
    session = emulator_session(emulator)
    rows = recent_deploys(session)
    assert len(rows) == 2
    for row in rows:
        check_shape(row)
        assert set(row) == {"attributes", *PRODUCT_FIELDS}
        assert row["CheckOnly"] is True
    # One runs, the other waits behind it, as the org's queue does.
    assert {r["Status"] for r in rows} <= {"Pending", "InProgress", "Succeeded", "Failed"}


def emulator_session(emulator):
    from tasks.totango_sf.salesforce.connection import OrgSession

    return OrgSession("emu", emulator.org_config(), None)


def test_the_product_reads_the_recorded_rows():
    session = Rows(RECORDED)
    refuse_if_in_flight(session)  # all finished: nothing in flight
    assert session.queries == [(RECENT_DEPLOYS, True)]
    stamps = [_parse_time(r["CreatedDate"]) for r in RECORDED]
    assert all(s is not None and s.utcoffset().total_seconds() == 0 for s in stamps)  # type: ignore[union-attr]
    assert stamps[0].isoformat() == "2022-07-12T20:52:55+00:00"  # type: ignore[union-attr]


@pytest.mark.parametrize("status", ACTIVE_STATUSES)
def test_a_recorded_row_still_running_stops_a_new_deploy(status):
    rows = [dict(RECORDED[1], Status=status), *RECORDED]
    with pytest.raises(DeployInFlight) as caught:
        refuse_if_in_flight(Rows(rows))
    assert caught.value.deploy_id == RECORDED[1]["Id"] and caught.value.status == status
