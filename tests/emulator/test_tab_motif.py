"""Tab motifs: orgs accept styles beyond the sf CLI's list, so the emulator does too.

The NPSP package ships ``Custom41: Stack of Cash`` (SalesforceFoundation/NPSP,
``src/tabs/npe01__OppPayment__c.tab``) where the sf CLI's list has ``Custom41: Cash``;
no public source says which motif an org refuses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tests.org_emulator import rules
from tests.org_emulator.tab_motifs import is_motif
from tests.support.mdapi import deploy_task, package_xml, write_package

MOTIFS = ["Custom41: Stack of Cash", "Custom57: Building", "Custom24: Building"]


def test_the_rule_refuses_no_motif(emulator):
    for motif in MOTIFS:
        assert rules.check_tab(emulator.state, tab_xml(motif).encode()) == []
    assert not is_motif("Custom41: Stack of Cash")  # outside the sf CLI's list


@pytest.mark.parametrize("flavour", ["production", "sandbox"])
@pytest.mark.parametrize("motif", MOTIFS)
def test_a_tab_with_a_motif_outside_the_list_lands(
    emulator_factory, tmp_path: Path, flavour, motif
):
    emulator = emulator_factory(flavour=flavour)
    root = write_package(
        tmp_path / "src",
        {
            "package.xml": package_xml({"CustomTab": ["Totango"]}),
            "tabs/Totango.tab": tab_xml(motif),
        },
    )
    deploy_task(emulator, root)()
    assert emulator.state.has("CustomTab", "Totango")


MD = "http://soap.sforce.com/2006/04/metadata"


def tab_xml(motif: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomTab xmlns="{MD}">\n'
        "    <frameHeight>600</frameHeight>\n    <label>Totango</label>\n"
        f"    <motif>{motif}</motif>\n    <url>https://app.totango.com/</url>\n"
        "    <urlEncodingKey>UTF-8</urlEncodingKey>\n</CustomTab>\n"
    )
