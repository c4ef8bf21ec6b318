"""Every command's ``--json`` output against the JSON Schemas published under ``schemas/``.

CI tools parse these documents; the schemas are their contract. Each command runs for
real (offline ones directly, org ones against the org emulator) and its document must
validate: the envelope against ``envelope.schema.json``, the result against
``<command>.result.schema.json``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from tasks.totango_sf.cli.app import app
from tasks.totango_sf.config.model import config_json_schema
from tests.support.paths import REPO_ROOT
from tests.support.schemas import check, schema_file, validator

SCHEMAS = REPO_ROOT / "schemas"
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repo_habits"
REAL_CONFIG = "trusted_ip_ranges:\n  addresses: [8.8.8.8, 1.1.1.0/24]\n"
VERSION_ID = "04t5g000000ABCDAAA"


def command_names() -> list[str]:
    """Every leaf command of the CLI, groups spelled out ("config show")."""
    # typer ships its own click; groups are recognised by their sub-commands.
    root: Any = typer.main.get_command(app)
    names = []
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            names += [f"{name} {sub}" for sub in command.commands]
        else:
            names.append(name)
    return sorted(names)


def run(args: list[str], command: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return check(command, result.stdout, result.exit_code)


def test_every_command_has_a_published_result_schema():
    for command in command_names():
        validator(schema_file(command))
    validator("envelope.schema.json")
    validator("config.schema.json")


def test_the_committed_config_schema_is_the_models(tmp_path: Path):
    committed = json.loads((SCHEMAS / "config.schema.json").read_text(encoding="utf-8"))
    assert committed == config_json_schema(), (
        "schemas/config.schema.json is stale: regenerate it with"
        " `totango-sf config schema > schemas/config.schema.json`"
    )
    first = (REPO_ROOT / "orgconfig" / "totango.yml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/config.schema.json"


def documented_commands(doc: str = "docs/commands.md") -> list[str]:
    """The commands a table lists: the README's short one, or docs/commands.md in full."""
    text = (REPO_ROOT / doc).read_text(encoding="utf-8")
    found = re.findall(r"^\| `totango-sf ([a-z][a-z-]*)", text, re.MULTILINE)
    found += [f"config {sub}" for sub in re.findall(r"`(?:totango-sf )?config (\w+)", text)]
    return sorted(set(found) - {"config"})


def test_the_readme_lists_the_commands_docs_describe_in_full():
    assert documented_commands("README.md") == documented_commands("docs/commands.md")


def test_every_documented_command_takes_json_and_config():
    listed = documented_commands()
    assert {"plan", "apply", "deploy", "setup", "config schema", "config show"} <= set(listed)
    assert set(listed) <= set(command_names()), set(listed) - set(command_names())
    for command in listed:
        result = CliRunner().invoke(app, [*command.split(), "--help"], terminal_width=200)
        assert result.exit_code == 0, (command, result.output)
        assert "--json" in result.output and "--config" in result.output, command


def test_offline_commands_match_their_schemas(tmp_path: Path):
    config = tmp_path / "totango.yml"
    config.write_text(REAL_CONFIG)
    c = ["--config", str(config)]
    out = ["--out", str(tmp_path / "build")]
    assert run(["plan", *c, *out], "plan")["status"] == 0
    assert run(["plan", *c, *out, "--format", "source"], "plan")["status"] == 0
    assert run(["validate", "force-app", *c], "validate")["status"] == 0
    bad = tmp_path / "bad.layout"
    bad.write_text('<Layout xmlns="http://soap.sforce.com/2006/04/metadata"><oops/></Layout>')
    assert run(["validate", str(bad), *c], "validate")["result"]["problems"]
    assert "properties" in run(["config", "schema", *c], "config schema")["result"]["schema"]
    assert run(["config", "show", *c], "config show")["result"]["config"]["api_version"]
    assert run(["mapping", *c], "mapping")["result"]["mappings"]
    project = tmp_path / "project"
    shutil.copytree(FIXTURE, project)
    first = run(["apply", "--source-dir", str(project), *c], "apply")
    assert first["result"]["changed"] and first["result"]["existing_schema_errors"]
    assert not run(["apply", "--source-dir", str(project), *c], "apply")["result"]["changed"]


def test_errors_and_usage_errors_match_the_envelope(tmp_path: Path):
    broken = tmp_path / "broken.yml"
    broken.write_text("widget:\n  height: 5000\n")
    assert run(["plan", "--config", str(broken)], "plan")["name"] == "BadInput"
    assert run(["apply", "--source-dir", str(tmp_path / "nope")], "apply")["status"] == 2
    assert run(["validate", str(tmp_path / "missing.layout")], "validate")["status"] == 2


def test_org_commands_match_their_schemas(emulator_factory, monkeypatch, tmp_path: Path):
    emu = emulator_factory(flavour="sandbox", package_installed=True)
    for key, value in emu.env("emu").items():
        monkeypatch.setenv(key, value)
    config = tmp_path / "totango.yml"
    config.write_text(REAL_CONFIG + f"package:\n  version_id: {VERSION_ID}\n")
    c = ["--org", "emu", "--config", str(config)]

    assert run(["plan", *c, "--out", str(tmp_path / "b")], "plan")["result"]["in_sync"] is False
    assert run(["deploy", *c, "--check-only"], "deploy")["result"]["status"] == "validated"
    assert run(["deploy", *c], "deploy")["result"]["status"] == "deployed"
    assert run(["verify", *c], "verify")["result"]["in_sync"] is True
    assert run(["org-id", *c], "org-id")["result"]["id18"] == emu.org_id
    assert run(["doctor", *c], "doctor")["result"]["checks"]
    assert run(["connected-app", *c], "connected-app")["result"]["profiles"]
    assert run(["connected-app", *c, "--revoke"], "connected-app")["status"] == 0
    assert run(["install", *c], "install")["result"]["action"] in ("installed", "skipped")
    assert run(["setup", *c, "--allow-manual"], "setup")["result"]["steps"]
    assert run(["status", *c], "status")["result"]["state"] == "nothing_to_follow"
    assert run(["rollback", *c], "rollback")["result"]["ok"] is True
    assert run(["verify", *c], "verify")["status"] == 3


def test_fleet_runs_match_the_fleet_schema(emulator_factory, monkeypatch, tmp_path: Path):
    for name in ("fleet-a", "fleet-b"):
        for key, value in emulator_factory(flavour="sandbox").env(name).items():
            monkeypatch.setenv(key, value)
    config = tmp_path / "totango.yml"
    config.write_text(REAL_CONFIG)
    c = ["--org", "fleet-a", "--org", "fleet-b", "--config", str(config)]

    document = run(["verify", *c], "verify")
    assert document["status"] == 3 and len(document["result"]["orgs"]) == 2
    assert run(["deploy", *c], "deploy")["status"] == 0
    assert run(["doctor", *c], "doctor")["result"]["summary"]["orgs"] == 2
    assert run(["deploy", *c, "--orgs", "nomatch-*"], "deploy")["status"] == 2
