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


# A custom object of an installed managed package carries the package's namespace
# prefix: ``Zuora__CustomerAccount__c`` is ``<namespace>__<name>__c``. Salesforce:
# "A namespace is a one to 15-character alphanumeric identifier"; "Salesforce
# automatically prepends your namespace, followed by two underscores ("__"), to all
# unique component names" (Register a Namespace for a First-Generation Managed Package,
# developer.salesforce.com/docs/platform/pkg1-dev/guide/register-namespace-prefix.md).
# The name after the prefix follows the API name rules above (40 characters, no double
# underscore), as the object's own DeveloperName does.
MAX_NAMESPACE_LENGTH = 15


def namespace_problem(prefix: str) -> str | None:
    """Why ``prefix`` is not a namespace prefix (1 to 15 letters and digits, starting with
    a letter; single underscores as in the API names Salesforce builds from it)."""
    if not prefix:
        return "is empty"
    problem = api_name_problem(prefix, MAX_NAMESPACE_LENGTH)
    return problem


def custom_object_problem(name: str) -> str | None:
    """``Name__c`` or a managed package's ``ns__Name__c``."""
    if not name.endswith("__c"):
        return "must end with __c"
    stem = name[:-3]
    prefix, separator, local = stem.partition("__")
    if not separator:
        return custom_suffixed_name_problem(name)
    if problem := namespace_problem(prefix):
        return f"has the namespace prefix {prefix!r}, which {problem}"
    if problem := api_name_problem(local):
        return f"{problem} (after the namespace prefix {prefix}__, before __c)"
    return None


def object_name_problem(name: str) -> str | None:
    if name in STANDARD_OBJECTS:
        return None
    if name.endswith("__c"):
        return custom_object_problem(name)
    known = ", ".join(sorted(STANDARD_OBJECTS))
    return (
        f"is neither a supported standard object ({known}) nor a custom object ending in __c"
        " (Name__c, or ns__Name__c for a managed package's)"
    )


def label_problem(label: str, max_length: int) -> str | None:
    if not label.strip():
        return "must not be blank"
    if len(label) > max_length:
        return f"must be at most {max_length} characters (it has {len(label)})"
    return None


def object_stem(object_name: str) -> str:
    """``Account`` -> ``Account``; ``Renewal__c`` -> ``Renewal``;
    ``Zuora__CustomerAccount__c`` -> ``Zuora_CustomerAccount`` (names built from a stem
    must not hold two consecutive underscores)."""
    stem = object_name[:-3] if object_name.endswith("__c") else object_name
    return stem.replace("__", "_")
