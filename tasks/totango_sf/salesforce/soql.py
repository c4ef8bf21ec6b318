"""SOQL literals. Every value put into a query goes through these."""

from __future__ import annotations

from collections.abc import Iterable


def soql_string(value: str) -> str:
    """A SOQL string literal; backslash and quote are the two characters to escape."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def soql_list(values: Iterable[str]) -> str:
    """A parenthesised list of string literals for ``IN``."""
    return "(" + ", ".join(soql_string(v) for v in values) + ")"
