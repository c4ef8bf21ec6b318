"""TotangoDeploy / TotangoVerify / TotangoRollback as CumulusCI runs them."""

from __future__ import annotations

import pytest
from cumulusci.core.exceptions import TaskOptionsError
from cumulusci.tasks.salesforce.tests.util import create_task

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.cci.org import TotangoDeploy, TotangoRollback, TotangoVerify
from tests.support.cci import run_task


def test_check_only_then_quick_then_verify_then_rollback(emulator, config_file):
    validated = run_task(
        TotangoDeploy, emulator, config=config_file, check_only=True, test_level="RunLocalTests"
    )
    validation_id = validated.return_values["validation_id"]
    assert validation_id and validated.return_values["status"] == "validated"
    deployed = run_task(TotangoDeploy, emulator, config=config_file, quick=validation_id)
    assert deployed.return_values["status"] == "deployed"
    assert run_task(TotangoVerify, emulator, config=config_file).return_values["in_sync"] is True
    run_task(TotangoRollback, emulator, config=config_file)
    layout = emulator.state.metadata_xml("Layout", "Account-Account Layout")
    assert b"<label>Totango</label>" not in layout


def test_bad_options_raise_task_options_error(emulator, config_file):
    with pytest.raises(TaskOptionsError):
        create_task(
            TotangoDeploy, {"check_only": True, "quick": "0Af"}, org_config=emulator.org_config()
        )
    with pytest.raises(TaskOptionsError):
        create_task(TotangoDeploy, {"timeout": "soon"}, org_config=emulator.org_config())
    with pytest.raises(TaskOptionsError):
        create_task(TotangoRollback, {"delete_fields": True}, org_config=emulator.org_config())


def test_test_level_options_are_checked_as_task_options(emulator, config_file):
    org_config = emulator.org_config()
    for options in (
        {"test_level": "Everything"},
        {"test_level": "RunLocalTests", "tests": "AccountTriggerTest"},
        {"tests": "Not A Class"},
    ):
        with pytest.raises(TaskOptionsError):
            create_task(TotangoDeploy, {"config": config_file, **options}, org_config=org_config)
    with pytest.raises(TaskOptionsError):
        create_task(TotangoRollback, {"force": True}, org_config=org_config)
    assert emulator.history.deploys == []


def test_production_no_test_run_is_a_task_options_error(emulator_factory, config_file):
    prod = emulator_factory(flavour="production")
    with pytest.raises(TaskOptionsError, match="NoTestRun"):
        run_task(TotangoDeploy, prod, config=config_file, yes=True, test_level="NoTestRun")
    assert prod.history.deploys == []


def test_changing_tasks_are_refused_while_the_org_is_locked(emulator, config_file):
    from tasks.totango_sf.cci.org import TotangoOrgTaskFailed
    from tasks.totango_sf.cci.steps import TotangoConnectedAppAccess
    from tasks.totango_sf.state.lock import OrgLock

    org_name = emulator.org_config().name
    emulator.history.clear()
    with OrgLock(org_name, "deploy"):
        for task_class in (TotangoDeploy, TotangoRollback, TotangoConnectedAppAccess):
            with pytest.raises(TotangoOrgTaskFailed, match="deploy"):
                run_task(task_class, emulator, config=config_file)
    assert emulator.history.deploys == []
    assert not [c for c in emulator.history if c.kind in ("composite", "sobject_post")]
    run_task(TotangoDeploy, emulator, config=config_file)  # the lock went with its holder
    assert emulator.history.deploys
