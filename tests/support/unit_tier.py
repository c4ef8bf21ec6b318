"""What the unit tier refuses: an org emulator or a process started by a test.

tests/unit/conftest.py applies it to every unit test; ``./dev test --unit`` runs that
folder alone, in seconds, and a test that needs either belongs in another tier.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.org_emulator.server import OrgEmulatorServer

ELSEWHERE = (
    "a unit test starts no org emulator and no process; "
    "move it to tests/e2e, tests/emulator or tests/contracts"
)


def refuse(what: str) -> None:
    """Fail the test at once, naming ``what`` it started."""
    pytest.fail(f"{what}: {ELSEWHERE}", pytrace=False)


@contextmanager
def nothing_started() -> Iterator[None]:
    """While it lasts, starting an emulator or any subprocess (a CLI run, cci, git) fails
    the test. It patches on its own, so a test's ``monkeypatch.undo()`` leaves it be."""

    def start(self, *args, **kwargs):
        refuse("an org emulator was started")

    def popen(self, args, *rest, **kwargs):
        refuse(f"a process was started ({args!r})")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OrgEmulatorServer, "start", start)
        patch.setattr(subprocess.Popen, "__init__", popen)
        yield
