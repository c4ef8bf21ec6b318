"""A deliberately small SOQL subset.

SELECT f[, Rel.f ...] FROM Obj [WHERE c [AND c ...]] [ORDER BY f [ASC|DESC]] [LIMIT n],
where c is ``f = lit``, ``f != lit`` or ``f IN (lit, ...)``. Anything else raises
MalformedQuery, so a query the emulator does not understand fails loudly instead
of answering wrongly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class MalformedQuery(Exception):
    """Salesforce answers these with 400 MALFORMED_QUERY."""


@dataclass
class Condition:
    path: str
    op: str  # "=", "!=", "IN"
    values: list


@dataclass
class Query:
    fields: list[str]
    sobject: str
    where: list[Condition] = field(default_factory=list)
    order_by: str | None = None
    descending: bool = False
    limit: int | None = None


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|=|\(|\)|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)

_KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "IN", "ORDER", "BY", "ASC", "DESC", "LIMIT"}
_UNSUPPORTED = {"OR", "NOT", "LIKE", "GROUP", "HAVING", "OFFSET", "WITH", "USING", "TYPEOF"}


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


def parse(text: str) -> Query:
    toks = _tokens(text)
    pos = 0

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
    query = Query(fields=fields, sobject=sobject)
    if peek() == "WHERE":
        take("WHERE")
        while True:
            kind, path = take()
            if kind != "word":
                raise MalformedQuery(f"expected a field name, found {path!r}")
            op = take()[1].upper()
            if op in ("=", "!="):
                query.where.append(Condition(path, op, [_literal(*take())]))
            elif op == "IN":
                take("(")
                values = [_literal(*take())]
                while peek() == ",":
                    take(",")
                    values.append(_literal(*take()))
                take(")")
                query.where.append(Condition(path, "IN", values))
            else:
                raise MalformedQuery(f"unsupported operator {op!r}")
            if peek() != "AND":
                break
            take("AND")
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
