"""Runs a parsed SOQL query over the emulator's records."""

from __future__ import annotations

from tests.org_emulator.rest_errors import RestError
from tests.org_emulator.sobjects import CUSTOMIZABLE, SObjectInfo, lookup
from tests.org_emulator.soql import MalformedQuery, Query, parse
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


def _matches(ctx: QueryContext, info: SObjectInfo, row: dict, query: Query) -> bool:
    for cond in query.where:
        _, value = ctx.resolve(info, row, cond.path)
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
        if hit == (cond.op == "!="):
            return False
    return True


def run_query(state: OrgState, text: str, api_version: str, tooling: bool) -> dict:
    try:
        query = parse(text)
    except MalformedQuery as exc:
        raise RestError(400, "MALFORMED_QUERY", str(exc)) from exc
    ctx = QueryContext(state, api_version, tooling)
    info = ctx.sobject(query.sobject)
    for path in query.fields:
        ctx.resolve(info, None, path)  # validates every column up front
    rows = [row for row in state.rows(info.name) if _matches(ctx, info, row, query)]
    if query.order_by:
        ctx.resolve(info, None, query.order_by)
        order_by = query.order_by

        def sort_key(row: dict):
            value = ctx.resolve(info, row, order_by)[1]
            # Salesforce sorts nulls first ascending.
            return (value is not None, str(value).lower() if value is not None else "")

        rows.sort(key=sort_key, reverse=query.descending)
    if query.limit is not None:
        rows = rows[: query.limit]
    records = [ctx.shape(info, row, query.fields) for row in rows]
    return {"totalSize": len(records), "done": True, "records": records}
