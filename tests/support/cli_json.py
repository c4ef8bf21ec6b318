"""Read a command's ``--json`` output, checking sf CLI's envelope on the way."""

from __future__ import annotations

import json
from typing import Any


def envelope(stdout: str) -> dict[str, Any]:
    document = json.loads(stdout)
    assert isinstance(document, dict) and isinstance(document.get("status"), int), document
    return document


def result_of(stdout: str) -> dict[str, Any]:
    """The ``result`` of a command that ran (any status); its warnings are merged in."""
    document = envelope(stdout)
    assert set(document) == {"status", "result", "warnings"}, document
    return {
        **document["result"],
        "warnings": document["warnings"],
        "status_code": document["status"],
    }


def error_of(stdout: str) -> dict[str, Any]:
    """The error document of a command that refused or failed before it had a result."""
    document = envelope(stdout)
    assert document["status"] != 0 and {"name", "message", "actions"} <= set(document), document
    return document
