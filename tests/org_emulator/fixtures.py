"""pytest fixtures for the org emulator (load with ``pytest_plugins``).

``emulator`` is a fresh sandbox org without the Totango package; ``emulator_factory``
builds others. Both trust the emulator's CA through REQUESTS_CA_BUNDLE (TLS stays
verified) and make CumulusCI's polling instant so deploy tests stay fast. ``use_org``
names one as a CumulusCI org. Against an emulator the product's transient-fault retries
keep their number but not their waits; ``fast_retries`` also makes them fewer.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tasks.totango_sf.org.deploy import FOLLOW_UP_RETRY_DELAYS
from tasks.totango_sf.salesforce.metadata_api import TRANSIENT_RETRY_DELAYS
from tests.org_emulator.emulator import OrgEmulator

_NO_SLEEP = SimpleNamespace(sleep=lambda seconds: None)


@pytest.fixture
def fast_cumulusci_polling(monkeypatch):
    """CumulusCI sleeps a second or more between status polls; tests need not."""
    monkeypatch.setattr("cumulusci.salesforce_api.metadata.time", _NO_SLEEP)
    monkeypatch.setattr("cumulusci.utils.waiting.time", _NO_SLEEP)


@pytest.fixture(scope="session")
def emulator_ca_folder(tmp_path_factory):
    """One throwaway CA for the session: every emulator's certificate chains to it."""
    return tmp_path_factory.mktemp("org-emulator-ca")


@pytest.fixture
def emulator_factory(
    tmp_path_factory, monkeypatch, fast_cumulusci_polling, emulator_ca_folder, waitless_retries
):
    """Call with flavour=, package_installed=, namespace=, package_version=,
    deploy_polls=, retrieve_polls=, install_polls=, query_page_size=, folder=, persist=,
    fault_seed=."""
    started: list[OrgEmulator] = []

    def make(**options) -> OrgEmulator:
        options.setdefault("deploy_polls", 2)
        options.setdefault("ca_folder", emulator_ca_folder)
        folder = options.pop("folder", None) or tmp_path_factory.mktemp("org-emulator")
        emulator = OrgEmulator.create(folder, **options).start()
        started.append(emulator)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
        monkeypatch.setenv("SSL_CERT_FILE", emulator.ca_bundle)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(emulator_factory) -> OrgEmulator:
    return emulator_factory(flavour="sandbox", package_installed=False)


@pytest.fixture
def use_org(monkeypatch, tmp_path):
    """Name an emulator as a CumulusCI org (``emu`` unless told), with snapshots (and so
    locks) and HOME under tmp, and our own first poll made at once."""
    monkeypatch.setattr("tasks.totango_sf.state.snapshot.SNAPSHOT_ROOT", tmp_path / "snapshots")
    monkeypatch.setattr("tasks.totango_sf.salesforce.metadata_api.FIRST_POLL_INTERVAL", 0.001)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def use(emulator: OrgEmulator, name: str = "emu") -> OrgEmulator:
        for key, value in emulator.env(name).items():
            monkeypatch.setenv(key, value)
        return emulator

    return use


# The product's transient-fault retries, without their waits: still two retries.
FAST_RETRY_DELAYS = (0.0, 0.0)


def make_retries_fast(monkeypatch, *, cancel_confirm: bool = False) -> None:
    """No wait before a retry of a repeatable Metadata API call or REST read, nor before a
    deploy's follow-up; with ``cancel_confirm``, the checks that an org took a cancel
    come at once and 0.05 s later too."""
    monkeypatch.setattr(
        "tasks.totango_sf.salesforce.metadata_api.TRANSIENT_RETRY_DELAYS", FAST_RETRY_DELAYS
    )
    monkeypatch.setattr("tasks.totango_sf.org.deploy.FOLLOW_UP_RETRY_DELAYS", (0.0,))
    if cancel_confirm:
        monkeypatch.setattr(
            "tasks.totango_sf.salesforce.metadata_api.CANCEL_CONFIRM_DELAYS", (0.0, 0.05)
        )


@pytest.fixture
def waitless_retries(monkeypatch):
    """Against an emulator, the product's transient-fault retries run as against an org
    (as many tries), only without their waits; a test of the waits sets its own."""
    for target, default in (
        ("tasks.totango_sf.salesforce.metadata_api.TRANSIENT_RETRY_DELAYS", TRANSIENT_RETRY_DELAYS),
        ("tasks.totango_sf.org.deploy.FOLLOW_UP_RETRY_DELAYS", FOLLOW_UP_RETRY_DELAYS),
    ):
        monkeypatch.setattr(target, (0.0,) * len(default))


@pytest.fixture
def fast_retries(monkeypatch, waitless_retries):
    make_retries_fast(monkeypatch)


@pytest.fixture
def fast_retries_and_cancels(monkeypatch, waitless_retries):
    make_retries_fast(monkeypatch, cancel_confirm=True)


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    """A setup config with a real-looking range for the cci tasks, snapshots under tmp."""
    monkeypatch.setattr("tasks.totango_sf.state.snapshot.SNAPSHOT_ROOT", tmp_path / "snapshots")
    monkeypatch.setattr("tasks.totango_sf.salesforce.metadata_api.FIRST_POLL_INTERVAL", 0.001)
    path = tmp_path / "totango.yml"
    path.write_text(json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}))
    return str(path)
