"""Shared pytest setup.

Importing cumulusci registers a synthetic ``tasks`` package; importing ours first
keeps the real one in ``sys.modules`` (see tasks/__init__.py).
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

import tasks  # noqa: F401
from tasks.totango_sf.metadata.schema import MetadataSchema, load_schema
from tests.support.paths import SHARED_ABSENT, V66_WSDL


@pytest.fixture(scope="session")
def v66_schema() -> MetadataSchema:
    if not V66_WSDL.exists():
        pytest.skip(SHARED_ABSENT)
    return load_schema(V66_WSDL)


@pytest.fixture(scope="session")
def schema() -> MetadataSchema:
    return load_schema()


# The org emulator (a test double under tests/org_emulator) and its fixtures.
pytest_plugins = ["tests.org_emulator.fixtures"]

TESTS = Path(__file__).parent
TIERS = ("unit", "e2e", "emulator", "contracts", "clients", "live")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clients",
        action="store_true",
        help="run the clients tier's sf CLI tests (./dev test --clients installs sf CLI first)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries its tier, the first folder under tests/, as a marker."""
    for item in items:
        tier = item.path.relative_to(TESTS).parts[0]
        if tier in TIERS:
            item.add_marker(tier)


@pytest.fixture(autouse=True)
def local_state_under_tmp(monkeypatch, tmp_path):
    """Snapshots and the ledgers go under tmp, never into the checkout."""
    monkeypatch.setattr(
        "tasks.totango_sf.steps.connected_app.GRANTS_ROOT", tmp_path / "totango-grants"
    )
    monkeypatch.setattr(
        "tasks.totango_sf.state.snapshot.SNAPSHOT_ROOT", tmp_path / "totango-snapshots"
    )
    monkeypatch.setattr(
        "tasks.totango_sf.org.permset_assignment.ASSIGNMENTS_ROOT", tmp_path / "totango-assignments"
    )


@pytest.fixture
def sigint_raises():
    """SIGINT raises KeyboardInterrupt here, and a process started meanwhile takes it as at a
    terminal.

    A job started in the background by a shell inherits SIGINT ignored, and passes that on
    to every process it starts: a test that sends SIGINT, to itself or to a process of its
    own, would then wait for nothing. It asks for this fixture, which installs Python's
    default handler (a process started meanwhile gets the default action back on exec, so
    Python installs the same handler there) and puts the previous one back after.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
