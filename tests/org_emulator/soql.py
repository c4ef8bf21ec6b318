"""A deliberately small SOQL subset.

SELECT f[, Rel.f ...] | count() FROM Obj [WHERE e] [ORDER BY f [ASC|DESC]] [LIMIT n],
where e combines conditions with AND, OR, NOT and parentheses, and a condition is
``f = lit``, ``f != lit``, ``f IN (lit, ...)`` or ``f LIKE 'pattern'``. ``count()`` and
``LIKE`` are SOQL (SOQL and SOSL Reference, "COUNT()" and "Comparison Operators"); a real
org was recorded answering both (../shared/recorded/cci_composite_query_invalid_type.json,
``select count() from Account``; cci_tooling_query_apexclass.json, ``Name LIKE '%_TEST%'``).
Anything else raises MalformedQuery, so a query the emulator does not understand fails
loudly instead of answering wrongly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class MalformedQuery(Exception):
    """Salesforce answers these with 400 MALFORMED_QUERY."""


@dataclass
class Condition:
    path: str
    op: str  # "=", "!=", "IN", "LIKE"
    values: list


@dataclass
class Junction:
    op: str  # "AND", "OR", "NOT"
    items: list[Condition | Junction]


Expression = Condition | Junction


@dataclass
class Query:
    fields: list[str]
    sobject: str
    where: Expression | None = None
    order_by: str | None = None
    descending: bool = False
    limit: int | None = None
    # SELECT count(): the answer carries the number of rows and no records.
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|=|\(|\)|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)

_KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC",
    "DESC", "LIMIT",
}  # fmt: skip
_UNSUPPORTED = {"GROUP", "HAVING", "OFFSET", "WITH", "USING", "TYPEOF"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise MalformedQuery(f"unexpected token at {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _literal(kind: str, value: str):
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if kind == "number":
        return float(value) if "." in value else int(value)
    if kind == "word" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "word" and value.lower() == "null":
        return None
    raise MalformedQuery(f"expected a literal, found {value!r}")


def like(pattern: str, value: str) -> bool:
    """SOQL LIKE: ``%`` any run of characters, ``_`` one character, case-insensitive;
    a backslash escapes either (SOQL and SOSL Reference, "Comparison Operators")."""
    regex = ""
    escaped = False
    for char in pattern:
        if escaped:
            regex += re.escape(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            regex += ".*"
        elif char == "_":
            regex += "."
        else:
            regex += re.escape(char)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def parse(text: str) -> Query:
    toks = _tokens(text)
    pos = 0
    if not toks or toks[0][1].upper() != "SELECT":
        # A real org's words for a query that does not start with SELECT (recorded by
        # SublimeApex, ../shared/recorded/sublimeapex23_malformed_query.txt).
        raise MalformedQuery(f"unexpected token: {toks[0][1] if toks else '<EOF>'}")

    def peek(upper: bool = True) -> str:
        if pos >= len(toks):
            return ""
        return toks[pos][1].upper() if upper else toks[pos][1]

    def take(expected: str | None = None) -> tuple[str, str]:
        nonlocal pos
        if pos >= len(toks):
            raise MalformedQuery(f"unexpected end of query, expected {expected or 'more'}")
        tok = toks[pos]
        if expected and tok[1].upper() != expected:
            raise MalformedQuery(f"expected {expected}, found {tok[1]!r}")
        pos += 1
        return tok

    for kind, value in toks:
        if kind == "word" and value.upper() in _UNSUPPORTED:
            raise MalformedQuery(f"{value.upper()} is outside the emulator's SOQL subset")
    take("SELECT")
    fields = []
    counting = False
    if peek() == "COUNT" and pos + 2 < len(toks) and toks[pos + 1][1] == "(":
        take()
        take("(")
        take(")")
        counting = True
    else:
        while True:
            kind, value = take()
            if kind != "word" or value.upper() in _KEYWORDS:
                raise MalformedQuery(f"expected a field name, found {value!r}")
            fields.append(value)
            if peek() != ",":
                break
            take(",")
    take("FROM")
    kind, sobject = take()
    if kind != "word" or "." in sobject:
        raise MalformedQuery(f"expected an object name, found {sobject!r}")
    query = Query(fields=fields, sobject=sobject, count=counting)

    def condition() -> Condition:
        kind, path = take()
        if kind != "word" or path.upper() in _KEYWORDS:
            raise MalformedQuery(f"expected a field name, found {path!r}")
        op = take()[1].upper()
        if op in ("=", "!="):
            found = Condition(path, op, [_literal(*take())])
        elif op == "LIKE":
            kind, value = take()
            if kind != "string":
                raise MalformedQuery(f"LIKE needs a string, found {value!r}")
            found = Condition(path, "LIKE", [_literal(kind, value)])
        elif op == "IN":
            take("(")
            values = [_literal(*take())]
            while peek() == ",":
                take(",")
                values.append(_literal(*take()))
            take(")")
            found = Condition(path, "IN", values)
        else:
            raise MalformedQuery(f"unsupported operator {op!r}")
        query.conditions.append(found)
        return found

    def factor() -> Expression:
        if peek() == "NOT":
            take("NOT")
            return Junction("NOT", [factor()])
        if peek() == "(":
            take("(")
            inner = disjunction()
            take(")")
            return inner
        return condition()

    def conjunction() -> Expression:
        items = [factor()]
        while peek() == "AND":
            take("AND")
            items.append(factor())
        return items[0] if len(items) == 1 else Junction("AND", items)

    def disjunction() -> Expression:
        items = [conjunction()]
        while peek() == "OR":
            take("OR")
            items.append(conjunction())
        return items[0] if len(items) == 1 else Junction("OR", items)

    if peek() == "WHERE":
        take("WHERE")
        query.where = disjunction()
    if peek() == "ORDER":
        take("ORDER")
        take("BY")
        query.order_by = take()[1]
        if peek() in ("ASC", "DESC"):
            query.descending = take()[1].upper() == "DESC"
    if peek() == "LIMIT":
        take("LIMIT")
        kind, value = take()
        if kind != "number":
            raise MalformedQuery(f"LIMIT needs a number, found {value!r}")
        query.limit = int(value)
    if pos != len(toks):
        raise MalformedQuery(f"unexpected {toks[pos][1]!r}")
    return query
