"""The org emulator answers as real orgs answered: every recording in ../shared/recorded.

Each file in ``../shared/recorded/`` is one answer of a real org (``SOURCES.tsv`` names
where it comes from). The table below says which request produced it; the test sends
that request to a fresh emulator and compares the answer's structure with the recording
(``recorded_answers`` says what is compared: element names, namespaces, nesting, sequence
order, text formats, HTTP status, keys, value types, error codes and words).

A recording the table does not map to a request fails with its file name: a recording
added to the folder needs a request here, it is never skipped. Where the request must
differ from the recorded one (the recorded org held other objects), the case says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tasks.totango_sf.metadata.package_xml import package_xml
from tasks.totango_sf.salesforce.metadata_api import zip_base64
from tests.org_emulator.emulator import OrgEmulator
from tests.support.org_probe import API, Answer, OrgProbe
from tests.support.recorded_answers import (
    MD_NS,
    RECORDED,
    RECORDED_ABSENT,
    SOAP_NS,
    RecordingUnreadable,
    answer_problems,
    body_child,
    compare_json,
    compare_xml,
    load,
    recording_names,
    sources,
)


@dataclass
class Probe(OrgProbe):
    """A fresh emulator per case (``make`` builds it) and the calls a case sends
    (``OrgProbe``; the same calls reach a live org in tests/live)."""

    make: Callable[..., OrgEmulator]
    emulator: OrgEmulator | None = None

    def org(self, **options) -> OrgEmulator:
        self.emulator = self.make(**options)
        return self.emulator

    @property
    def emu(self) -> OrgEmulator:
        return self.emulator or self.org()

    @property
    def instance_url(self) -> str:
        return self.emu.instance_url

    @property
    def access_token(self) -> str:
        return self.emu.access_token

    @property
    def org_id(self) -> str:
        return self.emu.org_id

    def deploy(
        self,
        *,
        check_only: bool = False,
        files: dict[str, bytes] | None = None,
        test_level: str = "NoTestRun",
    ) -> str:
        if files is None:
            files = self.security_package()
        return super().deploy(files, check_only=check_only, test_level=test_level)

    def security_package(self) -> dict[str, bytes]:
        """The org's own Security.settings and its package.xml: a deploy that changes nothing."""
        security = self.emu.state.component("Settings", "Security") or {}
        return {**security, "package.xml": package_xml([("Settings", "Security")], API)}

    def check_deploy_until(self, deploy_id: str, statuses: set[str]) -> Answer:
        answer = super().check_deploy_until(deploy_id, statuses)
        if answer is None:
            raise AssertionError(f"deploy {deploy_id} never reached {statuses}")
        return answer


def _zip_without_package_xml() -> dict[str, bytes]:
    return {"settings/Security.settings": b"<SecuritySettings/>"}


# -- the table: recording -> the request that produced it ----------------------------
@dataclass(frozen=True)
class Case:
    send: Callable[[Probe], Answer]
    status: int
    # Other recordings of the same operation whose element shapes are also real (for
    # rows a recording left out); the answer's top element still follows this one.
    pooled: tuple[str, ...] = ()
    # Record fields of the recorded org's objects that the emulator's objects lack,
    # named by the field the case queries instead: {emulator's name: recorded name}.
    renamed: tuple[tuple[str, str], ...] = ()


CASES: dict[str, Case] = {}


def case(
    name: str,
    status: int,
    pooled: tuple[str, ...] = (),
    renamed: tuple[tuple[str, str], ...] = (),
):
    def register(send: Callable[[Probe], Answer]) -> Callable[[Probe], Answer]:
        CASES[name] = Case(send, status, pooled, renamed)
        return send

    return register


# Metadata API: deploys.
@case("ss_deploy_queued.xml", 200)
def _deploy_queued(probe: Probe) -> Answer:
    return probe.soap(
        f'<deploy xmlns="{MD_NS}"><ZipFile>{zip_base64(probe.security_package())}</ZipFile>'
        "<DeployOptions><rollbackOnError>true</rollbackOnError></DeployOptions></deploy>"
    )


@case("ss_check_deploy_pending.xml", 200)
def _check_pending(probe: Probe) -> Answer:
    # A deploy waits (Pending) while another one runs.
    probe.org(deploy_polls=50, deploy_tick=1000)
    probe.deploy()
    return probe.check_deploy_until(probe.deploy(check_only=True), {"Pending"})


@case("ss_check_deploy_in_progress.xml", 200)
def _check_in_progress(probe: Probe) -> Answer:
    probe.org(deploy_polls=50, deploy_tick=1000)
    return probe.check_deploy_until(probe.deploy(), {"InProgress"})


@case("ic2753_check_deploy_validation_in_progress.xml", 200)
def _check_validation_in_progress(probe: Probe) -> Answer:
    probe.org(deploy_polls=50, deploy_tick=1000)
    return probe.check_deploy_until(probe.deploy(check_only=True), {"InProgress"})


@case("ss_check_deploy_succeeded.xml", 200)
def _check_succeeded(probe: Probe) -> Answer:
    return probe.check_deploy_until(probe.deploy(), {"Succeeded"})


@case("ss_check_deploy_failed_no_package.xml", 200)
def _check_failed_no_package(probe: Probe) -> Answer:
    deploy_id = probe.deploy(check_only=True, files=_zip_without_package_xml())
    return probe.check_deploy_until(deploy_id, {"Failed"})


@case("haoide107_fault_notestrun.txt", 500)
def _fault_no_test_run(probe: Probe) -> Answer:
    probe.org(flavour="production")
    return probe.soap(
        f'<deploy xmlns="{MD_NS}"><ZipFile>{zip_base64(probe.security_package())}</ZipFile>'
        "<DeployOptions><testLevel>NoTestRun</testLevel></DeployOptions></deploy>"
    )


# Metadata API: retrieves and listMetadata.
@case("js_retrieve_queued.xml", 200)
def _retrieve_queued(probe: Probe) -> Answer:
    return probe.soap(
        f'<retrieve xmlns="{MD_NS}"><retrieveRequest><apiVersion>{API}</apiVersion>'
        "<singlePackage>true</singlePackage><unpackaged><types><members>Security</members>"
        "<name>Settings</name></types></unpackaged></retrieveRequest></retrieve>"
    )


@case("js_check_retrieve_succeeded.xml", 200, pooled=("cci_check_retrieve_missing_members.xml",))
def _check_retrieve_succeeded(probe: Probe) -> Answer:
    # The recording (jetstream's) left out the package.xml row the other recording holds.
    request = (
        "<unpackaged><types><members>Security</members><name>Settings</name></types></unpackaged>"
    )
    return probe.check_retrieve(probe.retrieve(request))


@case("cci_check_retrieve_missing_members.xml", 200)
def _check_retrieve_missing(probe: Probe) -> Answer:
    request = (
        "<unpackaged><types><members>Delivery__c.Status__c</members><name>CustomField</name>"
        "</types><types><members>Delivery__c-Delivery Layout</members><name>Layout</name>"
        "</types></unpackaged>"
    )
    return probe.check_retrieve(probe.retrieve(request))


@case("cci_check_retrieve_unknown_package.xml", 200)
def _check_retrieve_unknown_package(probe: Probe) -> Answer:
    return probe.check_retrieve(probe.retrieve("<packageNames>Abacus</packageNames>"))


@case("js_list_metadata_results.xml", 200)
def _list_metadata_results(probe: Probe) -> Answer:
    return probe.soap(
        f'<listMetadata xmlns="{MD_NS}"><queries><type>ApexClass</type></queries>'
        f"<asOfVersion>{API}</asOfVersion></listMetadata>"
    )


@case("js_list_metadata_empty.xml", 200)
def _list_metadata_empty(probe: Probe) -> Answer:
    return probe.soap(
        f'<listMetadata xmlns="{MD_NS}"><queries><type>Dashboard</type></queries>'
        f"<asOfVersion>{API}</asOfVersion></listMetadata>"
    )


@case("nelsonic_describe_metadata.xml", 200)
def _describe_metadata(probe: Probe) -> Answer:
    return probe.soap(
        f'<describeMetadata xmlns="{MD_NS}"><asOfVersion>{API}</asOfVersion></describeMetadata>'
    )


@case("nelsonic_fault_insufficient_access.xml", 500)
def _fault_insufficient_access(probe: Probe) -> Answer:
    # Totango's connection user has a minimal profile: no Modify All Data, no Modify Metadata.
    user = probe.emu.integration_user() or {}
    return probe.soap(
        f'<describeMetadata xmlns="{MD_NS}"><asOfVersion>{API}</asOfVersion></describeMetadata>',
        session=user["access_token"],
    )


@case("js_fault_invalid_session.xml", 500)
def _fault_invalid_session(probe: Probe) -> Answer:
    return probe.soap(
        f'<listMetadata xmlns="{MD_NS}"><queries><type>ApexClass</type></queries></listMetadata>',
        session="00D000000000000!not-a-session",
    )


# REST and Tooling.
@case("cci_query_user.json", 200)
def _query_user(probe: Probe) -> Answer:
    return probe.query("SELECT FirstName,LastName FROM User LIMIT 1")


@case("cci_query_invalid_field.json", 400)
def _query_invalid_field(probe: Probe) -> Answer:
    # The recorded org held npe5__Affiliation__c; Account has no SetupOwnerId either.
    return probe.query("SELECT SetupOwnerId FROM Account")


@case("rf_query_empty.json", 200)
def _query_empty(probe: Probe) -> Answer:
    return probe.query("SELECT Id FROM Account WHERE Name = 'nobody'")


@case("rf_query_paginated_first_page.json", 200, renamed=(("Name", "Text_Label"),))
def _query_first_page(probe: Probe) -> Answer:
    # The recorded org's Whizbang object had a Text_Label field; User's Name stands in.
    probe.org(query_page_size=1)
    return probe.query("SELECT Name FROM User")


@case("sublimeapex23_malformed_query.txt", 400)
def _malformed_query(probe: Probe) -> Answer:
    soql = (
        "q=SELECT Id, Name, Body FROM ApexClass WHERE NamespacePrefix = null  OR NamespacePrefix"
        " in ('sinaweibo','twitter','facebook') ORDER BY Name"
    )
    return probe.query(soql)


@case("cci_tooling_query_apexclass.json", 200)
def _tooling_query(probe: Probe) -> Answer:
    soql = "SELECT Id, Name FROM ApexClass WHERE NamespacePrefix = null AND (Name LIKE '%_TEST%')"
    return probe.query(soql, tooling=True)


@case("cci_get_organization.json", 200)
def _get_organization(probe: Probe) -> Answer:
    return probe.rest("GET", f"/services/data/v{API}/sobjects/Organization/{probe.emu.org_id}")


@case("cci_describe_account.json", 200)
def _describe_account(probe: Probe) -> Answer:
    return probe.rest("GET", f"/services/data/v{API}/sobjects/Account/describe")


@case("cci_global_describe.json", 200)
def _global_describe(probe: Probe) -> Answer:
    return probe.rest("GET", f"/services/data/v{API}/sobjects")


@case("cci_create_account.json", 201)
def _create_account(probe: Probe) -> Answer:
    body = {"Name": "xyzzy", "AccountNumber": "420"}
    return probe.rest("POST", f"/services/data/v{API}/sobjects/Account/", body=body)


@case("cci_composite_sobjects_create.json", 200)
def _composite_create(probe: Probe) -> Answer:
    records = [{"attributes": {"type": "Account"}, "Name": f"Account {n}"} for n in range(6)]
    body = {"allOrNone": False, "records": records}
    return probe.rest("POST", f"/services/data/v{API}/composite/sobjects", body=body)


@case("cci_composite_sobject_not_found.json", 200)
def _composite_not_found(probe: Probe) -> Answer:
    sub = [
        {
            "referenceId": "CCI__RefId__0__",
            "method": "GET",
            "url": f"/services/data/v{API}/sobjects/Foo",
        }
    ]
    return probe.rest("POST", f"/services/data/v{API}/composite", body={"compositeRequest": sub})


@case("cci_composite_query_invalid_type.json", 200)
def _composite_invalid_type(probe: Probe) -> Answer:
    sub = [
        {
            "referenceId": "refAccount",
            "method": "GET",
            "url": f"/services/data/v{API}/query/?q=select count() from Account",
        },
        {
            "referenceId": "refXYZZY",
            "method": "GET",
            "url": f"/services/data/v{API}/query/?q=select count() from XYZZY",
        },
    ]
    return probe.rest("POST", f"/services/data/v{API}/composite", body={"compositeRequest": sub})


@case("rf_expired_session.json", 401)
def _expired_session(probe: Probe) -> Answer:
    return probe.rest(
        "GET", f"/services/data/v{API}/query/?q=SELECT+Id+FROM+Account", token="expired"
    )


@case("rf_versions.json", 200)
def _versions(probe: Probe) -> Answer:
    return probe.rest("GET", "/services/data")


@case("wadewegner201_oauth_refresh.json", 200)
def _oauth_refresh(probe: Probe) -> Answer:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": probe.emu.refresh_token,
        "client_id": "x",
    }
    return probe.rest("POST", "/services/oauth2/token", form=form, token="")


@case("rf_refresh_error.json", 400)
def _oauth_refresh_refused(probe: Probe) -> Answer:
    form = {"grant_type": "refresh_token", "refresh_token": "revoked", "client_id": "x"}
    return probe.rest("POST", "/services/oauth2/token", form=form, token="")


# -- the tests --------------------------------------------------------------------------
def _names() -> list[str]:
    return recording_names() if RECORDED.is_dir() else ["(no recordings)"]


@pytest.fixture
def probe(emulator_factory) -> Probe:
    return Probe(emulator_factory)


@pytest.mark.parametrize("name", _names())
def test_the_emulator_answers_as_the_recorded_org(name, probe):
    if not RECORDED.is_dir():
        pytest.skip(RECORDED_ABSENT)
    try:
        recording = load(name)
    except RecordingUnreadable as exc:
        pytest.fail(str(exc))
    if name not in CASES:
        pytest.fail(
            f"{name}: no request is mapped to this recording; add a case to"
            " tests/test_conformance.py (a recording is never skipped)"
        )
    spec = CASES[name]
    if recording.status is not None:
        assert spec.status == recording.status, (
            f"{name}: the recording says HTTP {recording.status}"
        )
    answer = spec.send(probe)
    problems = answer_problems(
        recording, spec.status, answer.status, answer.content, spec.pooled, spec.renamed
    )
    assert not problems, f"{name} differs from the recorded answer:\n" + "\n".join(problems)


def test_every_case_names_a_recording():
    if not RECORDED.is_dir():
        pytest.skip(RECORDED_ABSENT)
    assert sorted(set(CASES) - set(recording_names())) == []


def test_every_recording_is_listed_in_sources():
    if not RECORDED.is_dir():
        pytest.skip(RECORDED_ABSENT)
    assert sorted(set(recording_names()) - set(sources())) == []


def test_the_comparison_sees_a_difference():
    """The comparison itself: a missing element, a changed format, a new key, new words."""
    if not RECORDED.is_dir():
        pytest.skip(RECORDED_ABSENT)
    recorded = load("ss_deploy_queued.xml").answer
    changed = body_child(
        f'<e:Envelope xmlns:e="{SOAP_NS}"><e:Body><deployResponse xmlns="{MD_NS}"><result>'
        "<done>no</done><id>0Af3B00001CMyfASAT</id></result></deployResponse></e:Body></e:Envelope>".encode()
    )
    problems = compare_xml(recorded, changed)
    assert any("deployResponse/result:" in p for p in problems)  # <state> missing
    assert any("result/done" in p for p in problems)  # not a boolean
    errors = load("rf_expired_session.json").answer
    assert compare_json(
        errors,
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID", "x": 1}],
    )
    assert compare_json(
        errors, [{"message": "Your session ended", "errorCode": "INVALID_SESSION_ID"}]
    )
    assert compare_json(
        errors, [{"message": "Session expired or invalid", "errorCode": "INVALID_AUTH"}]
    )
    assert compare_json(errors, errors) == []
