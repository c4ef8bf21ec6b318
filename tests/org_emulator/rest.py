"""REST and Tooling endpoints under ``/services/data/vXX.X``: query, sObjects, composite."""

from __future__ import annotations

from tests.org_emulator import field_security, managed_package
from tests.org_emulator.rest_errors import RestError
from tests.org_emulator.sobjects import CUSTOMIZABLE, SObjectInfo
from tests.org_emulator.soql_engine import QueryContext, run_query
from tests.org_emulator.state import OrgState

API_VERSIONS = ("58.0", "59.0", "60.0", "61.0", "62.0", "63.0")
_RELEASES = ("Summer '23", "Winter '24", "Spring '24", "Summer '24", "Winter '25", "Spring '25")


def versions() -> list[dict]:
    return [
        {"label": label, "url": f"/services/data/v{v}", "version": v}
        for v, label in zip(API_VERSIONS, _RELEASES, strict=True)
    ]


def describe(info: SObjectInfo) -> dict:
    """``GET sobjects/<Type>/describe``, cut to what tests read.

    REST API Developer Guide, "sObject Describe": "Completely describes the
    individual metadata at all levels for the specified object", with the
    object's ``name``, ``label``, ``createable``/``updateable``/``deletable``
    and a ``fields`` list whose entries carry each field's ``name``.
    """
    return {
        "name": info.name,
        "label": info.label,
        "createable": info.createable,
        "updateable": info.updateable,
        "deletable": info.deletable,
        "fields": [{"name": name} for name in info.fields],
    }


class RestApi:
    """Stateless over ``state``; ``install_polls`` sets how long a package install takes."""

    def __init__(self, state: OrgState, install_polls: int = 2):
        self.state = state
        self.install_polls = install_polls

    # -- routing ----------------------------------------------------------------------
    def kind(self, method: str, rest: list[str], tooling: bool) -> str:
        """A short name of the call, for history and faults."""
        head = rest[0] if rest else ""
        prefix = "tooling_" if tooling else ""
        if head in ("query", "queryAll"):
            return prefix + head
        if head == "sobjects":
            if rest[2:] == ["describe"] and method == "GET":
                return prefix + "sobject_describe"
            action = {"GET": "get", "POST": "create", "PATCH": "update", "DELETE": "delete"}
            return prefix + "sobject_" + action.get(method, method.lower())
        if head == "composite":
            return "composite"
        return prefix + (head or "resources")

    def handle(
        self,
        method: str,
        version: str,
        rest: list[str],
        params: dict,
        body,
        tooling: bool,
        user_id: str | None = None,
    ) -> tuple[int, object]:
        # The calling user: record writes are checked against their field-level security.
        self.user_id = user_id or self.state.user_id
        head = rest[0] if rest else ""
        if head == "":
            return 200, {"sobjects": f"/services/data/v{version}/sobjects", "query": "..."}
        if head in ("query", "queryAll") and method == "GET":
            if "q" not in params:
                raise RestError(400, "MALFORMED_QUERY", "A query string has to be specified")
            if "PackageInstallRequest" in params["q"]:
                self._advance_installs()
            return 200, run_query(self.state, params["q"], version, tooling)
        if head == "sobjects" and len(rest) >= 2:
            ctx = QueryContext(self.state, version, tooling)
            info = ctx.sobject(rest[1])
            if len(rest) == 2 and method == "POST":
                return 201, self.create(ctx, info, body)
            if len(rest) == 2 and method == "GET":
                return 200, {"objectDescribe": {"name": info.name, "label": info.label}}
            if rest[2:] == ["describe"] and method == "GET":
                return 200, describe(info)
            if len(rest) == 3 and method == "GET":
                return 200, self.read(ctx, info, rest[2])
            if len(rest) == 3 and method == "PATCH":
                self.update(info, rest[2], body)
                return 204, None
            if len(rest) == 3 and method == "DELETE":
                self.delete(info, rest[2])
                return 204, None
        if head == "composite" and rest[1:] == ["sobjects"]:
            return 200, self.composite(method, version, params, body)
        raise RestError(404, "NOT_FOUND", "The requested resource does not exist")

    # -- sObjects ---------------------------------------------------------------------
    def _caller(self) -> str:
        return getattr(self, "user_id", None) or self.state.user_id

    def read(self, ctx: QueryContext, info: SObjectInfo, record_id: str) -> dict:
        if info.name == "PackageInstallRequest":
            self._advance_installs()
        row = self.state.get(info.name, record_id)
        if row is None:
            raise RestError(404, "NOT_FOUND", "The requested resource does not exist")
        return ctx.shape(info, row, ctx.field_names(info))

    def create(self, ctx: QueryContext, info: SObjectInfo, body) -> dict:
        if not info.createable:
            raise RestError(
                400,
                "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                f"entity type cannot be inserted: {info.label}",
                [],
            )
        if not isinstance(body, dict):
            raise RestError(400, "JSON_PARSER_ERROR", "Expected a JSON object")
        values = {}
        for key, value in body.items():
            if key == "attributes":
                continue
            values[ctx.canonical_field(info, key)] = value
        if info.name in CUSTOMIZABLE:
            field_security.check_write(self.state, self._caller(), info.name, values)
        missing = [f for f in info.required if values.get(f) in (None, "")]
        if missing:
            raise RestError(
                400,
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )
        self._check_references(info, values)
        for unique in info.unique:
            for row in self.state.rows(info.name):
                if all(str(row.get(f))[:15] == str(values.get(f))[:15] for f in unique):
                    raise RestError(
                        400,
                        "DUPLICATE_VALUE",
                        "duplicate value found: <unknown> duplicates value on record with "
                        "id: <unknown>",
                        [],
                    )
        if info.name == "PackageInstallRequest":
            values.update(self._start_install(values))
        if info.name == "SetupEntityAccess":
            found = self.state.find(values["SetupEntityId"])
            values["SetupEntityType"] = found[0] if found else None
        if info.name == "PermissionSetAssignment":
            values.setdefault("IsActive", True)
        record_id = self.state.insert(info.name, values)
        return {"id": record_id, "success": True, "errors": []}

    def _check_references(self, info: SObjectInfo, values: dict) -> None:
        targets = {fk: target for fk, target in info.relationships.values()}
        if info.name == "SetupEntityAccess":
            targets["SetupEntityId"] = ""  # any setup entity (connected app, page ...)
        for fk, target in targets.items():
            value = values.get(fk)
            if value is None:
                continue
            found = self.state.get(target, value) if target else self.state.find(value)
            if not found:
                raise RestError(
                    400,
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                    [fk],
                )

    def update(self, info: SObjectInfo, record_id: str, body) -> None:
        if not info.updateable:
            raise RestError(
                400,
                "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                f"entity type cannot be updated: {info.label}",
                [],
            )
        row = self.state.get(info.name, record_id)
        if row is None:
            raise RestError(404, "NOT_FOUND", "The requested resource does not exist")
        values = {k: v for k, v in (body or {}).items() if k != "attributes"}
        if info.name in CUSTOMIZABLE:
            ctx = QueryContext(self.state, "63.0", tooling=False)
            values = {ctx.canonical_field(info, k): v for k, v in values.items()}
            field_security.check_write(self.state, self._caller(), info.name, values)
        row.update(values)

    def delete(self, info: SObjectInfo, record_id: str) -> None:
        if not info.deletable:
            raise RestError(
                400,
                "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                f"entity type cannot be deleted: {info.label}",
                [],
            )
        if not self.state.delete(info.name, record_id):
            raise RestError(404, "ENTITY_IS_DELETED", "entity is deleted", [])

    # -- composite ------------------------------------------------------------------
    def composite(self, method: str, version: str, params: dict, body) -> list[dict]:
        """``/composite/sobjects``: create (POST) or delete (DELETE ?ids=) up to 200 rows."""
        ctx = QueryContext(self.state, version, tooling=False)
        if method == "POST":
            items = [(r["attributes"]["type"], r) for r in (body or {}).get("records", [])]
            all_or_none = bool((body or {}).get("allOrNone"))
        elif method == "DELETE":
            items = [("", i) for i in params.get("ids", "").split(",") if i]
            all_or_none = params.get("allOrNone", "false").lower() == "true"
        else:
            raise RestError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed")
        snapshot = self.state.copy_for_deploy()
        results = []
        for sobject, item in items:
            try:
                if method == "POST":
                    results.append(self.create(ctx, ctx.sobject(sobject), item))
                else:
                    found = self.state.find(item)
                    if not found:
                        raise RestError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
                    self.delete(ctx.sobject(found[0]), item)
                    results.append({"id": item, "success": True, "errors": []})
            except RestError as exc:
                error = {"statusCode": exc.code, "message": exc.message, "fields": exc.fields or []}
                results.append({"success": False, "errors": [error]})
        if all_or_none and not all(r["success"] for r in results):
            self.state.records = snapshot.records
            rolled_back = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the "
                "request was using AllOrNone header",
                "fields": [],
            }
            results = [
                r if not r["success"] else {"success": False, "errors": [rolled_back]}
                for r in results
            ]
        return results

    # -- package installs -----------------------------------------------------------
    def _start_install(self, values: dict) -> dict:
        key = str(values.get("SubscriberPackageVersionKey"))
        errors = None
        if not key.startswith("04t"):
            errors = "The package version key is invalid."
        elif self.state.org["OrganizationType"] not in managed_package.INSTALLABLE_EDITIONS:
            errors = (
                f"This package can't be installed in a {self.state.org['OrganizationType']} org."
            )
        return {
            "Status": "IN_PROGRESS",
            "Errors": None,
            "_polls_left": self.install_polls,
            "_error": errors,
        }

    def _advance_installs(self) -> None:
        """Each look at an install request moves it one poll closer to done."""
        for row in self.state.rows("PackageInstallRequest"):
            if row.get("Status") != "IN_PROGRESS":
                continue
            row["_polls_left"] -= 1
            if row["_polls_left"] > 0:
                continue
            if row.get("_error"):
                row["Status"] = "ERROR"
                row["Errors"] = {"errors": [{"message": row["_error"]}]}
            else:
                row["Status"] = "SUCCESS"
                managed_package.install(
                    self.state, version_id=str(row.get("SubscriberPackageVersionKey"))
                )
