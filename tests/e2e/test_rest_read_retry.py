"""Every REST/Tooling read is retried like a Metadata API status check; a write never is.

The reads are sent through the product's own clients (``rest_client``) to the org
emulator, which injects one transient fault on the call kind and then answers. Each
class of read (SOQL query, Tooling query, sObject read, describe) must come back with
the same answer as without the fault, after exactly one more call. A persistent
failure ends the command with exit 4, a message naming what failed, and no token.
"""

from __future__ import annotations

import json

import pytest
import requests
from simple_salesforce.exceptions import SalesforceError

from tasks.totango_sf.salesforce.connection import OrgSession
from tasks.totango_sf.salesforce.rest_client import retrying_client
from tests.org_emulator.fixtures import FAST_RETRY_DELAYS as DELAYS
from tests.support.cli import as_json, cli, write_config

TRANSIENT = ("http_500", "http_503", "drop", "lost", "request_limit")


pytestmark = pytest.mark.usefixtures("fast_retries")


# One read of each class, as the emulator names its call kind.
READS = {
    "query": lambda client, emulator: client.query_all("SELECT Id, Name FROM Organization")[
        "records"
    ],
    "tooling_query": lambda client, emulator: client.toolingexecute(
        "query/", params={"q": "SELECT Id, Name FROM ApexPage"}
    )["records"],
    "sobject_get": lambda client, emulator: client.Organization.get(emulator.org_id),
    "sobject_describe": lambda client, emulator: client.Organization.describe(),
}


@pytest.mark.parametrize("fault", TRANSIENT)
@pytest.mark.parametrize("kind", sorted(READS))
def test_each_class_of_rest_read_survives_one_transient_failure(emulator, kind, fault):
    client = retrying_client(emulator.org_config())
    read = READS[kind]
    expected = read(client, emulator)
    before = len(emulator.history.of(kind))
    emulator.faults.add(fault, kind, count=1)
    assert read(client, emulator) == expected
    assert len(emulator.history.of(kind)) == before + 2  # the failed try, then the retry
    assert all(rule.fired == 1 for rule in emulator.faults._rules)


@pytest.mark.parametrize(
    ("fault", "error"),
    [("http_503", SalesforceError), ("request_limit", SalesforceError),
     ("drop", requests.ConnectionError)],
)  # fmt: skip
def test_a_persistent_read_failure_is_raised_after_the_last_retry(emulator, fault, error):
    session = OrgSession("emu", emulator.org_config(), None)
    emulator.faults.add(fault, "tooling_query", count=None)
    with pytest.raises(error):
        session.query("SELECT Id, Status FROM DeployRequest", tooling=True)
    assert len(emulator.history.of("tooling_query")) == 1 + len(DELAYS)


@pytest.mark.parametrize("fault", ["http_503", "lost", "drop"])
def test_a_write_goes_out_once(emulator, fault):
    """A POST whose answer is lost may have created the row: it is never sent again."""
    client = retrying_client(emulator.org_config())
    before = len(emulator.state.rows("Account"))
    emulator.faults.add(fault, "sobject_create", count=1)
    with pytest.raises((SalesforceError, requests.ConnectionError)):
        client.Account.create({"Name": "Sent once"})
    assert len(emulator.history.of("sobject_create")) == 1
    created = len(emulator.state.rows("Account")) - before
    assert created == (1 if fault == "lost" else 0)


def test_deploy_rides_out_transient_failures_of_every_read_it_makes(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    for kind in ("query", "tooling_query"):
        emulator.faults.add("http_503", kind, count=1)
        emulator.faults.add("drop", kind, count=1)
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 0, run.output
    assert as_json(run)["verify"]["in_sync"]
    assert len(emulator.history.deploys) == 1


@pytest.mark.parametrize(
    ("fault", "kind", "says"),
    [("http_503", "query", "503"), ("drop", "tooling_query", "connection was dropped"),
     ("request_limit", "query", "REQUEST_LIMIT_EXCEEDED")],
)  # fmt: skip
def test_a_persistent_read_failure_is_exit_4_with_a_clear_message_and_no_token(
    emulator, use_org, tmp_path, fault, kind, says
):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.add(fault, kind, count=None)
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 4, run.output
    doc = json.loads(run.stdout)
    assert says in doc["message"] and "cci org info emu" in doc["message"]
    assert "Traceback" not in run.output
    secrets = set(emulator.state.access_tokens) | {emulator.refresh_token}
    assert not any(secret in run.output for secret in secrets)
    assert not emulator.history.deploys  # nothing was sent


@pytest.mark.parametrize("fault", ["http_503", "drop", "lost"])
@pytest.mark.parametrize("kind", ["userinfo", "versions", "sobject_get"])
def test_the_reads_of_the_token_refresh_are_retried(emulator, use_org, tmp_path, kind, fault):
    """CumulusCI reads userinfo, the API versions and the Organization record while it
    refreshes the token; a transient failure there repeats the refresh."""
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.add(fault, kind, count=1)
    run = cli("verify", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 3, run.output  # drift: the setup is not deployed yet
    assert emulator.faults._rules[0].fired == 1


@pytest.mark.parametrize("kind", ["userinfo", "versions", "sobject_get"])
def test_a_persistent_failure_of_the_refresh_reads_is_exit_4(emulator, use_org, tmp_path, kind):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.add("http_503", kind, count=None)
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 4, run.output
    assert "Traceback" not in run.output and "cci org info emu" in run.output
    assert not emulator.history.deploys


@pytest.mark.parametrize("kind", ["retrieve", "checkRetrieveStatus", "checkDeployStatus"])
def test_a_request_limit_on_a_repeatable_metadata_call_is_retried(
    emulator, use_org, tmp_path, kind
):
    """The same policy on the SOAP side: a status check or retrieve waits and asks again."""
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.request_limit(kind, count=2)
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 0, run.output
    assert as_json(run)["verify"]["in_sync"]


def test_a_request_limit_on_a_deploy_start_is_not_repeated(emulator, use_org, tmp_path):
    """The org refused the start with a fault: nothing was taken, nothing is sent again."""
    use_org(emulator)
    config = write_config(tmp_path)
    before = json.dumps(emulator.state.to_json()["components"], sort_keys=True)
    emulator.faults.request_limit("deploy", count=1)
    run = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert run.exit_code == 4, run.output
    assert "REQUEST_LIMIT_EXCEEDED" in json.loads(run.stdout)["message"]
    assert len(emulator.history.of("deploy")) == 1
    assert json.dumps(emulator.state.to_json()["components"], sort_keys=True) == before
