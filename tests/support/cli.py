"""The ``totango-sf`` command line run in process (typer's runner), and the config it reads.

Org commands reach the org emulator named as a CumulusCI org (the ``use_org`` fixture), so
CumulusCI's keychain, token refresh, SOAP classes and simple-salesforce all speak HTTPS to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.cli.app import app
from tests.support.cli_json import error_of, result_of

# Real, routable addresses: the default config's documentation ranges are refused.
REAL_IPS = ["8.8.8.8", "1.1.1.0/24"]
# A config of one real address: all that plan, apply and deploy need beyond the defaults.
ONE_ADDRESS = {"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}
SECTION_LABEL = b"<label>Totango</label>"


def write_config(
    folder: Path,
    *,
    addresses: list[str] | None = REAL_IPS,
    file_name: str = "totango.yml",
    **extra: Any,
) -> Path:
    """``folder/file_name`` with trusted ranges of ``addresses`` (none at all when None:
    the placeholders then stand) and each top-level key of ``extra``."""
    data: dict[str, Any] = {}
    if addresses is not None:
        data["trusted_ip_ranges"] = {"addresses": addresses}
    data.update(extra)
    path = folder / file_name
    path.write_text(json.dumps(data))  # JSON is YAML
    return path


def cli(*args: str, input: str | None = None) -> Result:
    """One ``totango-sf`` run; an exception that escapes the command fails the test."""
    return CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)


def as_json(result: Result) -> dict[str, Any]:
    """The ``--json`` document of a run: its result, or its error document."""
    document = json.loads(result.stdout)
    return result_of(result.stdout) if "result" in document else error_of(result.stdout)


def deploy_kinds(emulator: Any, check_only_apart: bool = False) -> list[str]:
    """The kind of each deploy the emulated org received, in order; a validation shows as
    ``check-only`` when ``check_only_apart``."""
    return [
        "check-only" if check_only_apart and call.check_only else call.kind
        for call in emulator.history.deploys
    ]
