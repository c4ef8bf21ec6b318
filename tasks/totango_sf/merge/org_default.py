"""Making a record page the org default, and taking it back.

The org default record page of an object is the CustomObject's ``actionOverrides``
entry for the View action with type Flexipage and formFactor Large (Metadata API
Developer Guide, "ActionOverride": "If the type field is set to flexipage, set this
field to Large to override the View action with a Lightning page in Lightning
Experience"; ``content`` "refers to the name of the Lightning page"). Setting it
changes the record page every user of the object sees, except where an app
default or an app + record type + profile assignment applies.

What the deploy sends. No public page says whether the ``actionOverrides`` of a
deployed object file are merged into the org's action by action, or replace the
object's whole list. An object retrieved from an org lists every action and form
factor, with type Default where nothing is overridden (a retrieved standard object
in amtrack/force-dev-tool issue 226). So the file built here holds every override
the org returned, with only the View / Large entry set to our page: the outcome is
the same under either reading, and no other override is lost. It holds nothing
else of the object (no fields, no other setting), as the field deploys already do.

The inverse never relies on an override being left out: the View / Large entry is
set back to the one the org had, or, when it had none, to type Default ("The
override uses a custom override provided by an installed package. If there isn't
one available, the standard Salesforce behavior is used", ActionOverrideType),
which is the system default record page.
"""

from __future__ import annotations

from lxml import etree

from tasks.totango_sf.merge.merge_errors import MergeRefused
from tasks.totango_sf.metadata.order import insert_in_schema_order
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MD_NS
from tasks.totango_sf.metadata.xml import canonical_bytes, md, parse_metadata_root

ROOT_TYPE = "CustomObject"
VIEW = "View"
# Lightning Experience desktop; Small is the phone app, no value is Salesforce
# Classic (ActionOverride.formFactor).
LARGE = "Large"
# What Lightning App Builder writes when it activates a page as the org default
# (retrieved object and app files carry this comment and skipRecordTypeSelect
# false; skipRecordTypeSelect matters only for "create" actions such as New).
COMMENT = "Action override created by Lightning App Builder during activation."

OverrideKey = tuple[str, str]  # (actionName, formFactor or "")


class OrgDefaultError(MergeRefused, ValueError):
    """The object file is not one this merge can read."""


def _text(element: etree._Element, name: str) -> str:
    return (element.findtext(md(name)) or "").strip()


def override_key(element: etree._Element) -> OverrideKey:
    return (_text(element, "actionName"), _text(element, "formFactor"))


def _root(object_xml: bytes | None) -> etree._Element:
    if not object_xml:
        return etree.Element(md(ROOT_TYPE), nsmap={None: MD_NS})
    return parse_metadata_root(object_xml, ROOT_TYPE, "the object file", OrgDefaultError)


def _overrides(root: etree._Element) -> list[etree._Element]:
    return root.findall(md("actionOverrides"))


def overrides_only(object_xml: bytes | None) -> bytes:
    """A CustomObject holding only the object's ``actionOverrides``, in the org's order."""
    result = etree.Element(md(ROOT_TYPE), nsmap={None: MD_NS})
    for override in _overrides(_root(object_xml)):
        result.append(override)
    return canonical_bytes(result)


def org_default_page(object_xml: bytes | None) -> str | None:
    """The FlexiPage set as the object's org default, None for the system default."""
    for override in _overrides(_root(object_xml)):
        if override_key(override) == (VIEW, LARGE) and _text(override, "type") == "Flexipage":
            return _text(override, "content") or None
    return None


def view_override(page: str) -> etree._Element:
    """The View / Large override naming ``page``, children in the schema's order
    (ActionOverride: actionName, comment, content, formFactor, skipRecordTypeSelect, type)."""
    element = etree.Element(md("actionOverrides"), nsmap={None: MD_NS})
    for name, value in (
        ("actionName", VIEW),
        ("comment", COMMENT),
        ("content", page),
        ("formFactor", LARGE),
        ("skipRecordTypeSelect", "false"),
        ("type", "Flexipage"),
    ):
        etree.SubElement(element, md(name)).text = value
    return element


def system_default_override() -> etree._Element:
    """View / Large back to the standard behaviour: the system default record page."""
    return default_override(VIEW, LARGE)


def default_override(action: str, form_factor: str) -> etree._Element:
    """``action`` (on ``form_factor``; "" for none) back to the standard behaviour."""
    element = etree.Element(md("actionOverrides"), nsmap={None: MD_NS})
    etree.SubElement(element, md("actionName")).text = action
    if form_factor:
        etree.SubElement(element, md("formFactor")).text = form_factor
    etree.SubElement(element, md("type")).text = "Default"
    return element


def _with_entry(object_xml: bytes | None, entry: etree._Element) -> bytes:
    """The object's overrides with the entry of ``entry``'s key replaced (or added)."""
    root = parse_xml(overrides_only(object_xml))
    key = override_key(entry)
    existing = next((o for o in _overrides(root) if override_key(o) == key), None)
    if existing is not None:
        root.replace(existing, entry)
    else:
        insert_in_schema_order(root, entry, ROOT_TYPE)
    return canonical_bytes(root)


def assign_org_default(object_xml: bytes | None, page: str) -> bytes:
    """The object's overrides with ``page`` as the View / Large (org default) override.

    Idempotent: assigning the page that is already the org default changes nothing.
    """
    if org_default_page(object_xml) == page:
        return overrides_only(object_xml)
    return _with_entry(object_xml, view_override(page))


def _entry(object_xml: bytes | None, key: OverrideKey) -> etree._Element | None:
    return next((o for o in _overrides(_root(object_xml)) if override_key(o) == key), None)


def restore_org_default(current_xml: bytes | None, previous_xml: bytes | None) -> bytes:
    """The object's overrides as they are now, with View / Large as in ``previous_xml``.

    The inverse of ``assign_org_default``: every other override stays as the org
    holds it now; View / Large gets the previous entry, or type Default when the
    object had none (the system default page).
    """
    previous = _entry(previous_xml, (VIEW, LARGE))
    return _with_entry(current_xml, previous if previous is not None else system_default_override())


def exact_overrides(original_xml: bytes | None, current_xml: bytes | None) -> bytes:
    """The original overrides, plus type Default for every action and form factor the
    object has overridden now but had not then (an exact restore that does not rely on
    an override left out of the file being removed)."""
    root = parse_xml(overrides_only(original_xml))
    had = {override_key(o) for o in _overrides(root)}
    for override in _overrides(_root(current_xml)):
        action, form_factor = override_key(override)
        if (action, form_factor) in had or _text(override, "type") == "Default":
            continue
        insert_in_schema_order(root, default_override(action, form_factor), ROOT_TYPE)
        had.add((action, form_factor))
    return canonical_bytes(root)
