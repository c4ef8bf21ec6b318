"""No token, session id, org id, user name or instance host survives in a recording.

No org needed: the answers below are shaped as a Developer Edition org sends them (a
token refresh, the identity and Organization record CumulusCI reads, a User query, a
deploy status, a retrieve whose zip names the org, a refused session), with secrets of
the shapes real ones have. They go through ``write_recordings`` as a live run's traffic
does, and every file written, and SOURCES.tsv, is searched for each secret. The scrubbed
answers still have the recorded structure (``compare_json``, ``compare_xml``).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from tests.support.org_traffic import Exchange, changes_an_org
from tests.support.recorded_answers import body_child, compare_json, compare_xml
from tests.support.recording_scrub import (
    NotScrubbed,
    OrgDescription,
    Scrubber,
    recording_stem,
    write_recordings,
)

ORG_ID = "00D5g000004ABCDEA2"
ACCESS_TOKEN = "00D5g000004ABCD!AQ0AQHb8eXK1qJ.sZ3o7f_4Wl2nVjGf0pY9mQa8LkT6uR3wHc1Zb"
NEW_TOKEN = "00D5g000004ABCD!AQ0AQNp2Yq8vVbT0c.Xa4kGm7sHf1uW9eZr3dLj6nQo2tIy5BxK"
REFRESH_TOKEN = "5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJrfBh8Oh9Fwk3uZMnA7rEnDqlQ"
SIGNATURE = "Dk+RfR7kFZ3tq9mNcY0bXw1LpE5sVh8uJ2aGi6oKzTQ="
CLIENT_SECRET = "8C1A0E3F9B2D4E6A7C5B3D1F0E9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E2F1A"
USERNAME = "jane.doe@acme.com.devorg"
EMAIL = "jane.doe@acme.com"
HOST = "acme-dev-ed.develop.my.salesforce.com"
VF_HOST = "acme-dev-ed--c.develop.vf.force.com"
PERSON = "Jane Doe"
COMPANY = "Acme Anvils Ltd"
SECRETS = [
    ORG_ID,
    ORG_ID[:15],
    ACCESS_TOKEN,
    NEW_TOKEN,
    "AQ0AQNp2Yq8vVbT0c",
    REFRESH_TOKEN,
    SIGNATURE,
    CLIENT_SECRET,
    USERNAME,
    EMAIL,
    "acme-dev-ed",
    PERSON,
    "Doe",
    COMPANY,
    "USA544S",
]
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MD_NS = "http://soap.sforce.com/2006/04/metadata"


def exchange(
    method: str,
    path: str,
    answer: object,
    *,
    status: int = 200,
    request: bytes = b"",
    host: str = HOST,
    token: str | None = ACCESS_TOKEN,
) -> Exchange:
    content = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Exchange(method, f"https://{host}{path}", headers, request, status, {}, content)


def soap_request(operation: str) -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}"><soapenv:Header><SessionHeader'
        f' xmlns="{MD_NS}"><sessionId>{NEW_TOKEN}</sessionId></SessionHeader></soapenv:Header>'
        f'<soapenv:Body><{operation} xmlns="{MD_NS}"/></soapenv:Body></soapenv:Envelope>'
    ).encode()


def soap_answer(body: str, namespace: str = "") -> bytes:
    """An answer envelope; a fault binds the metadata namespace to ``sf`` (``namespace``)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_NS}"'
        f' xmlns{namespace}="{MD_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def retrieved_zip() -> str:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "unpackaged/settings/Security.settings",
            f"<SecuritySettings><networkAccess><ipRanges><description>added by {EMAIL} for"
            f" {COMPANY} ({ORG_ID})</description><end>8.8.8.8</end><start>8.8.8.8</start>"
            "</ipRanges></networkAccess></SecuritySettings>",
        )
        archive.writestr(
            "unpackaged/pages/Totango_Account_Insights.page",
            f'<apex:page><iframe src="https://{VF_HOST}/apex/x?sid={NEW_TOKEN}"/></apex:page>',
        )
        archive.writestr("unpackaged/staticresources/logo.resource", b"\x89PNG\x00\xff" + b"\x00")
    return base64.b64encode(out.getvalue()).decode()


def traffic() -> list[Exchange]:
    token_form = (
        f"grant_type=refresh_token&refresh_token={REFRESH_TOKEN}&client_id=PlatformCLI"
        f"&client_secret={CLIENT_SECRET}"
    ).encode()
    organization = {
        "attributes": {
            "type": "Organization",
            "url": f"/services/data/v63.0/sobjects/Organization/{ORG_ID}",
        },
        "Id": ORG_ID,
        "Name": COMPANY,
        "Street": "1 Anvil Way",
        "City": "Springfield",
        "Phone": "+1 555 0100",
        "PrimaryContact": PERSON,
        "OrganizationType": "Developer Edition",
        "InstanceName": "USA544S",
        "IsSandbox": False,
        "TrialExpirationDate": None,
    }
    return [
        exchange(
            "POST",
            "/services/oauth2/token",
            {
                "access_token": NEW_TOKEN,
                "signature": SIGNATURE,
                "scope": "refresh_token web api",
                "instance_url": f"https://{HOST}",
                "id": f"https://login.salesforce.com/id/{ORG_ID}/0055g00000AbCdEAAW",
                "token_type": "Bearer",
                "issued_at": "1717171717171",
            },
            request=token_form,
            host="login.salesforce.com",
            token=None,
        ),
        exchange(
            "GET",
            "/services/oauth2/userinfo",
            {
                "sub": f"https://login.salesforce.com/id/{ORG_ID}/0055g00000AbCdEAAW",
                "organization_id": ORG_ID,
                "preferred_username": USERNAME,
                "name": PERSON,
                "given_name": "Jane",
                "family_name": "Doe",
                "email": EMAIL,
                "urls": {"rest": f"https://{HOST}/services/data/v{{version}}/"},
            },
            token=NEW_TOKEN,
        ),
        exchange("GET", f"/services/data/v63.0/sobjects/Organization/{ORG_ID}", organization),
        exchange(
            "GET",
            "/services/data/v63.0/query/?q=SELECT+Username,Name,Email+FROM+User",
            {
                "totalSize": 1,
                "done": True,
                "records": [
                    {
                        "attributes": {"type": "User", "url": "/services/data/v63.0/sobjects/x"},
                        "Username": USERNAME,
                        "Name": PERSON,
                        "Email": EMAIL,
                    }
                ],
            },
        ),
        exchange(
            "POST",
            f"/services/Soap/m/63.0/{ORG_ID}",
            soap_answer(
                "<checkDeployStatusResponse><result><checkOnly>true</checkOnly><createdBy>"
                f"0055g00000AbCdE</createdBy><createdByName>{PERSON}</createdByName><done>true"
                "</done><id>0Af5g00000XyZabCAB</id><status>Succeeded</status><success>true"
                "</success></result></checkDeployStatusResponse>"
            ),
            request=soap_request("checkDeployStatus"),
            token=None,
        ),
        exchange(
            "POST",
            f"/services/Soap/m/63.0/{ORG_ID}",
            soap_answer(
                "<checkRetrieveStatusResponse><result><done>true</done><fileProperties>"
                f"<createdByName>{PERSON}</createdByName><fileName>settings/Security.settings"
                "</fileName></fileProperties><id>09S5g00000AbCdEEAV</id><status>Succeeded"
                f"</status><success>true</success><zipFile>{retrieved_zip()}</zipFile></result>"
                "</checkRetrieveStatusResponse>"
            ),
            request=soap_request("checkRetrieveStatus"),
            token=None,
        ),
        exchange(
            "GET",
            f"/services/data/v63.0/query/?q=SELECT+Id+FROM+Organization&sid={ACCESS_TOKEN}",
            [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
            status=401,
        ),
        exchange(
            "POST",
            f"/services/Soap/m/63.0/{ORG_ID}",
            soap_answer(
                "<soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>"
                f"INVALID_SESSION_ID: Invalid Session ID found in SessionHeader for {USERNAME}"
                f" at https://{HOST}</faultstring></soapenv:Fault>",
                namespace=":sf",
            ),
            status=500,
            request=soap_request("listMetadata"),
            token=None,
        ),
    ]


def written_texts(folder: Path) -> dict[str, str]:
    texts = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    for name, text in list(texts.items()):
        if "<zipFile>" in text:
            encoded = text.split("<zipFile>", 1)[1].split("</zipFile>", 1)[0]
            with zipfile.ZipFile(io.BytesIO(base64.b64decode(encoded))) as archive:
                for member in archive.namelist():
                    texts[f"{name}!{member}"] = member + archive.read(member).decode("utf-8")
    return texts


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    org = OrgDescription("Developer Edition", "developer", "63.0")
    write_recordings(tmp_path, traffic(), Scrubber(), org, "2025-06-01")
    return tmp_path


def test_no_secret_survives_in_any_recording_or_in_sources(recorded):
    texts = written_texts(recorded)
    assert "SOURCES.tsv" in texts and len(texts) > len(traffic())
    for name, text in texts.items():
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), f"{name} still holds {secret!r}"


def test_each_answer_is_a_file_named_as_the_shared_recordings_are(recorded):
    with (recorded / "SOURCES.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert [r["file"] for r in rows] == [
        "live_developer_oauth_refresh.json",
        "live_developer_userinfo.json",
        "live_developer_get_organization.json",
        "live_developer_query.json",
        "live_developer_check_deploy_succeeded.xml",
        "live_developer_check_retrieve_succeeded.xml",
        "live_developer_query_invalid_session_id.json",
        "live_developer_fault_invalid_session_id.xml",
    ]
    assert list(rows[0]) == ["file", "repo_or_url", "path", "commit", "what"]
    assert all(f"HTTP {e.status}" in r["what"] for r, e in zip(rows, traffic(), strict=True))
    assert rows[2]["path"] == ("GET /services/data/v63.0/sobjects/Organization/00D000000000000AAA")


def test_scrubbed_answers_keep_the_recorded_structure(recorded):
    for original in traffic():
        stem = recording_stem(original)
        scrubbed = sorted(recorded.glob(f"live_developer_{stem}.*"))[0].read_bytes()
        if original.soap:
            problems = compare_xml(body_child(original.content), body_child(scrubbed))
        else:
            problems = compare_json(json.loads(original.content), json.loads(scrubbed))
        # A message that named the user or the host has other words once scrubbed.
        problems = [p for p in problems if "is not in the recorded words" not in p]
        assert problems == [], (stem, problems)


def test_the_session_learned_from_a_soap_header_is_scrubbed_anywhere(recorded):
    # The SOAP request carried NEW_TOKEN; the retrieved page quoted it in a URL.
    texts = written_texts(recorded)
    page = next(t for n, t in texts.items() if n.endswith(".page"))
    assert "sid=SCRUBBED-SESSION-ID" in page and "example.my.salesforce.com" in page
    binary = next(t for n, t in texts.items() if n.endswith(".resource"))
    assert binary.endswith(".resource")  # a binary file is kept by name, emptied


def test_recording_into_a_folder_of_recordings_keeps_its_rows(tmp_path: Path):
    (tmp_path / "SOURCES.tsv").write_text(
        "file\trepo_or_url\tpath\tcommit\twhat\nss_x.xml\tsome/repo\ta/b.py\tabc\tHTTP 200\n"
    )
    org = OrgDescription("Developer Edition", "scratch", "63.0")
    write_recordings(tmp_path, traffic()[:2], Scrubber(), org, "2025-06-01")
    write_recordings(tmp_path, traffic()[:2], Scrubber(), org, "2025-06-01")
    lines = (tmp_path / "SOURCES.tsv").read_text().splitlines()
    assert lines[1].startswith("ss_x.xml\t") and len(lines) == 4


def test_a_file_that_would_keep_a_secret_is_refused(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(Scrubber, "text", lambda self, text: text)
    org = OrgDescription("Developer Edition", "developer", "63.0")
    with pytest.raises(NotScrubbed, match="token|org id|user name|host"):
        write_recordings(tmp_path, traffic(), Scrubber(), org, "2025-06-01")
    assert not any(ACCESS_TOKEN in p.read_text() for p in tmp_path.iterdir() if p.is_file())


def test_a_check_only_deploy_and_a_composite_of_gets_change_nothing():
    check_only = exchange(
        "POST",
        "/services/Soap/m/63.0/x",
        b"",
        request=soap_request("deploy") + b"<checkOnly>true</checkOnly>",
    )
    deploy = exchange("POST", "/services/Soap/m/63.0/x", b"", request=soap_request("deploy"))
    gets = json.dumps({"compositeRequest": [{"method": "GET", "url": "/x"}]}).encode()
    posts = json.dumps({"compositeRequest": [{"method": "POST", "url": "/x"}]}).encode()
    composite = "/services/data/v63.0/composite"
    assert not changes_an_org(check_only)
    assert changes_an_org(deploy)
    assert not changes_an_org(exchange("POST", composite, b"", request=gets))
    assert changes_an_org(exchange("POST", composite, b"", request=posts))
    assert not changes_an_org(exchange("POST", "/services/oauth2/token", b""))
    assert changes_an_org(exchange("PATCH", "/services/data/v63.0/sobjects/User/x", b""))
