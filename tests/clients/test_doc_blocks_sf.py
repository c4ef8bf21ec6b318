"""The docs' sf CLI blocks (``<!-- block: clients -->``) run as written against an
emulator, their /tmp paths moved under the test's tmp folder (tests/support/doc_blocks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.clients import SfCli
from tests.support.doc_blocks import of_kind, run_block

QUIET = {
    "SF_DISABLE_TELEMETRY": "true",
    "SF_AUTOUPDATE_DISABLE": "true",
    "SF_SKIP_NEW_VERSION_CHECK": "true",
    "SF_USE_GENERIC_UNIX_KEYCHAIN": "true",
}


def test_the_docs_hold_an_sf_cli_block():
    assert of_kind("clients")


@pytest.mark.parametrize(
    ("where", "body"), of_kind("clients"), ids=[w for w, _ in of_kind("clients")]
)
def test_an_sf_cli_block_runs_as_written(where: str, body: str, tmp_path: Path, sf_cli: SfCli):
    run_block(where, body, tmp_path, QUIET)
