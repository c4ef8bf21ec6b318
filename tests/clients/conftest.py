"""The clients tier: real clients against the org emulator, as against a real org.

sf CLI (Node) runs only under ``./dev test --clients``, which installs it into
``.clients/`` first; elsewhere its tests skip, naming that command. CumulusCI's
standard tasks and simple-salesforce's Metadata API client need nothing beyond the
test extras, take seconds, and run in every ``./dev test``.
"""

from __future__ import annotations

import pytest

from tests.support.clients import HOW, SfCli, missing_tools


@pytest.fixture
def sf_cli(request, tmp_path) -> SfCli:
    reason = missing_tools()
    if reason is not None:
        pytest.skip(reason)
    if not request.config.getoption("--clients"):
        pytest.skip(f"sf CLI adds minutes: {HOW}")
    return SfCli(tmp_path / "sf-home")
