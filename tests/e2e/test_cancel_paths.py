"""The product's cancel paths against an emulator that cancels as orgs do.

The emulator answers cancelDeploy as the Metadata API Developer Guide describes it
(tests/org_emulator/metadata_api.py): done false for a running deploy, Canceling, then
Canceled; a deploy in "Finalizing Deploy" cannot be cancelled from API 65.0, and below
it the cancel can succeed with the data committed. Tested on production and sandbox.
"""

from __future__ import annotations

import pytest

from tasks.totango_sf.salesforce.apex_tests import ApexTestPlan
from tasks.totango_sf.salesforce.metadata_api import (
    DeployOutcomeUnknown,
    DeployTimeout,
    Polling,
    deploy_files,
)
from tests.support.mdapi import layout_package
from tests.support.org import session_for

FLAVOURS = ["production", "sandbox"]
# Production refuses NoTestRun; left out, a package without Apex runs no tests anywhere.
ORG_DEFAULT = ApexTestPlan(None)


def _files() -> dict[str, bytes]:
    return {path: text.encode() for path, text in layout_package("P1").items()}


def _layout(emulator) -> bytes:
    return emulator.state.metadata_xml("Layout", "Account-Account Layout")


class Stop:
    """A progress callback that stops the run (as Ctrl-C does) at a status."""

    def __init__(self, at: str):
        self.at = at
        self.statuses: list[str] = []

    def __call__(self, progress) -> None:
        self.statuses.append(progress.status)
        if progress.status == self.at and self.statuses.count(self.at) == 1:
            raise KeyboardInterrupt


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    monkeypatch.setattr("tasks.totango_sf.salesforce.metadata_api.FIRST_POLL_INTERVAL", 0.001)
    monkeypatch.setattr(
        "tasks.totango_sf.salesforce.metadata_api.CANCEL_CONFIRM_DELAYS", (0.0, 0.0, 0.0, 0.0)
    )


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_timeout_cancels_through_canceling_and_nothing_changes(
    emulator_factory, monkeypatch, flavour
):
    emulator = emulator_factory(flavour=flavour, deploy_polls=10_000, deploy_tick=1000)
    session = session_for(emulator, monkeypatch)
    seen = Stop(at="never")
    before = _layout(emulator)
    with pytest.raises(DeployTimeout) as timed_out:
        deploy_files(
            session,
            _files(),
            "63.0",
            polling=Polling(timeout=0.5, progress=seen),
            test_plan=ORG_DEFAULT,
        )
    assert timed_out.value.canceled
    assert "Canceling" in seen.statuses and seen.statuses[-1] == "Canceled"
    assert _layout(emulator) == before
    assert emulator.history.kinds().count("cancelDeploy") == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_interrupt_while_in_progress_is_canceled_and_reported_as_such(
    emulator_factory, monkeypatch, flavour
):
    emulator = emulator_factory(flavour=flavour, deploy_polls=10, deploy_tick=1000)
    session = session_for(emulator, monkeypatch)
    seen = Stop(at="InProgress")
    result = deploy_files(
        session, _files(), "63.0", polling=Polling(progress=seen), test_plan=ORG_DEFAULT
    )
    assert result.interrupted and result.status == "Canceled" and not result.success
    assert seen.statuses[-2:] == ["Canceling", "Canceled"]
    assert b"<label>Totango</label>" not in _layout(emulator)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_below_api_65_a_cancel_while_finalizing_is_an_unknown_outcome(
    emulator_factory, monkeypatch, flavour
):
    emulator = emulator_factory(flavour=flavour, deploy_polls=3, deploy_tick=1000)
    session = session_for(emulator, monkeypatch)
    with pytest.raises(DeployOutcomeUnknown) as unknown:
        deploy_files(
            session,
            _files(),
            "64.0",
            polling=Polling(progress=Stop(at="InProgress")),
            test_plan=ORG_DEFAULT,
        )
    assert "finalizing" in unknown.value.reason and "committed" in unknown.value.reason
    assert unknown.value.exit_code == 5
    # And so it was: the org holds the deploy's changes.
    assert b"<label>Totango</label>" in _layout(emulator)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_from_api_65_a_finalizing_deploy_is_waited_for_not_reported_canceled(
    emulator_factory, monkeypatch, flavour
):
    emulator = emulator_factory(flavour=flavour, deploy_polls=3, deploy_tick=1000)
    session = session_for(emulator, monkeypatch)
    said: list[str] = []
    result = deploy_files(
        session,
        _files(),
        "65.0",
        polling=Polling(progress=Stop(at="InProgress"), notice=said.append),
        test_plan=ORG_DEFAULT,
    )
    assert result.status == "Succeeded" and result.success and result.interrupted
    assert b"<label>Totango</label>" in _layout(emulator)
    assert not any("Canceled" in line for line in said)
