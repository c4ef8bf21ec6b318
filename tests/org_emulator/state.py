"""The org's state: metadata components, sObject records and sessions.

Everything lives in plain dicts so a whole state can be deep-copied (deploys
apply to a copy and swap it in only on success) and saved as a folder.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.org_emulator import catalog
from tests.org_emulator.ids import IdFactory
from tests.org_emulator.sobjects import SOBJECTS

MD_NS = "http://soap.sforce.com/2006/04/metadata"
STATE_FILE = "state.json"


def now_iso() -> str:
    """REST's dateTime format."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def now_soap() -> str:
    """xsd:dateTime, as SOAP responses need it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class OrgState:
    """One org. Not thread-safe by itself: the server holds ``lock`` around requests."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.ids = IdFactory()
        # type -> fullName -> {zip path: bytes}; CustomField keeps its <fields> element.
        self.components: dict[str, dict[str, dict[str, bytes]]] = {}
        self.standard_fields: dict[str, list[str]] = {}
        self.records: dict[str, dict[str, dict]] = {name: {} for name in SOBJECTS}
        self.access_tokens: set[str] = set()
        # Sessions of users other than the admin (``user_id``): token -> user id.
        self.token_users: dict[str, str] = {}
        # Totango's connection user (seeded with a non-admin profile).
        self.integration_user_id = ""
        self.refresh_token = ""
        self.user_id = ""
        self.namespace = "totango"
        self.package_version = "2.14"
        # Bumped whenever metadata changes; a validation is quick-deployable only
        # while this is unchanged.
        self.metadata_version = 0
        self.org_flavour = "sandbox"
        # What an org does of its own that no API call here sets: its administration
        # lock, components it cannot redeploy, its Apex coverage (admin_lock.py,
        # org_own_files.py, apex_tests.py each read their own keys).
        self.quirks: dict = {}

    # -- identity -------------------------------------------------------------------
    @property
    def org(self) -> dict:
        return next(iter(self.records["Organization"].values()))

    @property
    def org_id(self) -> str:
        return self.org["Id"]

    @property
    def user(self) -> dict:
        return self.records["User"][self.user_id]

    def issue_access_token(self, user_id: str | None = None) -> str:
        # Salesforce session ids start with the 15-char org id and a "!".
        token = f"{self.org_id[:15]}!{secrets.token_urlsafe(24)}"
        self.access_tokens.add(token)
        if user_id and user_id != self.user_id:
            self.token_users[token] = user_id
        return token

    def user_of_token(self, token: str) -> str:
        return self.token_users.get(token, self.user_id)

    def revoke_sessions(self) -> None:
        self.access_tokens.clear()
        self.token_users.clear()

    # -- metadata -------------------------------------------------------------------
    def names(self, type_name: str) -> list[str]:
        return sorted(self.components.get(type_name, {}))

    def component(self, type_name: str, full_name: str) -> dict[str, bytes] | None:
        return self.components.get(type_name, {}).get(full_name)

    def has(self, type_name: str, full_name: str) -> bool:
        return self.component(type_name, full_name) is not None

    def put(self, type_name: str, full_name: str, files: dict[str, bytes]) -> None:
        self.components.setdefault(type_name, {})[full_name] = dict(files)

    def remove(self, type_name: str, full_name: str) -> None:
        self.components.get(type_name, {}).pop(full_name, None)

    def metadata_xml(self, type_name: str, full_name: str) -> bytes | None:
        """The schema XML document of a component (an ApexPage's -meta.xml)."""
        if type_name == "CustomField":
            return self.field_document(full_name)
        files = self.component(type_name, full_name)
        if files is None:
            return None
        for path, data in files.items():
            if not path.endswith(".page"):
                return data
        return None

    def page_markup(self, full_name: str) -> bytes | None:
        files = self.component("ApexPage", full_name) or {}
        return files.get(catalog.file_path("ApexPage", full_name))

    def set_metadata_xml(self, type_name: str, full_name: str, data: bytes) -> None:
        """Let tests overwrite a file in place (for example to seed a drifted layout)."""
        self.put(type_name, full_name, {catalog.file_path(type_name, full_name): data})
        self.metadata_version += 1

    def custom_fields(self, sobject: str) -> dict[str, bytes]:
        prefix = f"{sobject}."
        return {
            name[len(prefix) :]: files[""]
            for name, files in self.components.get("CustomField", {}).items()
            if name.startswith(prefix)
        }

    def field_names(self, sobject: str) -> set[str]:
        return set(self.standard_fields.get(sobject, [])) | set(self.custom_fields(sobject))

    def field_document(self, full_name: str) -> bytes | None:
        files = self.component("CustomField", full_name)
        if files is None:
            return None
        element = parse_xml(files[""])
        doc = etree.Element(f"{{{MD_NS}}}CustomField", nsmap={None: MD_NS})
        doc.extend(copy.deepcopy(list(element)))
        return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")

    # -- records --------------------------------------------------------------------
    def rows(self, sobject: str) -> list[dict]:
        return list(self.records.setdefault(sobject, {}).values())

    def get(self, sobject: str, record_id: str) -> dict | None:
        table = self.records.setdefault(sobject, {})
        return table.get(record_id) or next(
            (row for key, row in table.items() if key[:15] == record_id[:15]), None
        )

    def find(self, record_id: str) -> tuple[str, dict] | None:
        for sobject, table in self.records.items():
            for key, row in table.items():
                if key[:15] == record_id[:15]:
                    return sobject, row
        return None

    def insert(self, sobject: str, values: dict) -> str:
        # A caller may bring the Id (a package version's 04t key is known in advance).
        record_id = values.get("Id") or self.ids.new(sobject)
        stamp = now_iso()
        info = SOBJECTS.get(sobject)
        row = dict.fromkeys(info.fields if info else ("Id",))
        row.update(
            {
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
                "CreatedById": self.user_id or None,
                "LastModifiedById": self.user_id or None,
            }
            if info and "CreatedDate" in info.fields
            else {}
        )
        row.update(values)
        row["Id"] = record_id
        self.records.setdefault(sobject, {})[record_id] = row
        return record_id

    def delete(self, sobject: str, record_id: str) -> bool:
        row = self.get(sobject, record_id)
        if row is None:
            return False
        del self.records[sobject][row["Id"]]
        return True

    # -- persistence ----------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "ids_last": self.ids.last,
            "components": {
                t: {
                    n: {p: base64.b64encode(b).decode() for p, b in files.items()}
                    for n, files in by_name.items()
                }
                for t, by_name in self.components.items()
            },
            "standard_fields": self.standard_fields,
            "records": self.records,
            "access_tokens": sorted(self.access_tokens),
            "token_users": self.token_users,
            "integration_user_id": self.integration_user_id,
            "refresh_token": self.refresh_token,
            "user_id": self.user_id,
            "namespace": self.namespace,
            "package_version": self.package_version,
            "metadata_version": self.metadata_version,
            "org_flavour": self.org_flavour,
            "quirks": self.quirks,
        }

    @classmethod
    def from_json(cls, data: dict) -> OrgState:
        state = cls()
        state.ids = IdFactory(start=data["ids_last"] + 1)
        state.components = {
            t: {
                n: {p: base64.b64decode(b) for p, b in files.items()}
                for n, files in by_name.items()
            }
            for t, by_name in data["components"].items()
        }
        state.standard_fields = data["standard_fields"]
        state.records.update(data["records"])
        state.access_tokens = set(data["access_tokens"])
        state.token_users = dict(data.get("token_users", {}))
        state.integration_user_id = data.get("integration_user_id", "")
        state.quirks = dict(data.get("quirks", {}))
        for key in (
            "refresh_token",
            "user_id",
            "namespace",
            "package_version",
            "metadata_version",
            "org_flavour",
        ):
            setattr(state, key, data[key])
        return state

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True))
        tmp.replace(folder / STATE_FILE)

    @classmethod
    def load(cls, folder: Path) -> OrgState:
        return cls.from_json(json.loads((folder / STATE_FILE).read_text()))

    def copy_for_deploy(self) -> OrgState:
        """A detached copy a deploy can modify; swapped in only if the deploy succeeds."""
        clone = OrgState.__new__(OrgState)
        clone.__dict__.update(self.__dict__)
        clone.components = copy.deepcopy(self.components)
        clone.records = copy.deepcopy(self.records)
        clone.quirks = copy.deepcopy(self.quirks)
        return clone

    def adopt(self, other: OrgState) -> None:
        self.components = other.components
        self.records = other.records
        self.metadata_version += 1
