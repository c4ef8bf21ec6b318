"""The web tab's motif is one of Salesforce's tab styles (the emulator's own check of it is
in tests/emulator/test_tab_motif.py)."""

from __future__ import annotations

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.render.files import render_tab
from tests.org_emulator.tab_motifs import MOTIFS, is_motif

MD = "http://soap.sforce.com/2006/04/metadata"


def test_documented_styles_are_known_and_the_old_one_is_not():
    assert len(MOTIFS) == 100
    assert is_motif("Custom24: Building") and is_motif("Custom57: Building Block")
    assert not is_motif("Custom57: Building")


def test_rendered_tab_uses_a_documented_motif():
    (tab,) = render_tab(build_config({}))
    motif = parse_xml(tab.xml).findtext(f"{{{MD}}}motif")
    assert motif == "Custom24: Building" and is_motif(motif)
