"""The toolkit reads every recorded real-org answer (no org needed).

``answer_readers.read_answer`` is what the live tests run on each answer a live org
sends; here it reads each recording of ../shared/recorded, sent back as the answer to
the request that produced it, so a reader that breaks on a real org's shape fails here
first.
"""

from __future__ import annotations

import pytest

from tests.support.answer_readers import Unread, read_answer
from tests.support.org_traffic import Exchange
from tests.support.recorded_answers import RECORDED, RECORDED_ABSENT, load, recording_names

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
BASE = "https://example.my.salesforce.com"
# The REST request each JSON recording answers: (method, path).
REST = {
    "cci_query_user.json": ("GET", "/services/data/v63.0/query/"),
    "cci_query_invalid_field.json": ("GET", "/services/data/v63.0/query/"),
    "rf_query_empty.json": ("GET", "/services/data/v63.0/query/"),
    "rf_query_paginated_first_page.json": ("GET", "/services/data/v63.0/query/"),
    "sublimeapex23_malformed_query.txt": ("GET", "/services/data/v63.0/query/"),
    "cci_tooling_query_apexclass.json": ("GET", "/services/data/v63.0/tooling/query/"),
    "cci_get_organization.json": ("GET", "/services/data/v63.0/sobjects/Organization/x"),
    "cci_describe_account.json": ("GET", "/services/data/v63.0/sobjects/Account/describe"),
    "cci_global_describe.json": ("GET", "/services/data/v63.0/sobjects"),
    "cci_create_account.json": ("POST", "/services/data/v63.0/sobjects/Account/"),
    "cci_composite_sobjects_create.json": ("POST", "/services/data/v63.0/composite/sobjects"),
    "cci_composite_sobject_not_found.json": ("POST", "/services/data/v63.0/composite"),
    "cci_composite_query_invalid_type.json": ("POST", "/services/data/v63.0/composite"),
    "rf_expired_session.json": ("GET", "/services/data/v63.0/query/"),
    "rf_versions.json": ("GET", "/services/data"),
    "wadewegner201_oauth_refresh.json": ("POST", "/services/oauth2/token"),
    "rf_refresh_error.json": ("POST", "/services/oauth2/token"),
}


def _names() -> list[str]:
    return recording_names() if RECORDED.is_dir() else ["(no recordings)"]


def as_exchange(name: str) -> Exchange:
    """The recording as the answer to its request."""
    import json

    from lxml import etree

    recording = load(name)
    status = recording.status or 200
    if recording.kind == "soap":
        answer = recording.answer
        operation = etree.QName(answer).localname.removesuffix("Response")
        text = (RECORDED / name).read_text(encoding="utf-8").strip()
        if operation == "Fault":
            operation, status = "listMetadata", 500
        if not text.startswith("<?xml") and not text.startswith("<soapenv:Envelope"):
            # A fault's content as a client printed it: the envelope put back around it.
            text = (
                f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}"'
                ' xmlns:sf="http://soap.sforce.com/2006/04/metadata"><soapenv:Body>'
                f"<soapenv:Fault>{text}</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
            )
        content = text.encode("utf-8")
        request = (
            f'<e:Envelope xmlns:e="{SOAP_NS}"><e:Body><{operation}'
            ' xmlns="http://soap.sforce.com/2006/04/metadata"/></e:Body></e:Envelope>'
        ).encode()
        url = f"{BASE}/services/Soap/m/63.0/00D000000000000"
        return Exchange("POST", url, {}, request, status, {}, content)
    method, path = REST[name]
    content = json.dumps(recording.answer).encode()
    return Exchange(method, f"{BASE}{path}", {}, b"", status, {}, content)


# Recordings the toolkit rightly cannot read, and why.
UNREADABLE = {
    "js_check_retrieve_succeeded.xml": "its zipFile was cut short by the source it came from",
}


@pytest.mark.parametrize("name", _names())
def test_the_toolkit_reads_each_recorded_answer(name):
    if not RECORDED.is_dir():
        pytest.skip(RECORDED_ABSENT)
    if name in UNREADABLE:
        with pytest.raises(Unread, match="zip"):
            read_answer(as_exchange(name))
        return
    reading = read_answer(as_exchange(name))
    assert reading and "\n" not in reading


def test_what_the_readers_say_of_some_answers():
    if not RECORDED.is_dir():
        pytest.skip(RECORDED_ABSENT)
    said = {n: read_answer(as_exchange(n)) for n in recording_names() if n not in UNREADABLE}
    assert said["ss_check_deploy_succeeded.xml"].startswith("deploy Succeeded")
    assert said["ss_check_deploy_failed_no_package.xml"] == "deploy Failed, 1 component failure(s)"
    assert said["js_fault_invalid_session.xml"] == "fault sf:INVALID_SESSION_ID"
    assert said["cci_check_retrieve_unknown_package.xml"] == (
        "retrieve refused: UNKNOWN_EXCEPTION: INVALID_CROSS_REFERENCE_KEY: No package named"
        " 'Abacus' found"
    )
    assert said["js_list_metadata_results.xml"] == "listMetadata: 2 row(s)"
    assert said["rf_expired_session.json"].startswith("refused: INVALID_SESSION_ID")
    assert said["rf_refresh_error.json"] == "token refused: invalid_grant"
    assert said["rf_query_paginated_first_page.json"].endswith("done False")
