"""Shared pytest setup.

Importing cumulusci registers a synthetic ``tasks`` package; importing ours first
keeps the real one in ``sys.modules`` (see tasks/__init__.py).
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

import pytest

import tasks  # noqa: F401
from tasks.totango_sf.metadata.schema import MetadataSchema, load_schema
from tests.support.paths import REPO_ROOT, SHARED_ABSENT, V66_WSDL


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


def pytest_configure(config: pytest.Config) -> None:
    """Each pytest-xdist worker gets a home of its own. At exit, every cci process rolls
    ~/.cumulusci/logs/cci.log over (a RotatingFileHandler): two processes sharing a home
    race on those renames, and one of them fails with FileNotFoundError."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        os.environ["HOME"] = tempfile.mkdtemp(prefix=f"totango-sf-tests-{worker}-")


# Tests run the product in projects of their own (tests/support/processes.project): one
# run in the checkout would leave snapshots and ledgers there, which later runs, and
# other xdist workers, would read as this project's own.
CHECKOUT_STATE = REPO_ROOT / ".totango"
_checkout_state_at_start = pytest.StashKey[list[tuple[str, int]]]()


def _checkout_state() -> list[tuple[str, int]]:
    if not CHECKOUT_STATE.exists():
        return []
    found = [CHECKOUT_STATE, *CHECKOUT_STATE.rglob("*")]
    return sorted((str(path), path.lstat().st_mtime_ns) for path in found)


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_checkout_state_at_start] = _checkout_state()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller checks once, after every worker
    if _checkout_state() != session.config.stash[_checkout_state_at_start]:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(
            f"\nFAILED: a test wrote into the checkout's {CHECKOUT_STATE};"
            " run the product in a project of its own (tests/support/processes.project)"
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
