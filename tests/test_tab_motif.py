"""The web tab's motif is one of Salesforce's tab styles, and the emulator says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from cumulusci.core.exceptions import CumulusCIException

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.render.files import render_tab
from tests.org_emulator import rules
from tests.org_emulator.tab_motifs import MOTIFS, is_motif
from tests.support.mdapi import deploy_task, package_xml, write_package

MD = "http://soap.sforce.com/2006/04/metadata"


def tab_xml(motif: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomTab xmlns="{MD}">\n'
        "    <frameHeight>600</frameHeight>\n    <label>Totango</label>\n"
        f"    <motif>{motif}</motif>\n    <url>https://app.totango.com/</url>\n"
        "    <urlEncodingKey>UTF-8</urlEncodingKey>\n</CustomTab>\n"
    )


def test_documented_styles_are_known_and_the_old_one_is_not():
    assert len(MOTIFS) == 100
    assert is_motif("Custom24: Building") and is_motif("Custom57: Building Block")
    assert not is_motif("Custom57: Building")


def test_rendered_tab_uses_a_documented_motif():
    (tab,) = render_tab(build_config({}))
    motif = parse_xml(tab.xml).findtext(f"{{{MD}}}motif")
    assert motif == "Custom24: Building" and is_motif(motif)


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
