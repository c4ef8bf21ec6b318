import pytest

from tasks.totango_sf.metadata.visualforce import (
    VisualforceError,
    escaping_problems,
    parse_visualforce,
)


def page(inner: str) -> bytes:
    return f'<apex:page standardController="Account">{inner}</apex:page>'.encode()


@pytest.mark.parametrize(
    ("markup", "problem"),
    [
        ("<div>{!Account.Name}</div>", "raw merge field {!Account.Name} in HTML"),
        ('<apex:outputText escape="false" value="{!Account.Name}"/>', 'escape="false"'),
        ('<a href="{!Account.Website}">x</a>', "in href="),
        ("<script>var n = '{!Account.Name}';</script>", "in script"),
        ("<script>var n = '{!HTMLENCODE(Account.Name)}';</script>", "in script"),
        ('<apex:outputText value="x" onclick="{!Account.Name}"/>', "in onclick="),
    ],
)
def test_unescaped_output_is_found(markup, problem):
    problems = escaping_problems(page(markup))
    assert any(problem in str(p) for p in problems), problems


@pytest.mark.parametrize(
    "markup",
    [
        '<apex:outputField value="{!Account.Name}"/>',
        '<apex:outputText value="{!Account.Name}"/>',
        "<div>{!HTMLENCODE(Account.Name)}</div>",
        "<script>var n = '{!JSENCODE(Account.Name)}';</script>",
        '<apex:outputLabel value="{!$ObjectType.Account.fields.Name.Label}"/>',
        '<div title="{!HTMLENCODE(Account.Name)}">x</div>',
    ],
)
def test_escaped_output_passes(markup):
    assert escaping_problems(page(markup)) == []


def test_root_must_be_apex_page():
    with pytest.raises(VisualforceError, match="single <apex:page>"):
        parse_visualforce(b"<apex:component></apex:component>")
    with pytest.raises(VisualforceError, match="not well-formed"):
        parse_visualforce(b"<apex:page><div></apex:page>")
