"""The shell blocks of the README and docs/, each marked with how it can be run.

A block is marked by the comment line above it:
- ``<!-- block: runs -->``: runs here, against the emulator (tests/contracts runs it).
- ``<!-- block: clients -->``: runs here against the emulator with Salesforce's sf CLI,
  which ``./dev test --clients`` installs (tests/clients runs it).
- ``<!-- walkthrough:start -->``: the README's walk-through, run by its own test.
- ``<!-- block: real-org -->``: needs a real org (or a CumulusCI project of your own).
- ``<!-- block: project -->``: the project's own commands (``./dev``, the test suite, the
  CI scripts over a run's reports), run by CI itself.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.support.checkout import checkout_stand_in
from tests.support.paths import REPO_ROOT

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```(?:sh|bash)\n(?P<body>.*?)```", re.S)
# "live": the live tier's rehearsal, run by tests/e2e/test_live_mode.py with write mode and
# recording added (one run serves both).
KINDS = {"runs", "clients", "real-org", "project", "live"}
MARK = re.compile(r"<!-- (?:block: (?P<kind>[a-z-]+)|walkthrough:start) -->")


def blocks() -> list[tuple[str, str, str]]:
    """(page:line, kind, body) of every sh/bash block; kind "" when unmarked."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            mark = MARK.fullmatch(match.group("before").strip())
            kind = "" if mark is None else (mark.group("kind") or "walkthrough")
            line = text[: match.start("body")].count("\n")
            found.append((f"{page.relative_to(REPO_ROOT)}:{line}", kind, match.group("body")))
    return found


def of_kind(kind: str) -> list[tuple[str, str]]:
    return [(where, body) for where, k, body in blocks() if k == kind]


def run_block(
    where: str, body: str, tmp_path: Path, extra_env: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """Run a block as written, its /tmp paths moved under ``tmp_path``, from the
    repository root; fail naming the block when it exits non-zero. Returns its
    (stdout, stderr)."""
    script = body.replace("/tmp/", f"{tmp_path}/")
    # The docs say .venv/bin/; run with whichever environment runs the tests.
    script = script.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("CUMULUSCI_ORG_", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "PYTEST_", "TOTANGO_SF_LIVE_")
        )
    }
    env.update(HOME=str(tmp_path / "home"), COLUMNS="120", PYTHONPATH=str(REPO_ROOT))
    env.update(extra_env or {})
    # A session of its own: what the block leaves running (an emulator started with &, as
    # a reader would leave it) is stopped with it, even when the block fails half-way.
    process = subprocess.Popen(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=checkout_stand_in(tmp_path),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait()
    assert process.returncode == 0, f"{where}:\n{stdout[-2000:]}\n{stderr[-3000:]}"
    return stdout, stderr
