"""Which Metadata API version the toolkit can check files against.

Every file is validated against the Metadata API schema before it is written or
sent, and the schema is the WSDL that ships with simple-salesforce. A file of
another version would be checked against the wrong schema: elements added or
removed since would pass or fail wrongly. So ``api_version`` accepts exactly the
version of the shipped WSDL, read from its header, and no other.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

HEADER_MARK = "Metadata API version "


def bundled_wsdl_path() -> Path:
    # find_spec locates the package without importing it (requests, jwt: ~150 ms).
    spec = importlib.util.find_spec("simple_salesforce")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("simple-salesforce is not installed; its metadata.wsdl is needed")
    return Path(spec.origin).with_name("metadata.wsdl")


def wsdl_version(wsdl_path: Path) -> str:
    """``63.0`` from the WSDL's header comment, or ``unknown``."""
    with wsdl_path.open(encoding="utf-8", errors="replace") as handle:
        text = handle.read(400)
    start = text.find(HEADER_MARK)
    return text[start + len(HEADER_MARK) :].split()[0] if start >= 0 else "unknown"


@functools.cache
def shipped_schema_version() -> str:
    return wsdl_version(bundled_wsdl_path())
