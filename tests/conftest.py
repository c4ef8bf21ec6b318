"""Shared pytest setup.

Importing cumulusci registers a synthetic ``tasks`` package; importing ours first
keeps the real one in ``sys.modules`` (see tasks/__init__.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tasks  # noqa: F401
from tasks.totango_sf.metadata.schema import MetadataSchema, load_schema

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
V66_WSDL = SHARED / "oracles" / "metadata-v66.wsdl"
CORPUS = SHARED / "corpus"
SHARED_ABSENT = "../shared is absent (it holds the corpus and the v66 schema oracle)"


def oracle_schemas() -> list[MetadataSchema]:
    """The bundled 63.0 schema, plus the official v66 oracle when ../shared is here."""
    schemas = [load_schema()]
    if V66_WSDL.exists():
        schemas.append(load_schema(V66_WSDL))
    return schemas


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


@pytest.fixture(autouse=True)
def local_state_under_tmp(monkeypatch, tmp_path):
    """Snapshots and the grant ledger go under tmp, never into the checkout."""
    monkeypatch.setattr(
        "tasks.totango_sf.steps.connected_app.GRANTS_ROOT", tmp_path / "totango-grants"
    )
    monkeypatch.setattr(
        "tasks.totango_sf.state.snapshot.SNAPSHOT_ROOT", tmp_path / "totango-snapshots"
    )
