"""The totango_deploy task leaves hand-made sections alone, and adopts them on ``adopt``."""

from __future__ import annotations

import pytest
from cumulusci.core.exceptions import TaskOptionsError
from cumulusci.tasks.salesforce.tests.util import create_task

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.cci.org import TotangoDeploy, TotangoRollback
from tasks.totango_sf.merge.layout_ownership import HAND_MADE_LEFT
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.support.cci import run_task as run
from tests.support.layouts import ACCOUNT, CUSTOMER_HEALTH, put_section


def test_the_task_leaves_a_hand_made_section_and_adopts_it_on_request(
    emulator, config_file, caplog
):
    before = put_section(emulator, ACCOUNT, CUSTOMER_HEALTH)
    run(TotangoDeploy, emulator, config=config_file)
    assert canonical_bytes(emulator.state.metadata_xml("Layout", ACCOUNT)) == before
    assert HAND_MADE_LEFT in caplog.text
    run(TotangoDeploy, emulator, config=config_file, adopt=True)
    adopted = emulator.state.metadata_xml("Layout", ACCOUNT)
    assert b"<field>Rating</field>" in adopted and b"<height>290</height>" in adopted
    run(TotangoRollback, emulator, config=config_file)
    assert canonical_bytes(emulator.state.metadata_xml("Layout", ACCOUNT)) == before


def test_adopt_and_quick_exclude_each_other(emulator, config_file):
    with pytest.raises(TaskOptionsError, match="adopt"):
        create_task(
            TotangoDeploy,
            {"config": config_file, "adopt": True, "quick": "0Af000000000001AAA"},
            org_config=emulator.org_config(),
        )
