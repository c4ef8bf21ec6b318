"""Tracing a component failure to its element, and whose the element is."""

from __future__ import annotations

from types import SimpleNamespace

from tasks.totango_sf.org.failure_origin import trace_failure
from tasks.totango_sf.org.known_bad import known_bad_warnings

MD = "http://soap.sforce.com/2006/04/metadata"
ORIGINAL = f"""<?xml version="1.0" encoding="UTF-8"?>
<Layout xmlns="{MD}">
    <layoutSections>
        <label>Information</label>
    </layoutSections>
    <quickActionList>
        <quickActionListItems>
            <quickActionName>FeedItem.RypplePost</quickActionName>
        </quickActionListItems>
    </quickActionList>
</Layout>
""".encode()
SENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<Layout xmlns="{MD}">
    <layoutSections>
        <label>Information</label>
    </layoutSections>
    <layoutSections>
        <label>Totango</label>
        <layoutColumns>
            <layoutItems>
                <page>Totango_Account_Insights</page>
            </layoutItems>
        </layoutColumns>
    </layoutSections>
    <quickActionList>
        <quickActionListItems>
            <quickActionName>FeedItem.RypplePost</quickActionName>
        </quickActionListItems>
    </quickActionList>
</Layout>
""".encode()
PATH = "layouts/Account-Account Layout.layout"


def failure(problem: str, line: int | None = None, file: str = PATH):
    return SimpleNamespace(file=file, line=line, problem=problem)


def test_a_line_the_org_names_is_traced_to_the_orgs_own_element():
    traced = trace_failure(
        failure("In field: QuickAction - no QuickAction named FeedItem.RypplePost found", 17),
        {PATH: SENT},
        {PATH: ORIGINAL},
    )
    assert traced.origin == "carried_over" and traced.line == 17
    assert traced.element == "<quickActionName>FeedItem.RypplePost</quickActionName>"
    assert "Page Layouts > Account-Account Layout" in traced.advice
    assert "the org's own, carried over unchanged" in traced.line_text()


def test_without_a_line_the_quoted_value_finds_our_own_element():
    traced = trace_failure(
        failure("In field: page - no ApexPage named Totango_Account_Insights found"),
        {f"unpackaged/{PATH}": SENT, PATH: SENT},
        {PATH: ORIGINAL},
    )
    assert traced.origin == "changed" and traced.line == 10
    assert traced.element == "<page>Totango_Account_Insights</page>"
    assert "widget.layouts" in traced.advice


def test_a_new_component_and_an_untraceable_failure():
    new = trace_failure(failure("bad", file="tabs/Totango.tab"), {"tabs/Totango.tab": SENT}, {})
    assert new.origin == "new"
    unknown = trace_failure(failure("nothing quoted here"), {PATH: SENT}, {PATH: ORIGINAL})
    assert unknown.origin == "unknown" and unknown.element is None
    missing = trace_failure(failure("x", file="layouts/Other.layout"), {PATH: SENT}, {})
    assert missing.origin == "unknown"


def test_known_bad_parts_carried_over_are_warned_about_ours_never():
    (warning,) = known_bad_warnings({PATH: SENT}, {PATH: ORIGINAL})
    assert warning.startswith(f"{PATH}: the org's own <quickActionName>FeedItem.RypplePost")
    assert known_bad_warnings({PATH: SENT}, {}) == []
