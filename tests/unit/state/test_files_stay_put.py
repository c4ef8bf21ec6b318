"""Files stay where they belong: project root state, private modes, safe names, owned output.

Also the loaders' own rules that the bad-input corpus exercises only through the
command line: what the strict YAML loader still accepts, and what the XML text
check lets through. The same with an org is in tests/e2e/test_files_stay_put.py, and
processes that take turns in tests/e2e/test_processes_take_turns.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tasks.totango_sf.config.errors import ConfigError
from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.config.xml_text import bad_xml_char
from tasks.totango_sf.config.yaml_loader import load_yaml_text
from tasks.totango_sf.merge.source_dir import apply_to_source
from tasks.totango_sf.metadata.paths import UnsafePath
from tasks.totango_sf.state import snapshot as snapshots
from tasks.totango_sf.state.state_paths import find_project_root, safe_file_name
from tasks.totango_sf.steps import connected_app
from tests.org_emulator.seed import SEED
from tests.support.cli import ONE_ADDRESS, cli
from tests.support.cli_json import error_of
from tests.support.files import project_with_subfolder

# -- the strict YAML loader --------------------------------------------------------------


def test_merge_keys_and_modest_anchors_are_still_yaml():
    text = (
        "base: &base {height: 290, section_label: Totango}\n"
        "widget:\n  <<: *base\n  height: 300\n"
        "profiles: &p [Standard User]\nagain: *p\n"
    )
    data = load_yaml_text(text, "t.yml")
    assert data["widget"] == {"height": 300, "section_label": "Totango"}
    assert data["again"] == ["Standard User"]


def test_duplicate_key_names_both_lines():
    with pytest.raises(ConfigError) as caught:
        load_yaml_text("widget:\n  height: 1\n  height: 2\n", "t.yml")
    assert caught.value.problems == [
        "height: refused at line 3, column 3: duplicate key 'height' (first at line 2)"
    ]


def test_a_deep_alias_bomb_is_refused_before_it_is_built():
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for index in range(1, 12):
        previous = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    with pytest.raises(ConfigError, match="aliases expand to more than"):
        load_yaml_text("\n".join(levels) + "\n", "bomb.yml")


def test_strict_types_still_take_the_right_ones():
    cfg = build_config({"widget": {"height": 300, "generate_page": False}, **ONE_ADDRESS})
    assert cfg.widget.height == 300 and cfg.widget.generate_page is False
    with pytest.raises(ConfigError, match=r"widget\.height"):
        build_config({"widget": {"height": True}})


@pytest.mark.parametrize("text", ["Tab\there", "two\nlines", "Ünïcödé", "emoji \U0001f600"])
def test_characters_xml_holds_are_accepted(text):
    assert bad_xml_char(text) is None
    assert build_config({"widget": {"section_label": text[:40]}}).widget.section_label


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1f", "\ud800", "\ufffe", "\uffff"])
def test_characters_xml_cannot_hold_are_named(char):
    assert bad_xml_char(f"a{char}b") == f"U+{ord(char):04X}"


def test_every_code_point_is_judged_as_xml_1_0_char_says():
    # "Extensible Markup Language (XML) 1.0", section 2.2 Characters:
    # Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    def is_char(cp: int) -> bool:
        return (
            cp in (0x9, 0xA, 0xD)
            or 0x20 <= cp <= 0xD7FF
            or 0xE000 <= cp <= 0xFFFD
            or 0x10000 <= cp <= 0x10FFFF
        )

    wrong = [cp for cp in range(0x110000) if (bad_xml_char(chr(cp)) is None) != is_char(cp)]
    assert wrong == []


# -- names from the org or the command line ------------------------------------------------


@pytest.mark.parametrize("name", ["../", "..", ".", "../../etc", "a/b", "a\\b", "", ".hidden"])
def test_org_names_become_one_safe_file_name(name, tmp_path):
    safe = safe_file_name(name)
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".") and safe
    folder = snapshots.org_folder(tmp_path, name)
    assert folder.parent == tmp_path


def test_plain_org_names_keep_their_folder():
    assert safe_file_name("emu") == "emu"
    assert safe_file_name("my-org.uat_2") == "my-org.uat_2"
    assert len({safe_file_name(n) for n in ("a/b", "a_b", "a%2Fb", "a b")}) == 4


@pytest.mark.parametrize(
    "hostile",
    [
        "layouts/../../../evil.layout",
        "/etc/evil.layout",
        "layouts/./Account.layout",
        "layouts//Account.layout",
        "layouts/Account\x00.layout",
        "layouts\\..\\evil.layout",
    ],
)
def test_a_hostile_layout_name_from_the_org_writes_nothing(hostile, tmp_path):
    root = tmp_path / "state" / "snapshots"
    originals = {"layouts/Account-Account Layout.layout": b"<Layout/>", hostile: b"<Layout/>"}
    with pytest.raises(UnsafePath):
        snapshots.write_snapshot(root, "emu", originals, [], [("Layout", "x")])
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


# -- .totango/ lives at the project root ------------------------------------------------------


def test_state_is_found_from_the_project_root_not_the_cwd(tmp_path, monkeypatch):
    folder = project_with_subfolder(tmp_path)
    monkeypatch.chdir(folder / "sub" / "dir")
    assert find_project_root() == folder
    relative = Path(".totango/snapshots")
    assert snapshots.org_folder(relative, "emu") == folder / ".totango" / "snapshots" / "emu"
    monkeypatch.setattr(connected_app, "GRANTS_ROOT", Path(".totango/grants"))
    assert connected_app._ledger("../x").parent == folder / ".totango" / "grants"


# -- plan --out ----------------------------------------------------------------------------


def test_plan_out_replaces_its_own_files_and_refuses_others(tmp_path):
    out = tmp_path / "out"
    assert cli("plan", "--config", "/dev/null", "--out", str(out)).exit_code == 0
    assert cli("plan", "--config", "/dev/null", "--out", str(out)).exit_code == 0
    stray = out / "package" / "notes.txt"
    stray.write_text("mine")
    refused = cli("plan", "--config", "/dev/null", "--out", str(out), "--json")
    assert refused.exit_code == 2
    assert "package/notes.txt" in error_of(refused.stdout)["message"]
    assert stray.read_text() == "mine"
    forced = cli("plan", "--config", "/dev/null", "--out", str(out), "--force")
    assert forced.exit_code == 0 and not stray.exists()


def test_plan_out_written_before_the_record_existed_is_still_replaced(tmp_path):
    out = tmp_path / "out"
    assert cli("plan", "--config", "/dev/null", "--out", str(out)).exit_code == 0
    (out / ".totango-plan.json").unlink()
    assert cli("plan", "--config", "/dev/null", "--out", str(out)).exit_code == 0


def test_plan_out_killed_mid_write_is_replaced_by_the_next_run(tmp_path, monkeypatch):
    out = tmp_path / "out"
    fewer = tmp_path / "fewer.yml"
    fewer.write_text("insights:\n  objects: [Account]\n")

    def killed_after_three(files, before=None):
        # A process killed outright gets no chance to put anything back.
        for target, data in list(files.items())[:3]:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr("tasks.totango_sf.render.plan.write_all", killed_after_three)
        interrupted = cli("plan", "--config", "/dev/null", "--out", str(out))
    assert interrupted.exit_code != 0
    assert len(list((out / "package").rglob("*.*"))) == 3
    # A different config writes a different set of files: the killed run's leftovers
    # are still ours, not "files this command did not write".
    again = cli("plan", "--config", str(fewer), "--out", str(out))
    assert again.exit_code == 0, again.output
    recorded = json.loads((out / ".totango-plan.json").read_text())["files"]
    present = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert present == sorted([*recorded, ".totango-plan.json"])


def test_plan_out_never_deletes_through_a_symlink(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "package").symlink_to(victim)
    assert cli("plan", "--config", "/dev/null", "--out", str(out)).exit_code == 2
    assert (victim / "precious.txt").read_text() == "keep"
    assert cli("plan", "--config", "/dev/null", "--out", str(out), "--force").exit_code == 0
    assert (victim / "precious.txt").read_text() == "keep"
    assert not (out / "package").is_symlink() and (out / "package" / "package.xml").is_file()


# -- apply writes only inside the project ------------------------------------------------------


def test_a_nested_copy_is_warned_about_and_left_alone(tmp_path):
    root = tmp_path / "mdapi"
    shutil.copytree(SEED / "layouts", root / "layouts")
    shutil.copytree(SEED / "layouts", root / "zz_backup" / "layouts")
    shutil.copytree(SEED / "settings", root / "settings")
    backup = root / "zz_backup" / "layouts" / "Account-Account Layout.layout"
    before = backup.read_bytes()
    result = apply_to_source(build_config(ONE_ADDRESS), root)
    patched = {c.path for c in result.changes if c.change == "patched"}
    assert "layouts/Account-Account Layout.layout" in patched
    assert not any(p.startswith("zz_backup") for p in {c.path for c in result.changes})
    assert backup.read_bytes() == before
    assert any("zz_backup/layouts/Account-Account Layout.layout" in w for w in result.warnings)


# -- the CumulusCI tasks refuse the same option values -------------------------------------------


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"quick": ""}, "quick"),
        ({"quick": "04t000000000001"}, "quick"),
        ({"timeout": "nan"}, "timeout"),
        ({"timeout": "-inf"}, "timeout"),
        ({"timeout": "0"}, "timeout"),
    ],
)
def test_cci_deploy_task_refuses_bad_option_values(options, key):
    from cumulusci.core.exceptions import TaskOptionsError
    from cumulusci.tasks.salesforce.tests.util import create_task
    from cumulusci.tests.util import DummyOrgConfig

    from tasks.totango_sf.cci.org import TotangoDeploy

    with pytest.raises(TaskOptionsError, match=key):
        create_task(TotangoDeploy, options, org_config=DummyOrgConfig())


def test_cci_apply_task_refuses_a_malformed_project_as_an_option_error(tmp_path):
    from cumulusci.core.exceptions import TaskOptionsError
    from cumulusci.tasks.salesforce.tests.util import create_task

    from tasks.totango_sf.cci.offline import TotangoApplySource

    project = tmp_path / "p"
    project.mkdir()
    (project / "sfdx-project.json").write_text('{"packageDirectories": [{"path": "../x"}]}')
    task = create_task(TotangoApplySource, {"source_dir": str(project)})
    with pytest.raises(TaskOptionsError, match="outside the project"):
        task()
    assert [p.name for p in project.iterdir()] == ["sfdx-project.json"]


def test_private_folders_can_be_made_by_many_threads_at_once(tmp_path):
    import threading

    from tasks.totango_sf.state.state_paths import make_private_dirs

    target = tmp_path / "a" / "b" / "c"
    errors: list[BaseException] = []

    def make() -> None:
        try:
            make_private_dirs(target)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and target.is_dir()
    assert (target.stat().st_mode & 0o777) == 0o700
