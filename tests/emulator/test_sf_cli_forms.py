"""The request forms real clients send, served as real orgs serve them.

sf CLI names the one parameter of retrieve() ``request`` and of cancelDeploy() ``id``
(jsforce ``src/api/metadata.ts``), lists a report folder as ``Folder/`` in package.xml
(source-deploy-retrieve pull request 1407) and asks for a query's columns with
``columns=true`` (plugin-data ``retrieveColumns``); simple-salesforce puts a retrieve's
``<types>`` in no namespace. The tier that runs the clients themselves is tests/clients;
these tests need no Node.
"""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
import requests

from tests.support.mdapi import (
    MD,
    assert_schema_valid,
    body_child,
    layout_package,
    package_xml,
    soap_call,
    zip_b64,
)

FOLDER_META = (
    f'<?xml version="1.0" encoding="UTF-8"?><ReportFolder xmlns="{MD}">'
    "<name>Totango Reports</name></ReportFolder>"
)
REPORT = (
    f'<?xml version="1.0" encoding="UTF-8"?><Report xmlns="{MD}">'
    "<format>Tabular</format><name>Health</name><reportType>AccountList</reportType></Report>"
)


def _deploy(emulator, files: dict[str, str]) -> str:
    _, content = soap_call(
        emulator,
        f'<deploy xmlns="{MD}"><ZipFile>{zip_b64(files)}</ZipFile>'
        "<DeployOptions><rollbackOnError>true</rollbackOnError></DeployOptions></deploy>",
    )
    return body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}id")


def _deploy_status(emulator, deploy_id: str) -> bytes:
    for _ in range(20):
        _, content = soap_call(
            emulator,
            f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{deploy_id}</asyncProcessId>'
            "<includeDetails>true</includeDetails></checkDeployStatus>",
        )
        if b"<done>true</done>" in content:
            return content
    raise AssertionError("the deploy never finished")


def _retrieve(emulator, parameter: str, members: dict[str, list[str]]) -> zipfile.ZipFile:
    types = "".join(
        "<types>" + "".join(f"<members>{m}</members>" for m in ms) + f"<name>{t}</name></types>"
        for t, ms in members.items()
    )
    status, content = soap_call(
        emulator,
        f'<retrieve xmlns="{MD}"><{parameter}><apiVersion>63.0</apiVersion>'
        f"<unpackaged>{types}<version>63.0</version></unpackaged></{parameter}></retrieve>",
    )
    assert status == 200, content
    job = body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}id")
    for _ in range(10):
        _, content = soap_call(
            emulator,
            f'<checkRetrieveStatus xmlns="{MD}"><asyncProcessId>{job}</asyncProcessId>'
            "<includeZip>true</includeZip></checkRetrieveStatus>",
        )
        zipped = body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}zipFile")
        if zipped:
            return zipfile.ZipFile(io.BytesIO(base64.b64decode(zipped)))
    raise AssertionError("the retrieve never finished")


@pytest.mark.parametrize("parameter", ["retrieveRequest", "request"])
def test_retrieve_reads_its_one_parameter_whatever_it_is_called(emulator, parameter):
    archive = _retrieve(emulator, parameter, {"Layout": ["Account-Account Layout"]})
    assert "unpackaged/layouts/Account-Account Layout.layout" in archive.namelist()


def test_a_retrieve_without_a_request_is_still_refused(emulator):
    status, content = soap_call(emulator, f'<retrieve xmlns="{MD}"/>')
    assert status == 500 and b"INVALID_CROSS_REFERENCE_KEY" in content


@pytest.mark.parametrize("parameter", ["String", "id"])
def test_cancel_deploy_reads_its_one_parameter_whatever_it_is_called(emulator_factory, parameter):
    emulator = emulator_factory(deploy_polls=5, deploy_tick=60)
    deploy_id = _deploy(emulator, layout_package("P1"))
    _, content = soap_call(
        emulator,
        f'<cancelDeploy xmlns="{MD}"><{parameter}>{deploy_id}</{parameter}></cancelDeploy>',
    )
    assert_schema_valid(content)
    assert b"<status>Canceled</status>" in _deploy_status(emulator, deploy_id)


@pytest.mark.parametrize("folder_member", ["Totango_Reports", "Totango_Reports/"])
def test_a_report_folder_is_named_bare_or_with_a_trailing_slash(emulator, folder_member):
    files = {
        "package.xml": package_xml(
            {"Report": [folder_member, "Totango_Reports/Accounts_by_Totango_Health"]}
        ),
        "reports/Totango_Reports-meta.xml": FOLDER_META,
        "reports/Totango_Reports/Accounts_by_Totango_Health.report": REPORT,
    }
    content = _deploy_status(emulator, _deploy(emulator, files))
    assert b"<success>true</success>" in content, content[:2000]
    assert emulator.state.has("ReportFolder", "Totango_Reports")
    # A retrieve names the folder either way too, and brings the folder's own file.
    archive = _retrieve(emulator, "request", {"Report": [folder_member]})
    assert "unpackaged/reports/Totango_Reports-meta.xml" in archive.namelist()
    assert b"<members>Totango_Reports</members>" in archive.read("unpackaged/package.xml")


def test_a_missing_folder_is_named_as_package_xml_spelled_it(emulator):
    files = {
        "package.xml": package_xml({"Report": ["Elsewhere/"]}),
        "reports/Totango_Reports-meta.xml": FOLDER_META,
    }
    content = _deploy_status(emulator, _deploy(emulator, files))
    assert b"An object 'Elsewhere/' of type Report was named in package.xml" in content


def _columns(emulator, query: str) -> requests.Response:
    return requests.get(
        f"{emulator.instance_url}/services/data/v63.0/query",
        params={"q": query, "columns": "true"},
        headers={"Authorization": f"Bearer {emulator.access_token}"},
        timeout=10,
    )


def test_columns_true_answers_the_query_columns(emulator):
    answer = _columns(emulator, "SELECT Id, Username, Profile.Name FROM User")
    assert answer.status_code == 200
    columns = answer.json()["columnMetadata"]
    assert [c["columnName"] for c in columns] == ["Id", "Username", "Profile"]
    assert columns[0]["apexType"] == "Id" and not columns[0]["textType"]
    assert columns[1]["apexType"] == "String" and columns[1]["textType"]
    profile = columns[2]
    assert profile["apexType"] is None and profile["foreignKeyName"] == "ProfileId"
    assert [c["columnName"] for c in profile["joinColumns"]] == ["Name"]
    # The keys of plugin-data's kept answers (queryFields.exemplars.ts).
    assert set(columns[0]) == {
        "aggregate", "apexType", "booleanType", "columnName", "custom", "displayName",
        "foreignKeyName", "insertable", "joinColumns", "numberType", "textType", "updatable",
    }  # fmt: skip


def test_columns_true_refuses_what_the_query_refuses(emulator):
    answer = _columns(emulator, "SELECT Nope FROM User")
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_FIELD"


def test_an_objects_children_are_listed_by_their_own_types(emulator):
    # As sf CLI deploys a retrieved object: the object, and each record type and list
    # view in its file under RecordType and ListView.
    archive = _retrieve(emulator, "request", {"CustomObject": ["Account"]})
    account = archive.read("unpackaged/objects/Account.object").decode()
    assert "<recordTypes>" in account
    files = {
        "package.xml": package_xml(
            {"CustomObject": ["Account"], "RecordType": ["Account.Customer"]}
        ),
        "objects/Account.object": account,
    }
    content = _deploy_status(emulator, _deploy(emulator, files))
    assert b"<success>true</success>" in content, content[:2000]
    assert b"<componentType>RecordType</componentType>" in content
    # A child listed without its object is still a child: only a type nobody knows is refused.
    files["package.xml"] = package_xml({"RecordType": ["Account.Customer"], "Nonsense": ["X"]})
    content = _deploy_status(emulator, _deploy(emulator, files))
    assert b"Unknown type name 'Nonsense'" in content
    assert b"Unknown type name 'RecordType'" not in content


def test_a_retrieve_reads_its_request_elements_by_local_name(emulator):
    # As simple-salesforce's RETRIEVE_MSG sends them: <met:unpackaged> holding <types>,
    # <members> and <name> in no namespace.
    status, content = soap_call(
        emulator,
        f'<met:retrieve xmlns:met="{MD}"><met:retrieveRequest><met:apiVersion>63.0'
        "</met:apiVersion><met:unpackaged><types><members>Account-Account Layout</members>"
        "<name>Layout</name></types></met:unpackaged></met:retrieveRequest></met:retrieve>",
    )
    assert status == 200, content
    assert emulator.history.of("retrieve")[-1].detail["types"] == {
        "Layout": ["Account-Account Layout"]
    }
