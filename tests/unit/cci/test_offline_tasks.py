"""The CumulusCI tasks wrap the same functions and speak CumulusCI's option style."""

from pathlib import Path

import pytest
from cumulusci.core.exceptions import TaskOptionsError
from cumulusci.tasks.salesforce.tests.util import create_task

from tasks.totango_sf.cci.offline import TotangoPlan, TotangoValidate
from tasks.totango_sf.metadata.validation import SchemaValidationError


def test_plan_task_writes_the_package(tmp_path: Path):
    task = create_task(TotangoPlan, {"out": str(tmp_path), "format": "source"})
    task()
    assert (tmp_path / "package/force-app/main/default/tabs/Totango.tab-meta.xml").exists()
    assert task.return_values["components"]


def test_plan_task_rejects_bad_options(tmp_path: Path):
    with pytest.raises(TaskOptionsError, match="format"):
        create_task(TotangoPlan, {"format": "zip"})
    config = tmp_path / "bad.yml"
    config.write_text("widget:\n  height: -1\n")
    task = create_task(TotangoPlan, {"config": str(config), "out": str(tmp_path / "o")})
    with pytest.raises(TaskOptionsError, match="widget.height"):
        task()
    assert not (tmp_path / "o").exists()


def test_plan_task_refuses_an_out_folder_holding_files_it_did_not_write(tmp_path: Path):
    stray = tmp_path / "package" / "notes.txt"
    stray.parent.mkdir(parents=True)
    stray.write_text("mine")
    task = create_task(TotangoPlan, {"out": str(tmp_path)})
    with pytest.raises(TaskOptionsError, match="Option 'out'.*package/notes.txt"):
        task()
    assert stray.read_text() == "mine"


def test_validate_task_fails_on_schema_errors(tmp_path: Path):
    bad = tmp_path / "x.tab"
    bad.write_text(
        '<CustomTab xmlns="http://soap.sforce.com/2006/04/metadata"><bogus/></CustomTab>'
    )
    with pytest.raises(SchemaValidationError):
        create_task(TotangoValidate, {"paths": str(tmp_path)})()
    with pytest.raises(TaskOptionsError, match="paths"):
        create_task(TotangoValidate, {"paths": str(tmp_path / "missing")})()
