"""A TLS certificate the client does not trust is not retried: it will not heal, so the
run ends at once with a line naming REQUESTS_CA_BUNDLE (a proxy's CA, a missing bundle)."""

from __future__ import annotations

import ssl

import certifi
import pytest
import requests
import requests.adapters

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.salesforce.retry_policy import is_tls_failure, with_retries
from tests.support.cli import as_json, cli, write_config


def test_a_certificate_failure_is_raised_at_once_and_a_dropped_connection_retried():
    waits: list[float] = []
    tries = [0]

    def untrusted() -> None:
        tries[0] += 1
        raise requests.exceptions.SSLError(
            "HTTPSConnectionPool: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
        )

    with pytest.raises(requests.exceptions.SSLError):
        with_retries(untrusted, lambda exc: True, (1.0, 2.0), waits.append)
    assert tries == [1] and waits == []

    def dropped() -> None:
        tries[0] += 1
        raise requests.ConnectionError("Connection aborted")

    with pytest.raises(requests.ConnectionError):
        with_retries(dropped, lambda exc: True, (1.0, 2.0), waits.append)
    assert waits == [1.0, 2.0]


def test_a_wrapped_certificate_failure_is_recognised():
    try:
        try:
            raise ssl.SSLCertVerificationError(1, "unable to get local issuer certificate")
        except ssl.SSLError as inner:
            raise RuntimeError("OAuth failed") from inner
    except RuntimeError as outer:
        assert is_tls_failure(outer)
    assert not is_tls_failure(requests.ConnectionError("Connection refused"))


def count_tls_refusals(monkeypatch) -> list[str]:
    """The host of every HTTPS request that failed its certificate check, in order."""
    refused: list[str] = []
    send = requests.adapters.HTTPAdapter.send

    def counting(adapter, request, *args, **kwargs):
        try:
            return send(adapter, request, *args, **kwargs)
        except requests.exceptions.SSLError:
            refused.append(request.url.split("/")[2])
            raise

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", counting)
    return refused


@pytest.mark.parametrize("command", [["org-id"], ["deploy"], ["verify"], ["doctor"]])
def test_an_untrusted_org_certificate_ends_the_run_at_once_naming_the_bundle(
    emulator, use_org, tmp_path, monkeypatch, command
):
    use_org(emulator)
    config = write_config(tmp_path)
    refused = count_tls_refusals(monkeypatch)
    # A bundle without the emulator's CA: as behind a proxy that re-signs traffic.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    result = cli(*command, "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 4, result.output
    document = as_json(result)
    assert "REQUESTS_CA_BUNDLE" in document["message"]
    # One attempt, refused by the client's certificate check: no retry.
    assert refused == [emulator.instance_url.removeprefix("https://")]
    assert emulator.history.deploys == []
