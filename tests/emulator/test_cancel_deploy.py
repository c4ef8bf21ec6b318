"""cancelDeploy as the Metadata API Developer Guide describes it (cancelDeploy()).

A queued deploy is canceled at once (done true); a running one answers done false and
goes Canceling, then Canceled; a finished one is refused with INVALID_ID_FIELD
"Deployment already completed". From API 65.0 a deploy in "Finalizing Deploy" cannot be
cancelled; below 65.0 the cancel succeeds but the deploy's data is committed.
"""

from __future__ import annotations

import pytest
import requests

from tests.support.mdapi import (
    MD,
    SOAP,
    assert_schema_valid,
    body_child,
    layout_package,
    zip_b64,
)

SECTION = b"<label>Totango</label>"


def call(emulator, body: str, version: str = "63.0") -> tuple[int, bytes]:
    envelope = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}"><soapenv:Header>'
        f'<SessionHeader xmlns="{MD}"><sessionId>{emulator.access_token}</sessionId>'
        f"</SessionHeader></soapenv:Header><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )
    response = requests.post(
        f"{emulator.instance_url}/services/Soap/m/{version}/{emulator.org_id}",
        data=envelope.encode(),
        headers={"Content-Type": "text/xml", "SOAPAction": "x"},
        timeout=10,
    )
    return response.status_code, response.content


def deploy(emulator) -> str:
    _, content = call(
        emulator,
        f'<deploy xmlns="{MD}"><ZipFile>{zip_b64(layout_package("P1"))}</ZipFile>'
        "<DeployOptions><rollbackOnError>true</rollbackOnError></DeployOptions></deploy>",
    )
    return body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}id")


def check(emulator, deploy_id: str):
    _, content = call(
        emulator,
        f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{deploy_id}</asyncProcessId>'
        "<includeDetails>true</includeDetails></checkDeployStatus>",
    )
    assert_schema_valid(content)
    result = body_child(content).find(f"{{{MD}}}result")
    return result.findtext(f"{{{MD}}}status"), result.findtext(f"{{{MD}}}stateDetail")


def cancel(emulator, deploy_id: str, version: str = "63.0") -> tuple[int, bytes]:
    return call(
        emulator, f'<cancelDeploy xmlns="{MD}"><String>{deploy_id}</String></cancelDeploy>', version
    )


def done_of(content: bytes) -> str:
    return body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}done")


def layout(emulator) -> bytes:
    return emulator.state.metadata_xml("Layout", "Account-Account Layout")


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_running_deploy_goes_canceling_then_canceled_and_applies_nothing(
    emulator_factory, flavour
):
    emulator = emulator_factory(flavour=flavour, deploy_polls=6, deploy_tick=1000)
    deploy_id = deploy(emulator)
    assert [check(emulator, deploy_id)[0] for _ in range(2)] == ["Pending", "InProgress"]
    status, content = cancel(emulator, deploy_id)
    assert status == 200 and done_of(content) == "false"
    assert_schema_valid(content)
    assert [check(emulator, deploy_id)[0] for _ in range(3)] == [
        "Canceling",
        "Canceled",
        "Canceled",
    ]
    assert SECTION not in layout(emulator)
    row = emulator.state.get("DeployRequest", deploy_id)
    assert row["Status"] == "Canceled"


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_queued_deploy_is_canceled_at_once(emulator_factory, flavour):
    emulator = emulator_factory(flavour=flavour, deploy_polls=6, deploy_tick=1000)
    deploy_id = deploy(emulator)
    _, content = cancel(emulator, deploy_id)
    assert done_of(content) == "true"
    assert check(emulator, deploy_id)[0] == "Canceled"


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_a_finished_or_unknown_deploy_is_refused_in_the_guides_words(emulator_factory, flavour):
    emulator = emulator_factory(flavour=flavour, deploy_polls=1, deploy_tick=1000)
    deploy_id = deploy(emulator)
    assert check(emulator, deploy_id)[0] == "Succeeded"
    status, content = cancel(emulator, deploy_id)
    assert status == 500
    assert b"INVALID_ID_FIELD" in content and b"Deployment already completed" in content
    status, content = cancel(emulator, "0Af000000000000AAA")
    assert status == 500 and b"Invalid deploy ID" in content


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_from_api_65_a_finalizing_deploy_is_not_cancelled(emulator_factory, flavour):
    emulator = emulator_factory(flavour=flavour, deploy_polls=3, deploy_tick=1000)
    deploy_id = deploy(emulator)
    assert [check(emulator, deploy_id) for _ in range(2)] == [
        ("Pending", None),
        ("InProgress", "Finalizing Deploy"),
    ]
    status, content = cancel(emulator, deploy_id, "65.0")
    assert status == 200 and done_of(content) == "false"
    assert check(emulator, deploy_id)[0] == "Succeeded"
    assert SECTION in layout(emulator)


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
def test_below_api_65_a_finalizing_deploy_is_canceled_with_its_data_committed(
    emulator_factory, flavour
):
    emulator = emulator_factory(flavour=flavour, deploy_polls=3, deploy_tick=1000)
    deploy_id = deploy(emulator)
    assert check(emulator, deploy_id) == ("Pending", None)
    assert check(emulator, deploy_id) == ("InProgress", "Finalizing Deploy")
    _, content = cancel(emulator, deploy_id, "64.0")
    assert done_of(content) == "false"
    assert [check(emulator, deploy_id)[0] for _ in range(2)] == ["Canceling", "Canceled"]
    assert SECTION in layout(emulator)
