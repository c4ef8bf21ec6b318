"""How one component compares with the org's copy: in canonical form, with a unified diff.

Re-running on a set-up org finds nothing to deploy, because each desired file is compared
with the org's copy canonically (``metadata/compare.py`` decides what counts as the same),
and Visualforce markup, which is not schema XML, by its text.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tasks.totango_sf.metadata.compare import org_copy_satisfies
from tasks.totango_sf.metadata.components import Component, components_from_mdapi, mdapi_files
from tasks.totango_sf.metadata.xml import canonical_bytes

DiffAction = Literal["create", "update", "unchanged"]


@dataclass(frozen=True)
class ComponentDiff:
    type: str
    name: str
    action: DiffAction
    summary: str = ""
    diff: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.name)

    def to_json(self, with_diff: bool = False) -> dict[str, Any]:
        data = {
            "type": self.type,
            "name": self.name,
            "action": self.action,
            "summary": self.summary,
        }
        if with_diff:
            data["diff"] = self.diff
        return data


def component_files(component: Component) -> dict[str, bytes]:
    if component.type == "CustomField":
        return {f"objects/{component.full_name}": component.xml}
    return mdapi_files([component])


def current_components(retrieved: Mapping[str, bytes]) -> dict[tuple[str, str], Component]:
    return {c.key: c for c in components_from_mdapi(retrieved)}


def _canonical(data: bytes | None) -> bytes | None:
    if data is None:
        return None
    try:
        return canonical_bytes(data)
    except Exception:  # noqa: BLE001 - a file we cannot parse compares as raw bytes
        return data


def _text_diff(path: str, before: bytes | None, after: bytes) -> str:
    old = (before or b"").decode("utf-8", "replace").splitlines(keepends=True)
    new = after.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(
        difflib.unified_diff(
            old, new, fromfile=f"org/{path}" if before else "/dev/null", tofile=f"desired/{path}"
        )
    )


def compare(component: Component, current: Component | None, summary: str) -> ComponentDiff:
    desired_files = component_files(component)
    current_files = component_files(current) if current is not None else {}
    diffs = []
    for path, wanted in desired_files.items():
        have = current_files.get(path)
        if path.endswith(".page"):
            same = have is not None and have.strip() == wanted.strip()
            wanted_text, have_text = wanted, have
        else:
            wanted_text = _canonical(wanted) or b""
            have_text = _canonical(have)
            same = have is not None and org_copy_satisfies(have, wanted)
        if not same:
            diffs.append(_text_diff(path, have_text, wanted_text))
    if current is None:
        action: DiffAction = "create"
    else:
        action = "update" if diffs else "unchanged"
    return ComponentDiff(component.type, component.full_name, action, summary, "".join(diffs))
