"""The bad-input corpus (tests/bad_inputs/manifest.yml), each case run through the real CLI.

Each case holds one defect: a config string XML cannot hold, an unreadable config,
YAML that plain loading gets wrong, an option value that cannot be right, a
malformed or hostile project for ``apply``, an org command run outside a CumulusCI
project, an OAuth error while refreshing, rich markup or emoji codes in a value.
For each, in plain and ``--json`` mode: the exit code is the expected one, no
traceback escapes, the message names the key or argument and shows the case's
values verbatim, the emulated org saw no call (only the token call, for the OAuth
cases), and no file changed anywhere (the throwaway project, or the folder beside
it that symlinks point into) except the ``--out`` folder of a plan that succeeds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks.totango_sf.cli.app import main
from tasks.totango_sf.cli.output import err, out
from tests.org_emulator.emulator import OrgEmulator
from tests.support.paths import REPO_ROOT

CORPUS = REPO_ROOT / "tests" / "bad_inputs"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "manifest.yml").read_text("utf-8"))["cases"]
SEED_LAYOUT = REPO_ROOT / "tests/org_emulator/seed/layouts/Account-Account Layout.layout"


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    """One emulated org for the module; each case checks it saw no call of its own."""
    folder = tmp_path_factory.mktemp("bad-inputs-org")
    emulator = OrgEmulator.create(folder, flavour="sandbox").start()
    yield emulator
    emulator.stop()


def _tree(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (symlinks not followed) with its content hash and mode."""
    entries: dict[str, str] = {}
    if not root.exists():
        return entries
    for parent, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(parent, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                entries[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                entries[rel] = f"{digest}:{oct(path.stat().st_mode)}"
            else:
                entries[rel] = "dir"
    return entries


def _without(tree: dict[str, str], folder: str) -> dict[str, str]:
    """``tree`` less ``folder``, what is under it and the folders that lead to it."""
    parts = folder.split("/")
    leading = {"/".join(parts[:n]) for n in range(1, len(parts) + 1)}
    return {
        path: entry
        for path, entry in tree.items()
        if path not in leading and not path.startswith(folder + "/")
    }


def _outside(folder: Path) -> Path:
    """What symlinks point into: it must come out of every case byte-identical."""
    folder.mkdir()
    shutil.copy(SEED_LAYOUT, folder / "victim.layout")
    (folder / "layouts").mkdir()
    shutil.copy(SEED_LAYOUT, folder / "layouts" / "Account-Account Layout.layout")
    (folder / "objects").mkdir()
    (folder / "package.xml").write_text("<Package/>\n")
    (folder / "app" / "main" / "default" / "layouts").mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "tests/bad_inputs/orgconfig", folder / "orgconfig")
    return folder


def _setup(project: Path, outside: Path, steps: list[dict[str, str]]) -> None:
    for step in steps:
        if "remove" in step:
            target = project / step["remove"]
            target.rmdir() if target.is_dir() else target.unlink()
        elif "symlink" in step:
            link = project / step["symlink"]
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(step["to"].replace("{outside}", str(outside)))
        elif "fifo" in step:
            os.mkfifo(project / step["fifo"])
        elif "write" in step:
            target = project / step["write"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step["text"])


def _compact(text: str) -> str:
    # rich wraps and boxes messages; compare without whitespace or box drawing.
    return re.sub(r"[\s\u2500-\u257f]", "", text)


def _run(args: list[str], capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["totango-sf", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("mode", ["plain", "json"])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_is_refused_cleanly(case, mode, org, tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    shutil.copytree(CORPUS, project, symlinks=True)
    shutil.copy(REPO_ROOT / "cumulusci.yml", project / "cumulusci.yml")
    outside = _outside(tmp_path / "outside")
    _setup(project, outside, case.get("setup", []))
    if case.get("calls"):
        # Reaching the token endpoint needs a project CumulusCI accepts (a git repo).
        subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    monkeypatch.chdir(outside if case.get("cwd") == "outside" else project)
    for key, value in org.env("emu").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(
        "CUMULUSCI_ORG_emu", json.dumps({**org.org_config_dict(), **case.get("org", {})})
    )
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr("tasks.totango_sf.state.snapshot.SNAPSHOT_ROOT", Path(".totango/snapshots"))
    monkeypatch.setattr("tasks.totango_sf.steps.connected_app.GRANTS_ROOT", Path(".totango/grants"))
    monkeypatch.setattr(
        "tasks.totango_sf.org.permset_assignment.ASSIGNMENTS_ROOT", Path(".totango/assignments")
    )
    before = (_tree(project), _tree(outside))
    org.history.clear()
    if case.get("shows"):
        # Wide enough that no value is folded across a table's lines.
        monkeypatch.setattr(out, "_width", 400)
        monkeypatch.setattr(err, "_width", 400)

    args = [*case["args"], *(["--json"] if mode == "json" else [])]
    code, stdout, stderr = _run(args, capsys, monkeypatch)

    assert code == case["exit"], (code, stdout[-2000:], stderr[-2000:])
    assert "Traceback" not in stdout + stderr
    if mode == "json":
        document = json.loads(stdout)
        assert document["status"] == case["exit"], document
        # A run that succeeded has no message: what it shows is its whole document.
        message = document["message"] if case["exit"] else json.dumps(document, ensure_ascii=False)
    else:
        message = stdout + stderr
    if "key" in case:
        assert _compact(case["key"]) in _compact(message), message
    for value in case.get("shows", []):
        assert _compact(value) in _compact(message), (value, message[-3000:])
    assert org.history.kinds() == list(case.get("calls", [])), org.history.kinds()
    after = (_tree(project), _tree(outside))
    if case.get("writes"):
        assert any(path.startswith(case["writes"] + "/") for path in after[0]), "nothing written"
        before, after = [(_without(p, case["writes"]), o) for p, o in (before, after)]
    assert after == before


def test_corpus_covers_every_class_with_sixty_cases():
    classes = {c["class"] for c in CASES}
    assert len(CASES) >= 60
    # Only a case whose command succeeds may leave out the key (it has no message),
    # and it must then name what it shows.
    assert all("key" in c or (c["exit"] == 0 and c.get("shows")) for c in CASES)
    assert classes == {
        "markup-codes",
        "xml-chars",
        "unreadable-config",
        "yaml",
        "option-values",
        "project-files",
        "outside-project",
        "oauth-refresh",
    }
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("command", ["verify", "doctor", "connected-app"])
def test_oauth_error_while_renewing_mid_run_is_exit_4(command, org, monkeypatch, capsys):
    """The session expires after connecting and the refresh token was revoked meanwhile."""
    from tasks.totango_sf.salesforce import connection

    real_connect = connection.connect

    def connect_then_revoke(name):
        session = real_connect(name)
        org.state.refresh_token = "5Aep861rotatedElsewhere"
        org.state.revoke_sessions()
        return session

    for key, value in org.env("emu").items():
        monkeypatch.setenv(key, value)
    saved_token = org.state.refresh_token
    monkeypatch.setattr(connection, "connect", connect_then_revoke)
    monkeypatch.chdir(REPO_ROOT)
    try:
        code, stdout, stderr = _run(
            [command, "--org", "emu", "--config", str(CORPUS / "orgconfig/totango.yml")],
            capsys,
            monkeypatch,
        )
    finally:
        org.state.refresh_token = saved_token
    assert code == 4, stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert "invalid_grant" in _compact(stdout + stderr)
    assert saved_token not in stdout + stderr
