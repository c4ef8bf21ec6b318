"""Salesforce naming rules for API names and labels."""

from __future__ import annotations

import re

_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# Standard objects that take custom fields and page layouts and that a Totango
# mapping plausibly targets; anything else must be a custom object (``X__c``).
STANDARD_OBJECTS = frozenset(
    {
        "Account",
        "Asset",
        "Campaign",
        "Case",
        "Contact",
        "Contract",
        "Lead",
        "Opportunity",
        "Order",
        "Product2",
        "Quote",
        "Solution",
        "User",
    }
)


def api_name_problem(name: str, max_length: int = 40) -> str | None:
    """Why ``name`` (without any ``__c`` suffix) is not a valid developer name."""
    if not name:
        return "must not be empty"
    if not _API_NAME.match(name):
        return "may contain only letters, digits and underscores, and must start with a letter"
    if "__" in name:
        return "must not contain two consecutive underscores"
    if name.endswith("_"):
        return "must not end with an underscore"
    if len(name) > max_length:
        return f"must be at most {max_length} characters (it has {len(name)})"
    return None


def custom_suffixed_name_problem(name: str, suffix: str = "__c") -> str | None:
    if not name.endswith(suffix):
        return f"must end with {suffix}"
    stem = name[: -len(suffix)]
    problem = api_name_problem(stem)
    return f"{problem} (before {suffix})" if problem else None


def object_name_problem(name: str) -> str | None:
    if name in STANDARD_OBJECTS:
        return None
    if name.endswith("__c"):
        return custom_suffixed_name_problem(name)
    known = ", ".join(sorted(STANDARD_OBJECTS))
    return f"is neither a supported standard object ({known}) nor a custom object ending in __c"


def label_problem(label: str, max_length: int) -> str | None:
    if not label.strip():
        return "must not be blank"
    if len(label) > max_length:
        return f"must be at most {max_length} characters (it has {len(label)})"
    return None


def object_stem(object_name: str) -> str:
    """``Account`` -> ``Account``; ``Renewal__c`` -> ``Renewal``."""
    return object_name[:-3] if object_name.endswith("__c") else object_name
