"""Values from the config, the org and the command line are printed as written.

rich reads ``[...]`` as markup and ``:name:`` as an emoji code by default, so a value
holding ``[/]`` raised MarkupError, ``[red]x`` lost its brackets and ``:thumbs_up:``
became an emoji. The consoles have markup, emoji codes and highlighting off; styles
are given explicitly. The bad-input corpus (class markup-codes) covers config errors
and arguments offline, tests/unit/cli/test_output_verbatim.py the consoles themselves and
the progress bar; here the org commands' tables and messages against the emulated org.
"""

from __future__ import annotations

import pytest

from tasks.totango_sf.cli.output import err, out
from tests.support.cli import cli, write_config

GATEWAY = "[bold red]Gate[/] [/] :thumbs_up:"
SECTION = "Tot [/] :thumbs_up: [red]x"
DESCRIPTION = "[/x] desc :thumbs_up:"


def flat(text: str) -> str:
    """Output with runs of whitespace made one space (rich wraps and pads)."""
    return " ".join(text.split())


@pytest.fixture
def wide(monkeypatch):
    """A terminal wide enough that no table cell is folded."""
    monkeypatch.setattr(out, "_width", 400)
    monkeypatch.setattr(err, "_width", 400)


def test_plan_against_the_org_shows_values_verbatim(emulator, use_org, tmp_path, wide):
    use_org(emulator)
    config = write_config(
        tmp_path,
        widget={"section_label": SECTION},
        connected_app={"gateway": GATEWAY},
        trusted_ip_ranges={"addresses": ["8.8.8.8"], "description": DESCRIPTION},
    )
    result = cli("plan", "--org", "emu", "--config", str(config), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    assert f"section '{SECTION}' with page Totango_Account_Insights" in flat(result.stdout)
    assert "Lightning record pages" in result.stdout


def test_doctor_table_shows_a_hostile_gateway_verbatim(emulator, use_org, tmp_path, wide):
    use_org(emulator)
    config = write_config(tmp_path, connected_app={"gateway": GATEWAY})
    result = cli("doctor", "--org", "emu", "--config", str(config))
    assert result.exit_code == 1, result.output  # a fresh org: the package is not there
    assert f"{GATEWAY} is not installed" in flat(result.stdout)


def test_connected_app_table_and_error_show_profile_names_verbatim(
    emulator_factory, use_org, tmp_path, wide
):
    emulator = use_org(emulator_factory(flavour="sandbox", package_installed=True))
    state = emulator.state
    profile = "[/]Ops :thumbs_up:"
    profile_id = state.insert("Profile", {"Name": profile})
    state.insert(
        "PermissionSet",
        {"Name": "X00ops", "Label": profile, "IsOwnedByProfile": True, "ProfileId": profile_id},
    )
    config = write_config(tmp_path, connected_app={"profiles": [profile]})
    result = cli("connected-app", "--org", "emu", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert f"{profile} │ added" in flat(result.stdout)

    missing = "[red]Nobody[/] :thumbs_up:"
    config = write_config(tmp_path, connected_app={"profiles": [missing]})
    result = cli("connected-app", "--org", "emu", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert missing in flat(result.stderr)


def test_deploy_and_verify_with_a_hostile_description_and_label(emulator, use_org, tmp_path, wide):
    use_org(emulator)
    untouched = emulator.state.metadata_xml("Layout", "Account-Account Layout")
    config = write_config(
        tmp_path,
        widget={"section_label": SECTION},
        trusted_ip_ranges={"addresses": ["8.8.8.8"], "description": DESCRIPTION},
    )
    deploy = cli("deploy", "--org", "emu", "--config", str(config))
    assert deploy.exit_code == 0, deploy.output
    assert "deployed" in deploy.stdout
    security = emulator.state.metadata_xml("Settings", "Security")
    assert DESCRIPTION.encode() in security
    assert SECTION.encode() in emulator.state.metadata_xml("Layout", "Account-Account Layout")
    verify = cli("verify", "--org", "emu", "--config", str(config))
    assert verify.exit_code == 0, verify.output
    assert "in sync" in verify.stdout

    # Drift: the table's styled cells (state) beside plain ones, and the verdict line.
    emulator.state.set_metadata_xml("Layout", "Account-Account Layout", untouched)
    verify = cli("verify", "--org", "emu", "--config", str(config))
    assert verify.exit_code == 3, verify.output
    assert "Layout │ Account-Account Layout │ changed │ section missing" in flat(verify.stdout)
    assert "drift: 1 component(s) differ" in verify.stdout
