"""``GET query?q=...&columns=true``: the columns of a query instead of its rows.

Salesforce's sf CLI asks for them after every ``sf data query`` that found rows, to lay
out its table, and reads ``columnMetadata`` only (salesforcecli/plugin-data
``src/commands/data/query.ts``, ``retrieveColumns``). The answer's entries have the keys
of the answers that plugin's tests keep (``test/test-files/queryFields.exemplars.ts``:
aggregate, apexType, booleanType, columnName, custom, displayName, foreignKeyName,
insertable, joinColumns, numberType, textType, updatable); a path through a relationship
(``Owner.Name``) is the relationship's column (apexType null, foreignKeyName the lookup
field) holding the next part in ``joinColumns``, as in that file's ``queryWithJoin``.
"""

from __future__ import annotations

from typing import Any

from tests.org_emulator.describe import object_fields
from tests.org_emulator.rest_errors import RestError
from tests.org_emulator.sobjects import SObjectInfo, lookup
from tests.org_emulator.soql import MalformedQuery, parse
from tests.org_emulator.soql_engine import QueryContext, check_columns
from tests.org_emulator.state import OrgState

# The Apex type of a describe type (Apex Developer Guide, "Primitive Data Types").
_APEX_TYPES = {
    "id": "Id",
    "reference": "Id",
    "boolean": "Boolean",
    "int": "Integer",
    "double": "Double",
    "currency": "Decimal",
    "percent": "Decimal",
    "date": "Date",
    "datetime": "Datetime",
    "time": "Time",
    "address": "Address",
}
_TEXT = ("string", "textarea", "email", "phone", "url", "picklist", "multipicklist")
_NUMBER = ("int", "double", "currency", "percent")


def column_metadata(state: OrgState, text: str, api_version: str, tooling: bool) -> dict:
    """``{"columnMetadata": [...]}`` for the query ``text``; refused as the query itself
    would be (an unknown object or field)."""
    try:
        query = parse(text)
    except MalformedQuery as exc:
        raise RestError(400, "MALFORMED_QUERY", str(exc)) from exc
    ctx = QueryContext(state, api_version, tooling)
    info = check_columns(ctx, text, query)
    # SELECT count() has no field columns; nothing recorded says more.
    columns = [] if query.count else [_column(ctx, info, path) for path in query.fields]
    return {"columnMetadata": columns}


def _column(ctx: QueryContext, info: SObjectInfo, path: str) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    if not rest:
        name = ctx.canonical_field(info, head)
        described = object_fields(ctx.state, info).get(name, {})
        kind = described.get("type", "string")
        return _entry(
            name,
            apex_type=_APEX_TYPES.get(kind, "String"),
            kind=kind,
            custom=bool(described.get("custom")),
            insertable=bool(described.get("createable")),
            updatable=bool(described.get("updateable")),
        )
    relationship = next(r for r in info.relationships if r.lower() == head.lower())
    foreign_key, target = info.relationships[relationship]
    target_info = lookup(target)
    assert target_info is not None  # check_columns resolved the whole path
    entry = _entry(relationship, apex_type=None, kind="reference", foreign_key=foreign_key)
    entry["joinColumns"] = [_column(ctx, target_info, rest)]
    return entry


def _entry(
    name: str,
    *,
    apex_type: str | None,
    kind: str,
    custom: bool = False,
    insertable: bool = False,
    updatable: bool = False,
    foreign_key: str | None = None,
) -> dict[str, Any]:
    return {
        "aggregate": False,
        "apexType": apex_type,
        "booleanType": kind == "boolean",
        "columnName": name,
        "custom": custom,
        "displayName": name,
        "foreignKeyName": foreign_key,
        "insertable": insertable,
        "joinColumns": [],
        "numberType": kind in _NUMBER,
        "textType": kind in _TEXT and apex_type is not None,
        "updatable": updatable,
    }
