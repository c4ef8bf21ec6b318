"""The command line run as its own process: what --help imports, and --json on a usage error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.cli_json import error_of
from tests.support.paths import REPO_ROOT


def test_help_does_not_import_cumulusci_or_build_the_schema():
    code = (
        "import sys\n"
        "from tasks.totango_sf.cli.app import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.startswith(('cumulusci',"
        " 'tasks.totango_sf.metadata.schema', 'tasks.totango_sf.config.model',"
        " 'simple_salesforce'))]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    )
    assert "HEAVY []" in result.stdout


def test_json_usage_error_is_one_error_document():
    totango_sf = Path(sys.executable).with_name("totango-sf")
    result = subprocess.run(
        [str(totango_sf), "plan", "--no-such-option", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    document = error_of(result.stdout)
    assert document["name"] == "UsageError" and "--no-such-option" in document["message"]
