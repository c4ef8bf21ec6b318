"""Runs a parsed SOQL query over the emulator's records."""

from __future__ import annotations

import re

from tests.org_emulator import tooling_objects
from tests.org_emulator.rest_errors import RestError
from tests.org_emulator.sobjects import CUSTOMIZABLE, SObjectInfo, lookup
from tests.org_emulator.soql import (
    Condition,
    Expression,
    MalformedQuery,
    Query,
    like,
    parse,
)
from tests.org_emulator.state import OrgState


class QueryContext:
    def __init__(self, state: OrgState, api_version: str, tooling: bool):
        self.state = state
        self.api_version = api_version
        self.tooling = tooling

    def sobject(self, name: str) -> SObjectInfo:
        info = lookup(name)
        served = info and (info.tooling if self.tooling else info.data)
        if not info or not served:
            raise RestError(
                400,
                "INVALID_TYPE",
                f"sObject type '{name}' is not supported. If you are attempting to use a "
                "custom object, be sure to append the '__c' after the entity name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            )
        return info

    def field_names(self, info: SObjectInfo) -> list[str]:
        names = list(info.fields)
        if info.name in CUSTOMIZABLE:
            names += sorted(self.state.custom_fields(info.name))
        return names

    def canonical_field(self, info: SObjectInfo, name: str) -> str:
        for candidate in self.field_names(info):
            if candidate.lower() == name.lower():
                return candidate
        raise RestError(
            400,
            "INVALID_FIELD",
            f"No such column '{name}' on entity '{info.name}'. If you are attempting to use "
            "a custom field, be sure to append the '__c' after the custom field name. Please "
            "reference your WSDL or the describe call for the appropriate names.",
        )

    def attributes(self, sobject: str, record_id: str) -> dict:
        base = f"/services/data/v{self.api_version}/" + ("tooling/" if self.tooling else "")
        return {"type": sobject, "url": f"{base}sobjects/{sobject}/{record_id}"}

    def resolve(self, info: SObjectInfo, row: dict | None, path: str):
        """Value of ``a.b.c`` from ``row``; returns (canonical path, value)."""
        head, _, rest = path.partition(".")
        if not rest:
            name = self.canonical_field(info, head)
            return name, (row or {}).get(name)
        rel = next((r for r in info.relationships if r.lower() == head.lower()), None)
        if rel is None:
            raise RestError(
                400,
                "INVALID_FIELD",
                f"Didn't understand relationship '{head}' in field path. If you are "
                "attempting to use a custom relationship, be sure to append the '__r' after "
                "the custom relationship name.",
            )
        fk, target = info.relationships[rel]
        target_info = lookup(target)
        assert target_info is not None
        parent = self.state.get(target, row[fk]) if row and row.get(fk) else None
        sub_name, value = self.resolve(target_info, parent, rest)
        return f"{rel}.{sub_name}", value

    def shape(self, info: SObjectInfo, row: dict, fields: list[str]) -> dict:
        out: dict = {"attributes": self.attributes(info.name, row["Id"])}
        for path in fields:
            canonical, value = self.resolve(info, row, path)
            parts = canonical.split(".")
            target, owner_info, owner_row = out, info, row
            for rel in parts[:-1]:
                fk, target_name = owner_info.relationships[rel]
                owner_info = lookup(target_name)
                owner_row = self.state.get(target_name, owner_row[fk]) if owner_row else None
                if owner_row is None:
                    target[rel] = None
                    break
                target = target.setdefault(
                    rel, {"attributes": self.attributes(target_name, owner_row["Id"])}
                )
            else:
                target[parts[-1]] = value
        return out


def _condition_holds(ctx: QueryContext, info: SObjectInfo, row: dict, cond: Condition) -> bool:
    _, value = ctx.resolve(info, row, cond.path)
    if cond.op == "LIKE":
        return isinstance(value, str) and like(str(cond.values[0]), value)
    if isinstance(value, str) and any(isinstance(v, str) for v in cond.values):
        # Salesforce compares ids case-sensitively but 15/18-insensitively,
        # and text case-insensitively.
        hit = any(
            isinstance(v, str)
            and (v.lower() == value.lower() or (len(v) in (15, 18) and v[:15] == value[:15]))
            for v in cond.values
        )
    else:
        hit = value in cond.values
    return hit != (cond.op == "!=")


def _holds(ctx: QueryContext, info: SObjectInfo, row: dict, expression: Expression) -> bool:
    if isinstance(expression, Condition):
        return _condition_holds(ctx, info, row, expression)
    if expression.op == "NOT":
        return not _holds(ctx, info, row, expression.items[0])
    results = (_holds(ctx, info, row, item) for item in expression.items)
    return all(results) if expression.op == "AND" else any(results)


# Salesforce echoes a refused query above its message: the query, a caret under the
# offending token, and "ERROR at Row:r:Column:c" (recorded: ../shared/recorded/
# cci_query_invalid_field.json for INVALID_FIELD, cci_composite_query_invalid_type.json
# for INVALID_TYPE).
_ECHOED = ("INVALID_FIELD", "INVALID_TYPE")


def _echo(text: str, token: str, after: str = "") -> str:
    """The echo of ``text`` pointing at ``token`` (after ``after``, when given)."""
    pattern = (rf"\b{after}\s+" if after else "") + rf"(?<![\w.])({re.escape(token)})(?![\w.])"
    match = re.search(pattern, text, re.IGNORECASE)
    offset = match.start(1) if match else 0
    row = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"\n{text}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n"


def check_columns(ctx: QueryContext, text: str, query: Query) -> SObjectInfo:
    """The queried object, every column checked up front; refusals echo the query."""
    try:
        info = ctx.sobject(query.sobject)
    except RestError as exc:
        raise RestError(
            exc.status, exc.code, _echo(text, query.sobject, "FROM") + exc.message
        ) from None
    paths = [*query.fields, *(c.path for c in query.conditions)]
    if query.order_by:
        paths.append(query.order_by)
    for path in paths:
        try:
            ctx.resolve(info, None, path)
        except RestError as exc:
            if exc.code not in _ECHOED:
                raise
            raise RestError(exc.status, exc.code, _echo(text, path) + exc.message) from None
    return info


def run_query(state: OrgState, text: str, api_version: str, tooling: bool) -> dict:
    """Every row of the answer (``records``), ``totalSize`` and the object queried;
    paging is the REST layer's (rest.py)."""
    try:
        query = parse(text)
    except MalformedQuery as exc:
        raise RestError(400, "MALFORMED_QUERY", str(exc)) from exc
    ctx = QueryContext(state, api_version, tooling)
    info = check_columns(ctx, text, query)
    rows = [
        row
        for row in tooling_objects.rows(state, info.name)
        if query.where is None or _holds(ctx, info, row, query.where)
    ]
    if query.order_by:
        order_by = query.order_by

        def sort_key(row: dict):
            value = ctx.resolve(info, row, order_by)[1]
            # Salesforce sorts nulls first ascending.
            return (value is not None, str(value).lower() if value is not None else "")

        rows.sort(key=sort_key, reverse=query.descending)
    if query.limit is not None:
        rows = rows[: query.limit]
    if query.count:
        # SELECT count(): totalSize is the count, records is empty (recorded in
        # cci_composite_query_invalid_type.json: {totalSize 17, done true, records []}).
        return {"totalSize": len(rows), "done": True, "records": [], "entity": info.name}
    records = [ctx.shape(info, row, query.fields) for row in rows]
    return {"totalSize": len(records), "done": True, "records": records, "entity": info.name}
