"""The scratch org definitions cumulusci.yml points at are usable for the setup."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.support.paths import REPO_ROOT

DEFINITIONS = ["dev", "qa"]
# Editions that can install managed packages (see the doctor's edition check).
PACKAGE_EDITIONS = {"Enterprise", "Developer", "Unlimited"}


def load(name: str) -> dict[str, Any]:
    data = json.loads((REPO_ROOT / "orgconfig" / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", DEFINITIONS)
def test_definition_is_an_enterprise_org(name: str) -> None:
    definition = load(name)
    assert definition["edition"] == "Enterprise"
    assert definition["edition"] in PACKAGE_EDITIONS
    assert definition["orgName"].strip()


@pytest.mark.parametrize("name", DEFINITIONS)
def test_definition_enables_what_the_setup_uses(name: str) -> None:
    definition = load(name)
    assert "API" in definition["features"]
    assert len(definition["features"]) == len(set(definition["features"]))
    settings = definition["settings"]
    # The Robot suites drive Lightning pages; testers switching users with Login-As
    # stay logged in.
    assert settings["lightningExperienceSettings"]["enableS1DesktopEnabled"] is True
    assert settings["securitySettings"]["sessionSettings"]["forceRelogin"] is False


def test_cumulusci_yml_maps_scratch_orgs_to_the_definitions() -> None:
    config = yaml.safe_load((REPO_ROOT / "cumulusci.yml").read_text(encoding="utf-8"))
    scratch = config["orgs"]["scratch"]
    for name in DEFINITIONS:
        assert scratch[name]["config_file"] == f"orgconfig/{name}.json"
