"""A live org for the tests in tests/live: which one, what kind, and what may be done to it.

``TOTANGO_SF_LIVE_ORG`` names the org as ``--org`` takes it (a CumulusCI org or an sf CLI
alias); without it the org-facing tests skip, saying how to run them. The tests reach the
org the way the product does (``connect``, CumulusCI's keychain), nothing else: pointed at
the org emulator by its env.sh, they run unchanged.

``TOTANGO_SF_LIVE_WRITE=1`` lets the tests that change the org run, and only on a scratch
org, a sandbox or a Developer Edition org, as the org's own Organization record says
(``write_refusal``): a production org is refused whatever else is set.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from tests.support.org_probe import OrgProbe
from tests.support.paths import REPO_ROOT

ORG_VARIABLE = "TOTANGO_SF_LIVE_ORG"
WRITE_VARIABLE = "TOTANGO_SF_LIVE_WRITE"
RECORD_VARIABLE = "TOTANGO_SF_LIVE_RECORD"
CONFIG_VARIABLE = "TOTANGO_SF_LIVE_CONFIG"

HOW_TO_RUN = (
    f"needs a live org: set {ORG_VARIABLE} to a CumulusCI org or sf CLI alias and run"
    " ./dev test --live (docs/live-org.md)"
)
HOW_TO_WRITE = (
    f"changes the org: set {WRITE_VARIABLE}=1 as well, with {ORG_VARIABLE} naming a scratch"
    " org, a sandbox or a Developer Edition org (docs/live-org.md)"
)
WRITABLE = "a scratch org, a sandbox or a Developer Edition org"
ORGANIZATION_SOQL = (
    "SELECT Id, OrganizationType, IsSandbox, TrialExpirationDate, InstanceName FROM Organization"
)
# The trusted IP range the write tests deploy, and take out again, unless
# TOTANGO_SF_LIVE_CONFIG names a config of the user's own.
LIVE_ADDRESS = "8.8.8.8"


def org_name() -> str | None:
    return os.environ.get(ORG_VARIABLE) or None


def write_mode() -> bool:
    return os.environ.get(WRITE_VARIABLE, "") == "1"


def record_folder() -> Path | None:
    folder = os.environ.get(RECORD_VARIABLE)
    return Path(folder) if folder else None


# -- what kind of org ---------------------------------------------------------------------
def org_kind(record: dict[str, Any]) -> str:
    """scratch, sandbox, developer or production, from the Organization record alone.

    A scratch org is a sandbox with a TrialExpirationDate; a sandbox has IsSandbox; a
    Developer Edition org says so in OrganizationType. Everything else, trials of
    paid editions included, counts as production.
    """
    if record.get("IsSandbox") is True:
        return "scratch" if record.get("TrialExpirationDate") else "sandbox"
    if record.get("OrganizationType") == "Developer Edition":
        return "developer"
    return "production"


def write_refusal(record: dict[str, Any], name: str) -> str | None:
    """Why the write tests may not change this org, or None when they may."""
    if org_kind(record) != "production":
        return None
    trial = record.get("TrialExpirationDate")
    return (
        f"write mode refused: org {name!r} is a production org (OrganizationType"
        f" {json.dumps(record.get('OrganizationType'))}, IsSandbox"
        f" {json.dumps(record.get('IsSandbox'))}"
        + (f", a trial until {trial}" if trial else "")
        + f"); the tests that change an org run only on {WRITABLE}. Nothing was changed."
    )


# -- the connection -----------------------------------------------------------------------
@dataclass
class LiveOrg:
    """The org under test, reached as the product reaches it."""

    name: str
    session: Any  # the product's OrgSession

    def __post_init__(self) -> None:
        self.record = self.organization()

    @property
    def instance_url(self) -> str:
        return str(self.session.org_config.instance_url).rstrip("/")

    @property
    def access_token(self) -> str:
        return str(self.session.org_config.access_token)

    @property
    def org_id(self) -> str:
        return str(self.record["Id"])

    @property
    def kind(self) -> str:
        return org_kind(self.record)

    def organization(self) -> dict[str, Any]:
        """The Organization record, read with a plain REST call (not the product's reading)."""
        response = requests.get(
            f"{self.instance_url}/services/data/v63.0/query/?q={quote(ORGANIZATION_SOQL)}",
            headers={"Authorization": f"Bearer {self.access_token}"},
            timeout=60,
        )
        response.raise_for_status()
        return dict(response.json()["records"][0])

    def known_secrets(self) -> dict[str, list[str | None]]:
        """What the recordings must not hold, as the connection knows it."""
        config = self.session.org_config.config
        username = getattr(self.session.org_config, "username", None)
        return {
            "secrets": [self.access_token, config.get("refresh_token")],
            "org_ids": [self.org_id, config.get("org_id")],
            "usernames": [config.get("username"), username],
            "urls": [self.instance_url, config.get("instance_url")],
        }


def connect_live(name: str) -> LiveOrg:
    from tasks.totango_sf.salesforce.connection import connect

    return LiveOrg(name, connect(name))


class LiveProbe(OrgProbe):
    """The conformance calls (``OrgProbe``) sent to the live org."""

    def __init__(self, org: LiveOrg):
        self.org = org

    @property
    def instance_url(self) -> str:
        return self.org.instance_url

    @property
    def access_token(self) -> str:
        return self.org.access_token

    @property
    def org_id(self) -> str:
        return self.org.org_id


# -- the config and the commands -----------------------------------------------------------
def live_config(folder: Path) -> Path:
    """TOTANGO_SF_LIVE_CONFIG, or a config of the defaults with one trusted address."""
    chosen = os.environ.get(CONFIG_VARIABLE)
    if chosen:
        return Path(chosen).resolve()
    path = folder / "totango-live.yml"
    path.write_text(json.dumps({"trusted_ip_ranges": {"addresses": [LIVE_ADDRESS]}}))
    return path


SCHEMAS = REPO_ROOT / "schemas"


def schema_problems(command: str, document: dict[str, Any]) -> list[str]:
    """Where a command's ``--json`` document breaks the envelope or its result schema."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in SCHEMAS.glob("*.json")
    ]
    registry = Registry().with_resources(resources)

    def validator(name: str) -> Draft202012Validator:
        schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
        return Draft202012Validator(schema, registry=registry)

    problems = [e.message for e in validator("envelope.schema.json").iter_errors(document)]
    if "result" in document:
        name = f"{command.replace(' ', '-')}.result.schema.json"
        problems += [
            f"{e.json_path}: {e.message}" for e in validator(name).iter_errors(document["result"])
        ]
    return problems


# -- what the setup touches, before and after --------------------------------------------
def fingerprint(session: Any, config: Any) -> dict[str, bytes]:
    """Everything the setup reads, deploys or patches, as the org holds it now.

    The files of the product's own reads (``read_files``: each new component, the
    matched layouts, Security.settings, each configured object with its fields, the
    Visualforce pages, record pages and profiles' layout assignments), the layout list,
    and the assignments of the setup's permission sets. XML is compared in canonical
    form, so only a change of content counts.
    """
    from tasks.totango_sf.metadata.xml import canonical_bytes
    from tasks.totango_sf.org.verify import read_files
    from tasks.totango_sf.salesforce.metadata_api import list_metadata
    from tasks.totango_sf.salesforce.soql import soql_string

    layout_names = list_metadata(session, "Layout", config.api_version)
    prints: dict[str, bytes] = {"(layouts)": "\n".join(sorted(layout_names)).encode()}
    for path, data in read_files(session, config, layout_names).items():
        try:
            prints[path] = canonical_bytes(data)
        except Exception:
            prints[path] = data
    for permission_set in sorted({config.permission_set.name, config.integration.permission_set}):
        rows = session.query(
            "SELECT AssigneeId FROM PermissionSetAssignment"  # noqa: S608
            f" WHERE PermissionSet.Name = {soql_string(permission_set)}"
        )
        assignees = sorted(str(row["AssigneeId"]) for row in rows)
        prints[f"(assignments of {permission_set})"] = "\n".join(assignees).encode()
    return prints


def fingerprint_changes(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """Each path that differs, with a short diff of what changed."""
    changes = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if old is None:
            changes.append(f"{path}: not there before, there after")
        elif new is None:
            changes.append(f"{path}: there before, gone after")
        else:
            diff = difflib.unified_diff(
                old.decode("utf-8", "replace").splitlines(),
                new.decode("utf-8", "replace").splitlines(),
                "before",
                "after",
                lineterm="",
                n=1,
            )
            changes.append(f"{path}: changed\n" + "\n".join(list(diff)[:40]))
    return changes
