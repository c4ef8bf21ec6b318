"""Robustness: local state that is damaged or cannot be written, hostile inputs, the terminal.

Each class of failure is tried with more than one example, and where an org is involved
at least once against a production-flavour emulator. The rules every case holds to: bad
input exits 2 with one line naming the key, option or file, no traceback, nothing sent
and nothing written; a run against an org ends succeeded, failed with the org unchanged,
or outcome unknown with the deploy id and the command that settles it; a local file that
cannot be written after the org acted is a warning, and the org's answer is still
reported.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tasks.totango_sf.cli.app import main
from tasks.totango_sf.cli.output import err, out
from tasks.totango_sf.state import snapshot as snapshots
from tasks.totango_sf.state import state_paths
from tests.support.files import fail_writes_into
from tests.support.paths import REPO_ROOT

REAL_IPS = ["8.8.8.8", "1.1.1.0/24"]
TOTANGO_SF = Path(sys.executable).parent / "totango-sf"


# -- helpers -------------------------------------------------------------------------------


def make_project(tmp_path: Path, addresses: list[str] | None = None) -> Path:
    """A CumulusCI project (cumulusci.yml, a git HEAD) with a config holding real IPs."""
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(REPO_ROOT / "cumulusci.yml", folder / "cumulusci.yml")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / "orgconfig").mkdir()
    write_config(folder, addresses or REAL_IPS)
    return folder


def write_config(project: Path, addresses: list[str], **extra) -> Path:
    path = project / "orgconfig" / "totango.yml"
    path.write_text(json.dumps({"trusted_ip_ranges": {"addresses": addresses}, **extra}))
    return path


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project as the current folder, state under it (as a user has it), HOME in tmp."""
    folder = make_project(tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(snapshots, "SNAPSHOT_ROOT", Path(".totango/snapshots"))
    monkeypatch.setattr("tasks.totango_sf.steps.connected_app.GRANTS_ROOT", Path(".totango/grants"))
    monkeypatch.setattr(
        "tasks.totango_sf.org.permset_assignment.ASSIGNMENTS_ROOT", Path(".totango/assignments")
    )
    monkeypatch.setattr("tasks.totango_sf.salesforce.metadata_api.FIRST_POLL_INTERVAL", 0.001)
    return folder


def connect_env(monkeypatch, emulator, name: str = "emu") -> None:
    for key, value in emulator.env(name).items():
        monkeypatch.setenv(key, value)


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """``totango-sf ARGS`` in-process through ``main`` (the executable's path)."""
    monkeypatch.setattr(sys, "argv", ["totango-sf", *args])
    # Wide enough that rich never folds a path across lines.
    monkeypatch.setattr(out, "_width", 1000)
    monkeypatch.setattr(err, "_width", 1000)
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(stdout: str, stderr: str) -> str:
    """The message of a refusal: no traceback, and (JSON or plain) one message."""
    assert "Traceback" not in stdout + stderr, stdout + stderr
    if stdout.lstrip().startswith("{"):
        return str(json.loads(stdout)["message"])
    return " ".join((stdout + stderr).split())


def document(stdout: str) -> dict:
    data = json.loads(stdout)
    return {**data, **data.get("result", {}), "warnings": data.get("warnings", [])}


def snapshot_ids(project: Path, org: str = "emu") -> list[str]:
    folder = project / ".totango" / "snapshots" / org
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def manifest_path(project: Path, snapshot_id: str, org: str = "emu") -> Path:
    return project / ".totango" / "snapshots" / org / snapshot_id / "manifest.json"


def subprocess_env(emulator, home: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUMULUSCI_ORG_")}
    return {**base, **emulator.env("emu"), "HOME": str(home), "COLUMNS": "200", **extra}


# -- A: the file-size limit (or a full disk) after the deploy started ------------------------


def fail_writes_once_started(monkeypatch, code: int = errno.EFBIG) -> dict[str, bool]:
    """From the moment the org returns a deploy id, every state file write fails (until
    the returned switch's "room" is set)."""
    from tasks.totango_sf.state import tracking

    switch = {"started": False, "room": False}
    real_started = tracking.Tracker.started
    real_write = state_paths._write_whole

    def mark(self, deploy_id):
        switch["started"] = True
        real_started(self, deploy_id)

    def write(path, data):
        if switch["started"] and not switch["room"]:
            raise OSError(code, os.strerror(code), str(path))
        real_write(path, data)

    monkeypatch.setattr(tracking.Tracker, "started", mark)
    monkeypatch.setattr(state_paths, "_write_whole", write)
    return switch


@pytest.mark.parametrize("code", [errno.EFBIG, errno.ENOSPC])
def test_state_unwritable_after_the_start_is_a_warning_and_status_settles_it(
    emulator_factory, project, monkeypatch, capsys, code
):
    prod = emulator_factory(flavour="production")
    connect_env(monkeypatch, prod)
    switch = fail_writes_once_started(monkeypatch, code)

    status, stdout, stderr = run(monkeypatch, capsys, "deploy", "--org", "emu", "--yes", "--json")

    assert "Traceback" not in stdout + stderr
    assert status == 0, stdout + stderr
    result = document(stdout)
    assert result["status"] == "deployed" and result["deploy"]["success"] is True
    deploy_id = result["deploy"]["id"]
    assert f"deploy id {deploy_id}" in " ".join(stderr.split())
    warning = next(w for w in result["warnings"] if "manifest.json" in w)
    assert "manifest.json" in warning and f"--deploy-id {deploy_id}" in warning
    assert b"<label>Totango</label>" in prod.state.metadata_xml("Layout", "Account-Account Layout")

    switch["room"] = True  # the disk has room again
    settled, stdout, stderr = run(monkeypatch, capsys, "status", "--org", "emu", "--json")
    assert settled == 0, stdout + stderr
    assert document(stdout)["state"] == "succeeded"
    assert document(stdout)["deploy_id"] == deploy_id


@pytest.mark.parametrize(
    ("deploys", "options"), [(1, []), (2, ["--remove-components"])], ids=["surgical", "uninstall"]
)
def test_rollback_with_state_unwritable_after_its_start_reports_the_org_answer(
    emulator, project, monkeypatch, capsys, deploys, options
):
    connect_env(monkeypatch, emulator)
    for _ in range(deploys):
        assert run(monkeypatch, capsys, "deploy", "--org", "emu")[0] == 0
    fail_writes_once_started(monkeypatch)
    code, stdout, stderr = run(monkeypatch, capsys, "rollback", "--org", "emu", *options, "--json")
    assert "Traceback" not in stdout + stderr
    assert code == 0, stdout + stderr
    result = document(stdout)
    assert result["ok"] is True
    assert b"<label>Totango</label>" not in emulator.state.metadata_xml(
        "Layout", "Account-Account Layout"
    )
    # The user is told the run state was not written, and how to settle it without it.
    warning = next(w for w in result["warnings"] if "manifest.json" in w)
    assert "File too large" in warning and "totango-sf status --org emu --deploy-id 0Af" in warning


FSIZE_AFTER_START = """
import resource, sys
from tasks.totango_sf.state import tracking
real = tracking.Tracker.started
def started(self, deploy_id):
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, resource.RLIM_INFINITY))
    real(self, deploy_id)
tracking.Tracker.started = started
from tasks.totango_sf.cli.app import run
sys.argv = ["totango-sf", *sys.argv[1:]]
run()
"""

FSIZE_FROM_THE_START = """
import resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, (64, resource.RLIM_INFINITY))
from tasks.totango_sf.cli.app import run
sys.argv = ["totango-sf", *sys.argv[1:]]
run()
"""


def run_limited(script: str, args: list[str], project: Path, env: dict[str, str]):
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=project,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,  # pipes: the limit applies to regular files only
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("mode", ["plain", "json"])
def test_the_file_size_limit_after_the_start_is_a_warning_not_a_crash(
    emulator_factory, tmp_path, mode
):
    prod = emulator_factory(flavour="production")
    folder = make_project(tmp_path)
    env = subprocess_env(prod, tmp_path / "home")
    args = ["deploy", "--org", "emu", "--yes", *(["--json"] if mode == "json" else [])]

    done = run_limited(FSIZE_AFTER_START, args, folder, env)

    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    text = " ".join((done.stdout + done.stderr).split())
    assert "File too large" in text and "totango-sf status --org emu --deploy-id 0Af" in text
    assert [d.success for d in prod.history.deploys] == [True]
    settled = subprocess.run(
        [str(TOTANGO_SF), "status", "--org", "emu", "--json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert settled.returncode == 0, settled.stdout + settled.stderr
    assert document(settled.stdout)["state"] == "succeeded"


# -- D: places that cannot be written before anything is sent ---------------------------------


def test_the_file_size_limit_before_anything_is_sent_is_one_line_exit_1(emulator_factory, tmp_path):
    prod = emulator_factory(flavour="production")
    folder = make_project(tmp_path)
    env = subprocess_env(prod, tmp_path / "home")
    (tmp_path / "home").mkdir()
    prod.history.clear()
    done = run_limited(FSIZE_FROM_THE_START, ["deploy", "--org", "emu", "--yes"], folder, env)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    assert done.returncode == 1, done.stdout + done.stderr
    assert "File too large" in " ".join(done.stderr.split())
    assert prod.history.deploys == []


@pytest.mark.parametrize("code", [errno.EFBIG, errno.ENOSPC])
def test_a_snapshot_that_cannot_be_written_sends_nothing_and_leaves_nothing(
    emulator_factory, project, monkeypatch, capsys, code
):
    prod = emulator_factory(flavour="production")
    connect_env(monkeypatch, prod)

    def full(path, data):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(state_paths, "_write_whole", full)
    status, stdout, stderr = run(monkeypatch, capsys, "deploy", "--org", "emu", "--yes")
    message = one_line_error(stdout, stderr)
    assert status == 1, message
    assert "nothing was sent" in message and ".totango/snapshots/emu/" in message
    assert prod.history.deploys == []
    assert snapshot_ids(project) == []


def test_a_read_only_project_refuses_deploy_by_name(emulator_factory, project, monkeypatch, capsys):
    prod = emulator_factory(flavour="production")
    connect_env(monkeypatch, prod)
    real_mkdir = pathlib.Path.mkdir

    def read_only(self, *args, **kwargs):
        if ".totango" in str(self):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", read_only)
    for extra in ([], ["--json"]):
        status, stdout, stderr = run(monkeypatch, capsys, "deploy", "--org", "emu", "--yes", *extra)
        message = one_line_error(stdout, stderr)
        assert status == 2, message
        assert "Read-only file system" in message and ".totango" in message
    assert prod.history.deploys == []


def test_state_folder_that_is_a_file_refuses_by_name(emulator, project, monkeypatch, capsys):
    connect_env(monkeypatch, emulator)
    (project / ".totango").write_text("not a folder\n")
    for command in (["deploy", "--org", "emu"], ["status", "--org", "emu"]):
        status, stdout, stderr = run(monkeypatch, capsys, *command)
        message = one_line_error(stdout, stderr)
        assert status == 2, message
        assert ".totango" in message and "Not a directory" in message
    assert emulator.history.deploys == []
    assert (project / ".totango").read_text() == "not a folder\n"


@pytest.mark.parametrize(
    "out_dir, reason",
    [
        ("{tmp}/a_file/package_out", "Not a directory"),
        ("/proc/totango-robustness-out", None),
        ("/sys/totango-robustness-out", None),
    ],
)
def test_plan_out_that_cannot_be_a_folder_is_one_line(
    tmp_path, monkeypatch, capsys, out_dir, reason
):
    folder = make_project(tmp_path)
    monkeypatch.chdir(folder)
    (tmp_path / "a_file").write_text("x")
    target = out_dir.format(tmp=tmp_path)
    for extra in ([], ["--json"]):
        status, stdout, stderr = run(monkeypatch, capsys, "plan", "--out", target, *extra)
        message = one_line_error(stdout, stderr)
        assert status == 2, message
        assert f"--out: cannot write {target}" in message
        if reason:
            assert reason in message
    assert not Path(target).exists()


def test_plan_out_on_a_read_only_disk_or_a_full_one(tmp_path, monkeypatch, capsys):
    folder = make_project(tmp_path)
    monkeypatch.chdir(folder)
    real_mkdir = pathlib.Path.mkdir

    def read_only(self, *args, **kwargs):
        if "ro-out" in str(self):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", read_only)
    status, stdout, stderr = run(monkeypatch, capsys, "plan", "--out", "ro-out")
    assert status == 2 and "Read-only file system" in one_line_error(stdout, stderr)

    from tasks.totango_sf.metadata import file_set

    def no_space(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(file_set, "_stage", no_space)
    status, stdout, stderr = run(monkeypatch, capsys, "plan", "--out", "full-out", "--json")
    message = one_line_error(stdout, stderr)
    assert status == 1 and "No space left on device" in message, message
    assert not (folder / "full-out" / "package").exists()


# -- B: damaged local state ------------------------------------------------------------------

DAMAGED_MANIFESTS = {
    "truncated": None,  # the real manifest cut in half
    "a list": "[1, 2]\n",
    "components not a list": json.dumps({"components_added": 5}),
    "files not names": json.dumps({"files": [3]}),
    "unsafe file name": json.dumps({"files": ["../../../etc/passwd"]}),
    "success not a boolean": json.dumps({"deploy_success": "yes"}),
    "not UTF-8": "\udcff",
}


def damage(path: Path, how: str) -> None:
    text = DAMAGED_MANIFESTS[how]
    if text is None:
        whole = path.read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    elif text == "\udcff":
        path.write_bytes(b"\xff\xfe{}")
    else:
        path.write_text(text)


def test_damaged_manifests_are_named_and_never_block_new_work(
    emulator_factory, project, monkeypatch, capsys
):
    prod = emulator_factory(flavour="production")
    connect_env(monkeypatch, prod)
    assert run(monkeypatch, capsys, "deploy", "--org", "emu", "--yes")[0] == 0
    (first,) = snapshot_ids(project)
    manifest = manifest_path(project, first)
    good = manifest.read_bytes()

    for how in DAMAGED_MANIFESTS:
        manifest.write_bytes(good)
        damage(manifest, how)
        prod.history.clear()
        # status goes on, naming the file
        code, stdout, stderr = run(monkeypatch, capsys, "status", "--org", "emu", "--json")
        assert code == 0, (how, stdout + stderr)
        warnings = document(stdout)["warnings"]
        assert any(str(manifest) in w and "damaged" in w for w in warnings), (how, warnings)
        # rollback needs the latest deploy's snapshot: refused by name, nothing sent
        for extra in ([], ["--snapshot", first]):
            code, stdout, stderr = run(
                monkeypatch, capsys, "rollback", "--org", "emu", "--yes", *extra
            )
            message = one_line_error(stdout, stderr)
            assert code == 2, (how, message)
            assert str(manifest) in message, (how, message)
        assert prod.history.deploys == []

    # A new deploy goes on (the damaged one is old), and a rollback then uses the new one.
    # The damaged manifest's record of what the first deploy made is lost, so that is left
    # alone (ours is only what a readable record names): the new deploy adds a range.
    write_config(project, ["8.8.8.8", "1.1.1.0/24", "9.9.9.9"])
    code, stdout, stderr = run(monkeypatch, capsys, "deploy", "--org", "emu", "--yes", "--json")
    assert code == 0, stdout + stderr
    assert any(str(manifest) in w for w in document(stdout)["warnings"])
    code, stdout, stderr = run(monkeypatch, capsys, "rollback", "--org", "emu", "--yes")
    assert code == 0, stdout + stderr


def test_a_deleted_original_refuses_only_the_rollback_that_needs_it(
    emulator, project, monkeypatch, capsys
):
    connect_env(monkeypatch, emulator)
    assert run(monkeypatch, capsys, "deploy", "--org", "emu")[0] == 0
    (snapshot_id,) = snapshot_ids(project)
    files = project / ".totango" / "snapshots" / "emu" / snapshot_id / "files"
    gone = next(p for p in files.rglob("*.layout"))
    gone.unlink()
    emulator.history.clear()
    code, stdout, stderr = run(monkeypatch, capsys, "status", "--org", "emu")
    assert code == 0, stdout + stderr
    for extra in ([], ["--exact"], ["--snapshot", snapshot_id, "--json"]):
        code, stdout, stderr = run(monkeypatch, capsys, "rollback", "--org", "emu", *extra)
        message = one_line_error(stdout, stderr)
        assert code == 2, message
        assert str(gone) in message and "missing" in message
    assert emulator.history.deploys == []
    # deploy is not in its way
    write_config(project, ["8.8.8.8"])
    assert run(monkeypatch, capsys, "deploy", "--org", "emu")[0] == 0


@pytest.mark.parametrize(
    "ledger",
    [
        "{not json",
        "[1, 2]",
        '{"setup_entity_access": "0J0"}',
        '{"setup_entity_access": [1]}',
        '{"setup_entity_access": ["../../sobjects/Account"]}',
    ],
)
def test_a_garbage_grant_ledger_is_refused_by_name_before_any_grant_or_revoke(
    emulator_factory, project, monkeypatch, capsys, ledger
):
    prod = emulator_factory(flavour="production", package_installed=True)
    connect_env(monkeypatch, prod)
    path = project / ".totango" / "grants" / "emu.json"
    path.parent.mkdir(parents=True)
    path.write_text(ledger)
    before = prod.state.rows("SetupEntityAccess")
    for extra in (["--revoke"], [], ["--revoke", "--json"]):
        code, stdout, stderr = run(monkeypatch, capsys, "connected-app", "--org", "emu", *extra)
        message = one_line_error(stdout, stderr)
        assert code == 2, message
        assert str(path) in message and "damaged" in message
    assert prod.state.rows("SetupEntityAccess") == before
    assert path.read_text() == ledger


@pytest.mark.parametrize("code", [errno.EFBIG, errno.ENOSPC])
def test_a_grant_whose_ledger_cannot_be_written_is_a_warning_naming_the_row(
    emulator_factory, project, monkeypatch, capsys, code
):
    prod = emulator_factory(flavour="production", package_installed=True)
    connect_env(monkeypatch, prod)
    switch = fail_writes_into(monkeypatch, "grants", code)

    status, stdout, stderr = run(monkeypatch, capsys, "connected-app", "--org", "emu", "--json")

    assert "Traceback" not in stdout + stderr
    assert status == 0, stdout + stderr
    result = json.loads(stdout)
    [row] = [r for r in result["result"]["profiles"] if r["action"] == "added"]
    assert [r["Id"] for r in prod.state.rows("SetupEntityAccess")] == [row["access_id"]]
    [warning] = result["warnings"]
    assert "emu.json" in warning and row["access_id"] in warning
    assert "--revoke will keep it" in warning

    # As the warning said: the row is not ours, so --revoke keeps it once the disk has room.
    switch["full"] = False
    status, stdout, stderr = run(monkeypatch, capsys, "connected-app", "--org", "emu", "--revoke")
    assert status == 0, stdout + stderr
    assert "kept (not ours)" in stdout
    assert [r["Id"] for r in prod.state.rows("SetupEntityAccess")] == [row["access_id"]]


def test_a_revoke_whose_ledger_cannot_be_written_is_a_warning_in_every_mode(
    emulator_factory, project, monkeypatch, capsys
):
    prod = emulator_factory(flavour="production", package_installed=True)
    connect_env(monkeypatch, prod)
    assert run(monkeypatch, capsys, "connected-app", "--org", "emu")[0] == 0
    [granted] = prod.state.rows("SetupEntityAccess")
    fail_writes_into(monkeypatch, "grants")

    status, stdout, stderr = run(monkeypatch, capsys, "connected-app", "--org", "emu", "--revoke")

    assert "Traceback" not in stdout + stderr
    assert status == 0, stdout + stderr
    assert prod.state.rows("SetupEntityAccess") == []
    text = " ".join(stdout.split())
    assert "warning:" in text and granted["Id"] in text and "harmless" in text


@pytest.mark.parametrize("kind", ["folder", "symlink"])
def test_a_lock_path_that_is_no_file_is_refused_by_name(
    emulator_factory, project, monkeypatch, capsys, kind
):
    prod = emulator_factory(flavour="production")
    connect_env(monkeypatch, prod)
    lock = project / ".totango" / "locks" / "emu.lock"
    lock.parent.mkdir(parents=True)
    if kind == "folder":
        lock.mkdir()
    else:
        lock.symlink_to(project / "victim")
    for command in (["deploy", "--org", "emu", "--yes"], ["status", "--org", "emu", "--json"]):
        code, stdout, stderr = run(monkeypatch, capsys, *command)
        message = one_line_error(stdout, stderr)
        assert code == 2, message
        assert str(lock) in message
    assert prod.history.deploys == []
    assert not (project / "victim").exists()


# -- C: deeply nested YAML -------------------------------------------------------------------


def nested_lists(depth: int = 500) -> str:
    return "widget: " + "[" * depth + "]" * depth + "\n"


def nested_maps(depth: int = 300) -> str:
    return "widget: " + "{a: " * depth + "1" + "}" * depth + "\n"


@pytest.mark.parametrize("text", [nested_lists(), nested_maps()], ids=["lists", "maps"])
def test_deeply_nested_yaml_is_a_config_error(tmp_path, monkeypatch, capsys, text):
    folder = make_project(tmp_path)
    monkeypatch.chdir(folder)
    deep = tmp_path / "deep.yml"
    deep.write_text(text)
    assert len(text.encode()) < 2500
    (folder / "orgconfig" / "deep.yml").write_text(text)
    cases = [
        ["plan", "--config", str(deep), "--out", "out"],
        ["plan", "--config", str(deep), "--out", "out", "--json"],
        ["config", "show", "--org", "deep"],  # the overlay
        ["config", "show", "--org", "deep", "--json"],
    ]
    for args in cases:
        code, stdout, stderr = run(monkeypatch, capsys, *args)
        message = one_line_error(stdout, stderr)
        assert code == 2, (args, message)
        assert "nested more than 64 levels" in message and "deep.yml" in message
    assert not (folder / "out").exists()


def test_modest_nesting_is_still_yaml():
    from tasks.totango_sf.config.yaml_loader import load_yaml_text

    assert load_yaml_text("a: " + "[" * 60 + "]" * 60, "t.yml")["a"]


# -- E: an unwritable HOME -------------------------------------------------------------------


@pytest.mark.parametrize("home", ["{tmp}/a_file", "/proc/totango-robustness-home"])
def test_an_unwritable_home_is_named_not_called_the_network(
    emulator_factory, project, monkeypatch, capsys, tmp_path, home
):
    prod = emulator_factory(flavour="production")
    connect_env(monkeypatch, prod)
    (tmp_path / "a_file").write_text("x")
    target = home.format(tmp=tmp_path)
    monkeypatch.setenv("HOME", target)
    prod.history.clear()
    for args in (["deploy", "--org", "emu", "--yes"], ["verify", "--org", "emu", "--json"]):
        code, stdout, stderr = run(monkeypatch, capsys, *args)
        message = one_line_error(stdout, stderr)
        assert code == 2, message
        assert target in message and "HOME" in message
        assert "network" not in message
    assert prod.history.deploys == []


# -- F and G: the terminal ---------------------------------------------------------------------


def test_a_terminal_that_is_not_utf8_gets_escapes_not_a_crash(tmp_path):
    folder = make_project(tmp_path)
    config = folder / "orgconfig" / "totango.yml"
    config.write_text(
        json.dumps(
            {
                "trusted_ip_ranges": {"addresses": ["8.8.8.8"]},
                "insights": {"objects": ["Account"]},
                "widget": {"section_label": "Tötängo ✓"},
            }
        )
    )
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PYTHONIOENCODING": "ascii"}
    cases = [
        (["plan", "--out", "out"], 0),
        (["verify", "--org", "Tötängo"], 4),  # no such org: the name is quoted back
        (["plan", "--config", "nowhere/Tötängo.yml"], 2),
    ]
    for args, expected in cases:
        done = subprocess.run(
            [str(TOTANGO_SF), *args], cwd=folder, env=env, capture_output=True, timeout=300
        )
        output = done.stdout + done.stderr
        assert b"Traceback" not in output and b"UnicodeEncodeError" not in output, output
        assert done.returncode == expected, (args, output[-2000:])
        output.decode("ascii")  # all of it is ASCII
    assert b"T\\xf6t\\xe4ngo" in output


def run_into_closed_pipe(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, bytes]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line, as with `| true`
    try:
        done = subprocess.run(
            [str(TOTANGO_SF), *args],
            cwd=cwd,
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=300,
            check=False,
        )
    finally:
        os.close(write_end)
    return done.returncode, done.stderr


def test_a_closed_pipe_keeps_the_command_exit_code_and_says_nothing(emulator_factory, tmp_path):
    prod = emulator_factory(flavour="production")
    folder = make_project(tmp_path)
    env = subprocess_env(prod, tmp_path / "home")
    cases = [
        (["verify", "--org", "emu"], 3),  # nothing deployed yet: drift
        (["verify", "--org", "emu", "--json"], 3),
        (["plan", "--out", "out"], 0),
        (["plan", "--config", "missing.yml"], 2),
    ]
    for args, expected in cases:
        code, stderr = run_into_closed_pipe(args, folder, env)
        assert code == expected, (args, stderr[-2000:])
        assert b"BrokenPipe" not in stderr and b"Traceback" not in stderr, stderr
        assert b"Exception ignored" not in stderr


# -- H: private modes ----------------------------------------------------------------------------


def private_modes(root: Path) -> tuple[set[int], set[int]]:
    entries = [root, *root.rglob("*")]
    folders = {stat.S_IMODE(p.lstat().st_mode) for p in entries if p.is_dir()}
    files = {stat.S_IMODE(p.lstat().st_mode) for p in entries if p.is_file()}
    return folders, files


def test_existing_loose_state_folders_are_tightened(emulator_factory, project, monkeypatch, capsys):
    prod = emulator_factory(flavour="production")
    connect_env(monkeypatch, prod)
    state = project / ".totango"
    for folder in (state, state / "snapshots", state / "snapshots" / "emu", state / "locks"):
        folder.mkdir(mode=0o755, exist_ok=True)
        folder.chmod(0o755)
    lock = state / "locks" / "emu.lock"
    lock.write_text("")
    lock.chmod(0o644)
    assert run(monkeypatch, capsys, "deploy", "--org", "emu", "--yes")[0] == 0
    folders, files = private_modes(state)
    assert folders == {0o700} and files <= {0o600}


def test_a_umask_of_000_still_makes_private_state(emulator, project, monkeypatch, capsys):
    connect_env(monkeypatch, emulator)
    old = os.umask(0)
    try:
        assert run(monkeypatch, capsys, "deploy", "--org", "emu")[0] == 0
        path = project / ".totango" / "grants" / "emu.json"
        state_paths.write_private(path, b"{}")
    finally:
        os.umask(old)
    folders, files = private_modes(project / ".totango")
    assert folders == {0o700} and files == {0o600}


def test_only_the_state_tree_is_tightened(tmp_path):
    outside = tmp_path / "shared"
    outside.mkdir(mode=0o755)
    outside.chmod(0o755)
    state_paths.make_private_dirs(outside / ".totango" / "snapshots")
    assert stat.S_IMODE(outside.stat().st_mode) == 0o755
    assert stat.S_IMODE((outside / ".totango").stat().st_mode) == 0o700


# -- I: --tests without --test-level RunSpecifiedTests ---------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["deploy", "--org", "emu", "--yes", "--tests", "AccountTriggerTest"],
        ["deploy", "--org", "emu", "--check-only", "--tests", "A,B"],
        ["rollback", "--org", "emu", "--yes", "--tests", "AccountTriggerTest"],
        ["deploy", "--org", "emu", "--tests", "A", "--test-level", "RunLocalTests", "--json"],
    ],
)
def test_tests_without_run_specified_tests_is_refused(
    emulator_factory, project, monkeypatch, capsys, args
):
    prod = emulator_factory(flavour="production")
    connect_env(monkeypatch, prod)
    prod.history.clear()
    code, stdout, stderr = run(monkeypatch, capsys, *args)
    message = one_line_error(stdout, stderr)
    assert code == 2, message
    assert "--tests" in message and "--test-level RunSpecifiedTests" in message
    assert len(prod.history) == 0


def test_tests_option_without_its_level_is_a_task_options_error_in_cci(emulator_factory, tmp_path):
    from cumulusci.core.exceptions import TaskOptionsError
    from cumulusci.tasks.salesforce.tests.util import create_task

    from tasks.totango_sf.cci.org import TotangoDeploy, TotangoRollback

    prod = emulator_factory(flavour="production")
    for task_class, options in (
        (TotangoDeploy, {"tests": "AccountTriggerTest", "yes": True}),
        (TotangoRollback, {"tests": "A,B"}),
        (TotangoDeploy, {"tests": "A", "test_level": "RunAllTestsInOrg"}),
    ):
        with pytest.raises(TaskOptionsError) as caught:
            create_task(task_class, options, org_config=prod.org_config())
        assert "tests" in str(caught.value) and "test_level RunSpecifiedTests" in str(caught.value)
    assert prod.history.deploys == []


def test_test_plan_refuses_tests_without_their_level():
    from tasks.totango_sf.salesforce.apex_tests import ApexTestLevelRefused, choose_test_plan

    for level in (None, "RunLocalTests", "default"):
        with pytest.raises(ApexTestLevelRefused, match="RunSpecifiedTests"):
            choose_test_plan(level, "A", production=True, check_only=False)
    assert choose_test_plan("RunSpecifiedTests", "A", production=True, check_only=False).tests


# -- J: status --deploy-id -------------------------------------------------------------------------


@pytest.mark.parametrize("deploy_id", ["../../x", "0Af", "0Af000000000001AAA/../x", " 0Af1"])
def test_a_malformed_deploy_id_is_refused_before_any_call(
    emulator, project, monkeypatch, capsys, deploy_id
):
    connect_env(monkeypatch, emulator)
    emulator.history.clear()
    for extra in ([], ["--json"]):
        code, stdout, stderr = run(
            monkeypatch, capsys, "status", "--org", "emu", "--deploy-id", deploy_id, *extra
        )
        assert code == 2, stdout + stderr
        assert "--deploy-id" in stdout + stderr and "Traceback" not in stdout + stderr
    assert len(emulator.history) == 0


@pytest.mark.parametrize("deploy_id", ["0Af000000000999AAA", "0Af000000000999"])
def test_an_unknown_deploy_id_is_no_such_deploy_not_may_still_run(
    emulator_factory, project, monkeypatch, capsys, deploy_id
):
    prod = emulator_factory(flavour="production")
    connect_env(monkeypatch, prod)
    for extra in ([], ["--json"]):
        code, stdout, stderr = run(
            monkeypatch, capsys, "status", "--org", "emu", "--deploy-id", deploy_id, *extra
        )
        message = one_line_error(stdout, stderr)
        assert code == 1, message
        assert "no such deploy" in message and deploy_id in message
        assert "INVALID_ID_FIELD" in message and "may still run" not in message
    assert prod.history.deploys == []


def test_the_emulator_answers_an_unknown_deploy_id_as_an_org_does(emulator, use_org):
    from tasks.totango_sf.salesforce.connection import connect
    from tasks.totango_sf.salesforce.metadata_api import NoSuchDeploy, follow_deploy

    use_org(emulator)
    session = connect("emu")
    with pytest.raises(NoSuchDeploy, match="INVALID_ID_FIELD"):
        follow_deploy(session, "0Af000000000777AAA", "63.0", timeout=5)
    assert "checkDeployStatus" in emulator.history.kinds()


# -- K: namespaced custom objects --------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Zuora__CustomerAccount__c",
        "SBQQ__Quote__c",
        "vlocity_ins__Policy__c",
        "abcdefghijklmno__X__c",
    ],
)
def test_namespaced_custom_objects_are_accepted(name):
    from tasks.totango_sf.config.model import build_config
    from tasks.totango_sf.config.names import object_name_problem, object_stem

    assert object_name_problem(name) is None
    cfg = build_config({"insights": {"objects": ["Account", name]}})
    page = cfg.widget.page_for(name)
    assert "__" not in page and page.startswith("Totango_")
    assert "__" not in object_stem(name)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("abcdefghijklmnop__X__c", "at most 15 characters"),
        ("1ab__X__c", "start with a letter"),
        ("ab__X__Y__c", "two consecutive underscores"),
        ("ab_-__X__c", "letters, digits and underscores"),
        ("ns___X__c", "namespace prefix"),
        ("ns__X___c", "end with an underscore"),
        ("__X__c", "empty"),
        ("ns__" + "x" * 41 + "__c", "at most 40 characters"),
    ],
)
def test_bad_namespaced_names_are_refused_with_the_reason(name, expected):
    from tasks.totango_sf.config.errors import ConfigError
    from tasks.totango_sf.config.model import build_config

    with pytest.raises(ConfigError) as caught:
        build_config({"insights": {"objects": [name]}})
    text = " ".join(caught.value.problems)
    assert "insights.objects[0]" in text and expected in text, text


def test_plan_renders_a_namespaced_object(tmp_path, monkeypatch, capsys):
    folder = make_project(tmp_path)
    monkeypatch.chdir(folder)
    config = tmp_path / "ns.yml"
    config.write_text(json.dumps({"insights": {"objects": ["Zuora__CustomerAccount__c"]}}))
    code, stdout, stderr = run(monkeypatch, capsys, "plan", "--config", str(config), "--out", "o")
    assert code == 0, stdout + stderr
    package = folder / "o" / "package"
    assert (package / "objects" / "Zuora__CustomerAccount__c.object").is_file()
    assert (package / "pages" / "Totango_Zuora_CustomerAccount_Insights.page").is_file()


# -- L: cci -o config_org --------------------------------------------------------------------------


@pytest.mark.parametrize("config_org", ["../../evil", "/tmp/evil", ".hidden", "a/b"])
def test_cci_config_org_cannot_leave_orgconfig(emulator_factory, tmp_path, config_org):
    from cumulusci.core.exceptions import TaskOptionsError
    from cumulusci.tasks.salesforce.tests.util import create_task

    from tasks.totango_sf.cci.offline import TotangoPlan
    from tasks.totango_sf.cci.org import TotangoVerify

    prod = emulator_factory(flavour="production")
    folder = make_project(tmp_path)
    evil = tmp_path / "evil.yml"
    evil.write_text("widget: {height: 'read from outside'}\n")
    for task_class, org_config in ((TotangoVerify, prod.org_config()), (TotangoPlan, None)):
        task = create_task(
            task_class,
            {"config": str(folder / "orgconfig" / "totango.yml"), "config_org": config_org},
            org_config=org_config,
        )
        with pytest.raises(TaskOptionsError, match="config_org"):
            task()
    assert prod.history.deploys == [] and "retrieve" not in prod.history.kinds()


def test_the_config_layer_refuses_an_overlay_name_that_leaves_its_folder(tmp_path):
    from tasks.totango_sf.config.errors import ConfigError
    from tasks.totango_sf.config.model import load_config

    folder = make_project(tmp_path)
    (tmp_path / "evil.yml").write_text("widget: {height: 1}\n")
    for name in ("../../evil", "../evil", ".x"):
        with pytest.raises(ConfigError, match="org overlay name"):
            load_config(folder / "orgconfig" / "totango.yml", name)


# -- M: cci and a saved .org file against CUMULUSCI_ORG_<name> ---------------------------------


def test_cci_task_refuses_when_a_saved_org_is_not_the_environment_one(
    emulator_factory, tmp_path, monkeypatch
):
    from cumulusci.core.exceptions import TaskOptionsError
    from cumulusci.tasks.salesforce.tests.util import create_task

    from tasks.totango_sf.cci.org import TotangoDeploy, TotangoVerify

    saved = emulator_factory(flavour="sandbox")
    wanted = emulator_factory(flavour="production")
    monkeypatch.setenv("CUMULUSCI_ORG_emu", json.dumps(wanted.org_config_dict()))
    saved.history.clear()
    wanted.history.clear()
    folder = make_project(tmp_path)
    for task_class, options in (
        (TotangoDeploy, {"yes": True}),
        (TotangoVerify, {}),
    ):
        task = create_task(
            task_class,
            {"config": str(folder / "orgconfig" / "totango.yml"), **options},
            org_config=saved.org_config("emu"),  # what cci loaded from the saved file
        )
        with pytest.raises(TaskOptionsError) as caught:
            task()
        message = str(caught.value)
        assert saved.instance_url in message and wanted.instance_url in message
        assert "CUMULUSCI_ORG_emu" in message and "cci org remove emu" in message
        assert saved.access_token not in message and wanted.access_token not in message
    assert len(saved.history) == 0 and len(wanted.history) == 0


def test_cci_task_runs_when_the_saved_org_is_the_environment_one(
    emulator_factory, tmp_path, monkeypatch
):
    from cumulusci.tasks.salesforce.tests.util import create_task

    from tasks.totango_sf.cci.org import (
        TotangoOrgTaskFailed,
        TotangoVerify,
        environment_org_conflict,
    )

    prod = emulator_factory(flavour="production")
    monkeypatch.setattr(snapshots, "SNAPSHOT_ROOT", tmp_path / "snapshots")
    folder = make_project(tmp_path)
    entry = {**prod.org_config_dict(), "access_token": "rotated", "refresh_token": "rotated"}
    monkeypatch.setenv("CUMULUSCI_ORG_EMU", json.dumps(entry))
    assert environment_org_conflict(prod.org_config("emu")) is None
    task = create_task(
        TotangoVerify,
        {"config": str(folder / "orgconfig" / "totango.yml")},
        org_config=prod.org_config("emu"),
    )
    with pytest.raises(TotangoOrgTaskFailed, match="drift"):  # it ran: nothing deployed yet
        task()
    assert "retrieve" in prod.history.kinds()
    assert environment_org_conflict(prod.org_config("other")) is None  # no entry: cci's own


def test_cci_run_with_a_saved_org_file_refuses_and_names_both(emulator_factory, tmp_path):
    """As a user meets it: one `cci` run saved emu.org, the environment now names another."""
    from tests.support.cci import run_cci

    first = emulator_factory(flavour="sandbox")
    second = emulator_factory(flavour="production")
    folder = make_project(tmp_path)
    home = tmp_path / "home"
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUMULUSCI_ORG_")}
    save = textwrap.dedent(
        """
        import json, os
        from cumulusci.cli.runtime import CliRuntime
        from cumulusci.core.config import OrgConfig
        keychain = CliRuntime(load_keychain=True).keychain
        OrgConfig(json.loads(os.environ["FIRST"]), "emu", keychain=keychain).save()
        """
    )
    env = {**base, **first.env("emu"), "HOME": str(home)}
    env = {k: v for k, v in env.items() if not k.startswith("CUMULUSCI_ORG_")}
    env["FIRST"] = json.dumps(first.org_config_dict())
    saved = subprocess.run(
        [sys.executable, "-c", save], cwd=folder, env=env, capture_output=True, text=True
    )
    assert saved.returncode == 0, saved.stderr
    assert list(home.rglob("emu.org"))
    first.history.clear()
    done = run_cci(
        ["task", "run", "totango_verify", "--org", "emu"],
        folder,
        {
            **second.env("emu"),
            "HOME": str(home),
            "REQUESTS_CA_BUNDLE": first.ca_bundle,
            "SSL_CERT_FILE": first.ca_bundle,
        },
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert first.instance_url in output and second.instance_url in output, output[-3000:]
    assert "retrieve" not in first.history.kinds() and "retrieve" not in second.history.kinds()
