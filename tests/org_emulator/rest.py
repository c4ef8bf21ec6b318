"""REST and Tooling endpoints under ``/services/data/vXX.X``: query, sObjects, composite."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from tests.org_emulator import admin_lock, describe, field_security, managed_package
from tests.org_emulator.query_columns import column_metadata
from tests.org_emulator.rest_errors import RestError
from tests.org_emulator.sobjects import CUSTOMIZABLE, SObjectInfo, lookup
from tests.org_emulator.soql_engine import QueryContext, run_query
from tests.org_emulator.state import OrgState

API_VERSIONS = ("58.0", "59.0", "60.0", "61.0", "62.0", "63.0")
_RELEASES = ("Summer '23", "Winter '24", "Spring '24", "Summer '24", "Winter '25", "Spring '25")


def versions() -> list[dict]:
    return [
        {"label": label, "url": f"/services/data/v{v}", "version": v}
        for v, label in zip(API_VERSIONS, _RELEASES, strict=True)
    ]


# A query answer holds at most this many records; the rest come page by page through
# nextRecordsUrl (REST API Developer Guide, "Execute a SOQL Query": "If the initial query
# returns only part of the results, the end of the response will contain a field called
# nextRecordsUrl"; "Query Options Header": batchSize "default 2,000"; a first page is
# recorded in ../shared/recorded/rf_query_paginated_first_page.json).
QUERY_PAGE_SIZE = 2000
NOT_FOUND = "The requested resource does not exist"


def not_found() -> RestError:
    """An unknown resource or sObject: HTTP 404 NOT_FOUND (recorded: a composite
    subrequest ``GET sobjects/Foo``, ../shared/recorded/cci_composite_sobject_not_found.json).
    Salesforce's sf CLI relies on it: it asks for ``tooling/sobjects/SourceMember/describe``
    and reads this message as "the org has no source tracking", anything else as a
    failure (forcedotcom/sfdx-core, ``Org.supportsSourceTracking``)."""
    return RestError(404, "NOT_FOUND", NOT_FOUND)


@dataclass
class Cursor:
    """The rows of a query answer not yet sent, for ``query/<locator>``."""

    records: list[dict]
    total: int
    tooling: bool
    entity: str


class RestApi:
    """Stateless over ``state``; ``install_polls`` sets how long a package install takes."""

    def __init__(
        self, state: OrgState, install_polls: int = 2, query_page_size: int = QUERY_PAGE_SIZE
    ):
        self.state = state
        self.install_polls = install_polls
        self.query_page_size = query_page_size
        self.instance_url = ""
        self.cursors: dict[str, Cursor] = {}
        # Locators of pages handed out (nextRecordsUrl) and not yet asked for: a client
        # that reads only the first page of an answer leaves one here.
        self.unread_pages: set[str] = set()

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
        base = f"/services/data/v{version}/" + ("tooling/" if tooling else "")
        if head == "":
            return 200, {"sobjects": f"/services/data/v{version}/sobjects", "query": "..."}
        if head in ("query", "queryAll") and method == "GET" and len(rest) == 2:
            return 200, self.next_page(version, rest[1], tooling)
        if head in ("query", "queryAll") and method == "GET":
            if "q" not in params:
                raise RestError(400, "MALFORMED_QUERY", "A query string has to be specified")
            if params.get("columns") == "true":
                # The columns of the query, not its rows (query_columns.py).
                return 200, column_metadata(self.state, params["q"], version, tooling)
            if "PackageInstallRequest" in params["q"]:
                self._advance_installs()
            result = run_query(self.state, params["q"], version, tooling)
            cursor = Cursor(result["records"], result["totalSize"], tooling, result["entity"])
            return 200, self._page(version, self.state.ids.new("01g"), cursor, 0)
        if head == "sobjects" and len(rest) == 1 and method == "GET":
            # Global describe (recorded: ../shared/recorded/cci_global_describe.json).
            return 200, describe.global_describe(tooling, base)
        if head == "sobjects" and len(rest) >= 2:
            ctx = QueryContext(self.state, version, tooling)
            info = lookup(rest[1])
            if info is None or not (info.tooling if tooling else info.data):
                raise not_found()
            if len(rest) == 2 and method == "POST":
                return 201, self.create(ctx, info, body)
            if len(rest) == 2 and method == "GET":
                # REST API Developer Guide, "sObject Basic Information": the object's
                # describe summary and its recently viewed records (no recording).
                return 200, {
                    "objectDescribe": describe.global_entry(info, base),
                    "recentItems": [],
                }
            if rest[2:] == ["describe"] and method == "GET":
                return 200, describe.describe(self.state, info, base, self.instance_url)
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
        if head == "composite" and len(rest) == 1 and method == "POST" and not tooling:
            return 200, self.composite_requests(body)
        raise not_found()

    # -- query pages ------------------------------------------------------------------
    def _page(self, version: str, locator: str, cursor: Cursor, start: int) -> dict:
        """One page of a query answer, ``nextRecordsUrl`` pointing at the next.

        REST: totalSize, done, [nextRecordsUrl], records (cci_query_user.json,
        rf_query_paginated_first_page.json). Tooling adds size, queryLocator and
        entityTypeName, null when no record came back (cci_tooling_query_apexclass.json
        and the empty ApexTestQueueItem answer of the same recording).
        """
        end = start + self.query_page_size
        page = cursor.records[start:end]
        done = end >= len(cursor.records)
        base = f"/services/data/v{version}/" + ("tooling/" if cursor.tooling else "")
        next_locator = f"{locator}-{end}"
        answer: dict = {}
        if cursor.tooling:
            # QueryResult.size: "Total number of rows retrieved in the query" (SOAP API
            # Developer Guide, "QueryResult"); equal to totalSize in the recording.
            answer["size"] = cursor.total
        answer["totalSize"] = cursor.total
        answer["done"] = done
        if cursor.tooling:
            answer["queryLocator"] = None if done else next_locator
            answer["entityTypeName"] = cursor.entity if cursor.records else None
        if not done:
            answer["nextRecordsUrl"] = f"{base}query/{next_locator}"
            self.cursors[locator] = cursor
            self.unread_pages.add(next_locator)
        answer["records"] = page
        return answer

    def next_page(self, version: str, locator: str, tooling: bool) -> dict:
        cursor_id, _, offset = locator.rpartition("-")
        cursor = self.cursors.get(cursor_id)
        if cursor is None or not offset.isdigit() or cursor.tooling != tooling:
            # ExceptionCode INVALID_QUERY_LOCATOR (SOAP API Developer Guide, "Core Data
            # Types Used in API Calls"); no recorded answer.
            raise RestError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        self.unread_pages.discard(locator)
        return self._page(version, cursor_id, cursor, int(offset))

    # -- composite ------------------------------------------------------------------
    def composite_requests(self, body) -> dict:
        """``POST composite``: each subrequest answered as if sent alone, in order
        (recorded: cci_composite_sobject_not_found.json, cci_composite_query_invalid_type.json:
        compositeResponse of {body, httpHeaders, httpStatusCode, referenceId})."""
        answers = []
        for sub in (body or {}).get("compositeRequest", []):
            url = urlsplit(str(sub.get("url", "")))
            parts = url.path.strip("/").split("/")
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            version = parts[2].lstrip("v") if len(parts) > 2 else ""
            rest = parts[3:]
            tooling = bool(rest) and rest[0] == "tooling"
            try:
                status, data = self.handle(
                    str(sub.get("method", "GET")).upper(),
                    version,
                    rest[1:] if tooling else rest,
                    params,
                    sub.get("body"),
                    tooling,
                    user_id=self._caller(),
                )
            except RestError as exc:
                status, data = exc.status, exc.body()
            answers.append(
                {
                    "body": data,
                    "httpHeaders": {},
                    "httpStatusCode": status,
                    "referenceId": sub.get("referenceId"),
                }
            )
        return {"compositeResponse": answers}

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
                admin_lock.package_installed(self.state)
