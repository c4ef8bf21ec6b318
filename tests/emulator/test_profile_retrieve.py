"""The emulator retrieves Profiles as an org does: layout assignments only beside the layouts
retrieved, record-type ones only with their object, and every file schema-valid."""

from __future__ import annotations

import io
import zipfile

from tasks.totango_sf.merge.layout_audience import (
    LayoutAssignment,
    profile_assignments,
)
from tasks.totango_sf.metadata.schema import load_schema
from tests.org_emulator import retrieve_engine
from tests.org_emulator.seed import SEED, build_state
from tests.support.profiles import MAIN, PARTNER


def retrieve(members: dict[str, list[str]]) -> dict[str, bytes]:
    outcome = retrieve_engine.retrieve(build_state(), members, "63.0")
    with zipfile.ZipFile(io.BytesIO(outcome.zip_bytes)) as archive:
        return {
            n.removeprefix("unpackaged/"): archive.read(n)
            for n in archive.namelist()
            if not n.endswith("/")
        }


def test_a_profile_retrieved_alone_holds_no_layout_assignments():
    files = retrieve({"Profile": ["Standard"]})
    assert profile_assignments(files) == []


def test_a_record_type_assignment_needs_the_object_in_the_same_retrieve():
    layouts_only = retrieve({"Profile": ["Standard"], "Layout": [MAIN, PARTNER]})
    assert profile_assignments(layouts_only) == [LayoutAssignment("Standard", MAIN, None)]
    with_object = retrieve(
        {"Profile": ["Standard"], "Layout": [MAIN, PARTNER], "CustomObject": ["Account"]}
    )
    assert LayoutAssignment("Standard", PARTNER, "Account.Customer") in (
        profile_assignments(with_object) or []
    )


def test_seeded_and_retrieved_profiles_are_schema_valid():
    schema = load_schema()
    for path in (SEED / "profiles").iterdir():
        assert not schema.validate_bytes(path.read_bytes()), path.name
    files = retrieve({"Profile": ["*"], "Layout": [MAIN], "CustomObject": ["Account"]})
    profiles = [p for p in files if p.startswith("profiles/")]
    assert len(profiles) == 3
    for path in profiles:
        assert not schema.validate_bytes(files[path]), path
