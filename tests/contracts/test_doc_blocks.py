"""Every shell block in the README and docs/ says how it can be run, and the ones a reader
can run here are run as written (their /tmp paths moved under the test's tmp folder).

A block is marked by the comment line above it:
- ``<!-- block: runs -->``: runs here, against the emulator; this test runs it.
- ``<!-- walkthrough:start -->``: the README's walk-through, run by its own test.
- ``<!-- block: real-org -->``: needs a real org (or a CumulusCI project of your own).
- ``<!-- block: project -->``: the project's own commands (``./dev``, the test suite, the
  CI scripts over a run's reports), run by CI itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```(?:sh|bash)\n(?P<body>.*?)```", re.S)
KINDS = {"runs", "real-org", "project"}
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


def test_every_shell_block_says_how_it_runs():
    unmarked = [where for where, kind, _ in blocks() if kind not in KINDS | {"walkthrough"}]
    assert unmarked == [], (
        "mark each block with <!-- block: runs|real-org|project --> on the line above it"
    )
    assert any(kind == "runs" for _, kind, _ in blocks())


def test_the_marker_is_read_from_the_line_above_the_block():
    text = "<!-- block: runs -->\n```sh\necho hi\n```\nprose\n```bash\nls\n```\n"
    kinds = [
        "" if (m := MARK.fullmatch(b.group("before").strip())) is None else m.group("kind")
        for b in BLOCK.finditer(text)
    ]
    assert kinds == ["runs", ""]


def runnable() -> list[tuple[str, str]]:
    return [(where, body) for where, kind, body in blocks() if kind == "runs"]


@pytest.mark.parametrize(("where", "body"), runnable(), ids=[w for w, _ in runnable()])
def test_a_runnable_block_runs_as_written(where: str, body: str, tmp_path: Path):
    script = body.replace("/tmp/", f"{tmp_path}/")
    # The docs say .venv/bin/; run with whichever environment runs the tests.
    script = script.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CUMULUSCI_ORG_", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"))
    }
    env.update(HOME=str(tmp_path / "home"), COLUMNS="120", PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{where}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
