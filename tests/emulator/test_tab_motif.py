"""The emulator refuses a tab motif Salesforce does not document, as an org does, and a
deploy that holds one fails whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from cumulusci.core.exceptions import CumulusCIException

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tests.org_emulator import rules
from tests.support.mdapi import deploy_task, package_xml, write_package


def test_emulator_rule_refuses_an_unknown_motif(emulator):
    problems = rules.check_tab(emulator.state, tab_xml("Custom57: Building").encode())
    assert [p.text for p in problems] == [
        "In field: motif - invalid tab style 'Custom57: Building'"
    ]
    assert rules.check_tab(emulator.state, tab_xml("Custom24: Building").encode()) == []


@pytest.mark.parametrize(
    "motif, lands", [("Custom57: Building", False), ("Custom24: Building", True)]
)
def test_a_deploy_with_an_unknown_motif_fails_whole(emulator, tmp_path: Path, motif, lands):
    root = write_package(
        tmp_path / "src",
        {
            "package.xml": package_xml({"CustomTab": ["Totango"]}),
            "tabs/Totango.tab": tab_xml(motif),
        },
    )
    task = deploy_task(emulator, root)
    if lands:
        task()
    else:
        with pytest.raises(CumulusCIException, match="motif"):
            task()
    assert emulator.state.has("CustomTab", "Totango") is lands


MD = "http://soap.sforce.com/2006/04/metadata"


def tab_xml(motif: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomTab xmlns="{MD}">\n'
        "    <frameHeight>600</frameHeight>\n    <label>Totango</label>\n"
        f"    <motif>{motif}</motif>\n    <url>https://app.totango.com/</url>\n"
        "    <urlEncodingKey>UTF-8</urlEncodingKey>\n</CustomTab>\n"
    )
