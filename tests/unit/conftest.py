"""The unit tier: tests that start neither the org emulator nor a process.

``./dev test --unit`` runs this folder alone, in seconds. A test here that asks for an
emulator fixture, starts an emulator itself or runs a subprocess fails at once, saying
what it started (tests/support/unit_tier.py): it belongs in tests/e2e, tests/emulator
or tests/contracts.
"""

from __future__ import annotations

import pytest

from tests.support.unit_tier import nothing_started, refuse


@pytest.fixture
def emulator_factory():
    refuse("the emulator_factory fixture")


@pytest.fixture
def emulator():
    refuse("the emulator fixture")


@pytest.fixture
def use_org():
    refuse("the use_org fixture")


@pytest.fixture(autouse=True)
def no_emulator_and_no_process():
    with nothing_started():
        yield
