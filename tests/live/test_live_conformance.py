"""The live org answers as the recorded orgs answered: every recording in ../shared/recorded.

The same structural comparison as tests/contracts/test_conformance.py
(``recorded_answers.answer_problems``), of the live org's answers: the table below says
which request each recording answers, sent to the live org through ``OrgProbe``. A
recording whose request would change the org, or needs an org the live tests do not
have, carries the reason instead, and a recording the table lacks fails: a recording
added to the folder needs a row here as well.

Requests differ from the emulator's where a live org needs it: the deploys are check-only
deploys of a package that names nothing (or of the setup's own new components, where a
deploy must last long enough to be seen in progress), and run in write mode only; a
first page of a query is asked of FieldPermissions with a batch size of 200.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.support.live_org import LiveOrg, LiveProbe, live_config
from tests.support.org_probe import API, Answer, answer_text, empty_package
from tests.support.org_traffic import Traffic
from tests.support.recorded_answers import (
    MD_NS,
    RECORDED,
    RECORDED_ABSENT,
    answer_problems,
    load,
    recording_names,
)

# Seconds to wait for each check-only deploy a case started to end, before the next case.
DEPLOY_SETTLE_POLLS = 120
# A real org's deploys and retrieves take longer than the suite's 300 s allows a test.
pytestmark = pytest.mark.timeout(900)


class Probe(LiveProbe):
    """The live org's calls, the session's traffic, and the check-only deploys started."""

    def __init__(self, org: LiveOrg, traffic: Traffic, folder):
        super().__init__(org)
        self.traffic = traffic
        self.folder = folder
        self.deploys: list[str] = []

    def check_only(self, files: dict[str, bytes]) -> tuple[Answer, str]:
        answer = self.soap(
            f'<deploy xmlns="{MD_NS}"><ZipFile>{_zip(files)}</ZipFile><DeployOptions>'
            "<checkOnly>true</checkOnly><rollbackOnError>true</rollbackOnError>"
            "<testLevel>NoTestRun</testLevel></DeployOptions></deploy>"
        )
        deploy_id = answer_text(answer, "id")
        self.deploys.append(deploy_id)
        return answer, deploy_id

    def settle(self) -> None:
        """Wait until every deploy this case started is done (the org runs one at a time)."""
        import time

        for deploy_id in self.deploys:
            for _ in range(DEPLOY_SETTLE_POLLS):
                if answer_text(self.check_deploy(deploy_id, details=False), "done") == "true":
                    break
                time.sleep(1.0)

    def setup_package(self) -> dict[str, bytes]:
        """The setup's own new components (fields, pages, permission sets, report)."""
        from tasks.totango_sf.config.model import load_config
        from tasks.totango_sf.metadata.components import mdapi_files
        from tasks.totango_sf.metadata.package_xml import package_member, package_xml
        from tasks.totango_sf.render.plan import build_plan

        config = load_config(live_config(self.folder), self.org.name)
        components = build_plan(config).components
        files = mdapi_files(components)
        members = [package_member(c.type, c.full_name) for c in components]
        return {**files, "package.xml": package_xml(members, API)}


def _zip(files: dict[str, bytes]) -> str:
    from tasks.totango_sf.salesforce.metadata_api import zip_base64

    return zip_base64(files)


@dataclass(frozen=True)
class LiveCase:
    send: Callable[[Probe], Answer]
    status: int
    pooled: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    writes: bool = False  # a check-only deploy: write mode, and never production


LIVE: dict[str, LiveCase | str] = {}


def live(
    name: str,
    status: int,
    pooled: tuple[str, ...] = (),
    renamed: tuple[tuple[str, str], ...] = (),
    writes: bool = False,
):
    def register(send: Callable[[Probe], Answer]) -> Callable[[Probe], Answer]:
        LIVE[name] = LiveCase(send, status, pooled, renamed, writes)
        return send

    return register


# Recordings no live org is asked for, and why.
LIVE.update(
    {
        "haoide107_fault_notestrun.txt": "production's refusal of NoTestRun: the live tests"
        " send no deploy to a production org",
        "nelsonic_fault_insufficient_access.xml": "needs the session of a user without Modify"
        " Metadata; the live tests connect as the org's admin",
        "cci_create_account.json": "creates an Account: the live tests change nothing but what"
        " the setup touches",
        "cci_composite_sobjects_create.json": "creates Accounts: the live tests change nothing"
        " but what the setup touches",
    }
)


# Metadata API: check-only deploys (write mode).
@live("ss_deploy_queued.xml", 200, writes=True)
def _deploy_queued(probe: Probe) -> Answer:
    return probe.check_only(empty_package())[0]


@live("ss_check_deploy_succeeded.xml", 200, writes=True)
def _check_succeeded(probe: Probe) -> Answer:
    _, deploy_id = probe.check_only(empty_package())
    answer = probe.check_deploy_until(deploy_id, {"Succeeded"}, polls=120, pause=1.0)
    if answer is None:
        pytest.fail(f"a check-only deploy of an empty package did not succeed ({deploy_id})")
    return answer


@live("ss_check_deploy_failed_no_package.xml", 200, writes=True)
def _check_failed_no_package(probe: Probe) -> Answer:
    files = {"settings/Security.settings": b"<SecuritySettings/>"}
    _, deploy_id = probe.check_only(files)
    answer = probe.check_deploy_until(deploy_id, {"Failed"}, polls=120, pause=1.0)
    if answer is None:
        pytest.fail(f"a check-only deploy without package.xml did not fail ({deploy_id})")
    return answer


def _in_progress(probe: Probe) -> Answer:
    _, deploy_id = probe.check_only(probe.setup_package())
    answer = probe.check_deploy_until(deploy_id, {"InProgress"}, polls=200, pause=0.05)
    if answer is None:
        pytest.skip("the org finished the check-only deploy before a poll saw it InProgress")
    return answer


live("ss_check_deploy_in_progress.xml", 200, writes=True)(_in_progress)
live("ic2753_check_deploy_validation_in_progress.xml", 200, writes=True)(_in_progress)


@live("ss_check_deploy_pending.xml", 200, writes=True)
def _check_pending(probe: Probe) -> Answer:
    # A deploy waits (Pending) while another one runs.
    probe.check_only(probe.setup_package())
    _, waiting = probe.check_only(empty_package())
    answer = probe.check_deploy_until(waiting, {"Pending"}, polls=200, pause=0.05)
    if answer is None:
        pytest.skip("the org started the second check-only deploy before a poll saw it Pending")
    return answer


# Metadata API: retrieves, listMetadata, describeMetadata, faults.
@live("js_retrieve_queued.xml", 200)
def _retrieve_queued(probe: Probe) -> Answer:
    return probe.soap(
        f'<retrieve xmlns="{MD_NS}"><retrieveRequest><apiVersion>{API}</apiVersion>'
        "<singlePackage>true</singlePackage><unpackaged><types><members>Security</members>"
        "<name>Settings</name></types></unpackaged></retrieveRequest></retrieve>"
    )


@live("js_check_retrieve_succeeded.xml", 200, pooled=("cci_check_retrieve_missing_members.xml",))
def _check_retrieve_succeeded(probe: Probe) -> Answer:
    request = (
        "<unpackaged><types><members>Security</members><name>Settings</name></types></unpackaged>"
    )
    return probe.check_retrieve(probe.retrieve(request), polls=120, pause=1.0)


@live("cci_check_retrieve_missing_members.xml", 200)
def _check_retrieve_missing(probe: Probe) -> Answer:
    request = (
        "<unpackaged><types><members>Delivery__c.Status__c</members><name>CustomField</name>"
        "</types><types><members>Delivery__c-Delivery Layout</members><name>Layout</name>"
        "</types></unpackaged>"
    )
    return probe.check_retrieve(probe.retrieve(request), polls=120, pause=1.0)


@live("cci_check_retrieve_unknown_package.xml", 200)
def _check_retrieve_unknown_package(probe: Probe) -> Answer:
    return probe.check_retrieve(
        probe.retrieve("<packageNames>Abacus</packageNames>"), polls=120, pause=1.0
    )


def _list_metadata(probe: Probe, metadata_type: str) -> Answer:
    return probe.soap(
        f'<listMetadata xmlns="{MD_NS}"><queries><type>{metadata_type}</type></queries>'
        f"<asOfVersion>{API}</asOfVersion></listMetadata>"
    )


@live("js_list_metadata_results.xml", 200)
def _list_metadata_results(probe: Probe) -> Answer:
    # An org without Apex classes answers with no row; every org has layouts.
    answer = _list_metadata(probe, "ApexClass")
    if answer.status == 200 and b"<result>" not in answer.content.replace(b" ", b""):
        answer = _list_metadata(probe, "Layout")
    return answer


@live("js_list_metadata_empty.xml", 200)
def _list_metadata_empty(probe: Probe) -> Answer:
    return _list_metadata(probe, "Dashboard")


@live("nelsonic_describe_metadata.xml", 200)
def _describe_metadata(probe: Probe) -> Answer:
    return probe.soap(
        f'<describeMetadata xmlns="{MD_NS}"><asOfVersion>{API}</asOfVersion></describeMetadata>'
    )


@live("js_fault_invalid_session.xml", 500)
def _fault_invalid_session(probe: Probe) -> Answer:
    return probe.soap(
        f'<listMetadata xmlns="{MD_NS}"><queries><type>ApexClass</type></queries></listMetadata>',
        session="00D000000000000!not-a-session",
    )


# REST and Tooling.
@live("cci_query_user.json", 200)
def _query_user(probe: Probe) -> Answer:
    return probe.query("SELECT FirstName,LastName FROM User LIMIT 1")


@live("cci_query_invalid_field.json", 400)
def _query_invalid_field(probe: Probe) -> Answer:
    return probe.query("SELECT SetupOwnerId FROM Account")


@live("rf_query_empty.json", 200)
def _query_empty(probe: Probe) -> Answer:
    return probe.query("SELECT Id FROM Account WHERE Name = 'totango-sf live test: nobody'")


@live("rf_query_paginated_first_page.json", 200, renamed=(("Field", "Text_Label"),))
def _query_first_page(probe: Probe) -> Answer:
    # The smallest batch a client may ask for is 200 records; every org has more field
    # permissions than that. The recorded org's Whizbang object had a Text_Label field.
    answer = probe.query(
        "SELECT Field FROM FieldPermissions", headers={"Sforce-Query-Options": "batchSize=200"}
    )
    if answer.status == 200 and b'"done":false' not in answer.content.replace(b" ", b""):
        pytest.skip("the org answered FieldPermissions in one page (fewer records than a page)")
    return answer


@live("sublimeapex23_malformed_query.txt", 400)
def _malformed_query(probe: Probe) -> Answer:
    soql = (
        "q=SELECT Id, Name, Body FROM ApexClass WHERE NamespacePrefix = null  OR NamespacePrefix"
        " in ('sinaweibo','twitter','facebook') ORDER BY Name"
    )
    return probe.query(soql)


@live("cci_tooling_query_apexclass.json", 200)
def _tooling_query(probe: Probe) -> Answer:
    soql = "SELECT Id, Name FROM ApexClass WHERE NamespacePrefix = null AND (Name LIKE '%_TEST%')"
    return probe.query(soql, tooling=True)


@live("cci_get_organization.json", 200)
def _get_organization(probe: Probe) -> Answer:
    return probe.rest("GET", f"/services/data/v{API}/sobjects/Organization/{probe.org_id}")


@live("cci_describe_account.json", 200)
def _describe_account(probe: Probe) -> Answer:
    return probe.rest("GET", f"/services/data/v{API}/sobjects/Account/describe")


@live("cci_global_describe.json", 200)
def _global_describe(probe: Probe) -> Answer:
    return probe.rest("GET", f"/services/data/v{API}/sobjects")


@live("cci_composite_sobject_not_found.json", 200)
def _composite_not_found(probe: Probe) -> Answer:
    sub = [{"referenceId": "ref0", "method": "GET", "url": f"/services/data/v{API}/sobjects/Foo"}]
    return probe.rest("POST", f"/services/data/v{API}/composite", body={"compositeRequest": sub})


@live("cci_composite_query_invalid_type.json", 200)
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


@live("rf_expired_session.json", 401)
def _expired_session(probe: Probe) -> Answer:
    return probe.rest(
        "GET", f"/services/data/v{API}/query/?q=SELECT+Id+FROM+Account", token="expired"
    )


@live("rf_versions.json", 200)
def _versions(probe: Probe) -> Answer:
    return probe.rest("GET", "/services/data")


def _token_answer(probe: Probe, refresh: Callable[[], object]) -> Answer:
    """The answer of the token request ``refresh`` sends, as CumulusCI sends it."""
    # The refused refresh raises; its answer is what is compared.
    with probe.traffic.capture() as sent, contextlib.suppress(Exception):
        refresh()
    token = [e for e in sent if e.path.rstrip("/").endswith("/oauth2/token")]
    if not token:
        pytest.skip("the org's token does not come from an OAuth refresh (an sf CLI org)")
    return Answer(token[-1].status, token[-1].content)


def _refreshable(probe: Probe):
    org_config = probe.org.session.org_config
    if getattr(org_config, "sfdx", False) or not org_config.config.get("refresh_token"):
        pytest.skip("the org's token comes from the sf CLI, not an OAuth refresh token")
    return org_config


@live("wadewegner201_oauth_refresh.json", 200)
def _oauth_refresh(probe: Probe) -> Answer:
    org_config = _refreshable(probe)
    keychain = probe.org.session.keychain
    return _token_answer(probe, lambda: org_config.refresh_oauth_token(keychain))


@live("rf_refresh_error.json", 400)
def _oauth_refresh_refused(probe: Probe) -> Answer:
    from cumulusci.core.config import OrgConfig

    org_config = _refreshable(probe)
    keychain = probe.org.session.keychain
    revoked = OrgConfig(
        {**org_config.config, "refresh_token": "revoked"}, org_config.name, keychain=keychain
    )
    return _token_answer(probe, lambda: revoked.refresh_oauth_token(keychain))


# -- the tests --------------------------------------------------------------------------
def _names() -> list[str]:
    return recording_names() if RECORDED.is_dir() else ["(no recordings)"]


@pytest.fixture
def probe(live_org, traffic, tmp_path):
    probe = Probe(live_org, traffic, tmp_path)
    yield probe
    probe.settle()


@pytest.mark.parametrize("name", _names())
def test_the_live_org_answers_as_the_recorded_org(name, request, traffic):
    if not RECORDED.is_dir():
        pytest.skip(RECORDED_ABSENT)
    entry = LIVE.get(name)
    if entry is None:
        pytest.fail(f"{name}: no live request is mapped to this recording; add a row here")
    if isinstance(entry, str):
        pytest.skip(f"not asked of a live org: {entry}")
    if entry.writes:
        request.getfixturevalue("may_write")
    probe = request.getfixturevalue("probe")
    recording = load(name)
    with traffic.capture() as sent:
        answer = entry.send(probe)
    for exchange in sent:
        if exchange.content == answer.content and exchange.status == answer.status:
            exchange.labels.append(f"compared with {name}")
    problems = answer_problems(
        recording, entry.status, answer.status, answer.content, entry.pooled, entry.renamed
    )
    assert not problems, f"{name}: the live org's answer differs:\n" + "\n".join(problems)


def test_every_recording_has_a_live_request_or_a_reason():
    """No org needed: the table covers the folder, and names nothing else."""
    if not RECORDED.is_dir():
        pytest.skip(RECORDED_ABSENT)
    assert sorted(set(recording_names()) - set(LIVE)) == []
    assert sorted(set(LIVE) - set(recording_names())) == []
