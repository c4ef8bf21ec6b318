"""Visualforce markup: well-formedness and an output-escaping audit.

Visualforce is XML whose ``apex:``/``c:`` prefixes are never declared, so the
markup is parsed inside a wrapper that declares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from tasks.totango_sf.errors import BadInput
from tasks.totango_sf.metadata.safe_xml import parse_xml

_PREFIXES = ("apex", "c", "chatter", "flow", "ideas", "knowledge", "liveAgent", "site", "support")
_WRAPPER_OPEN = "<vf-markup " + " ".join(f'xmlns:{p}="urn:vf:{p}"' for p in _PREFIXES) + ">"
APEX_NS = "urn:vf:apex"
MERGE_FIELD = re.compile(r"\{!(.*?)\}", re.DOTALL)
# Components that HTML-encode what they display (unless escape="false").
_ENCODING_VALUE_ATTRIBUTES = {
    "outputText": {"value", "title", "styleClass", "style"},
    "outputField": {"value"},
    "outputLabel": {"value"},
    "outputLink": {"value", "target"},
    "outputPanel": {"rendered", "layout", "styleClass"},
    "page": {"standardController"},
}
_ENCODERS = ("HTMLENCODE(", "JSENCODE(", "JSINHTMLENCODE(", "URLENCODE(")


class VisualforceError(BadInput, ValueError):
    """Markup that Visualforce would not compile."""


@dataclass(frozen=True)
class EscapingProblem:
    line: int
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


def parse_visualforce(markup: bytes) -> etree._Element:
    """The ``<apex:page>`` element of a page, or VisualforceError."""
    text = markup.decode("utf-8")
    if text.lstrip().startswith("<?xml"):
        text = text.split("?>", 1)[1]
    try:
        wrapper = parse_xml((_WRAPPER_OPEN + text + "</vf-markup>").encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise VisualforceError(f"not well-formed: {exc.msg}") from None
    pages = [el for el in wrapper if isinstance(el.tag, str)]
    if len(pages) != 1 or pages[0].tag != f"{{{APEX_NS}}}page":
        raise VisualforceError("the root element must be a single <apex:page>")
    return pages[0]


def _is_safe_expression(expression: str) -> bool:
    """Expressions that output only constants or pass through an encoder."""
    stripped = expression.strip()
    return stripped.startswith(_ENCODERS) or stripped.startswith("$ObjectType.")


def escaping_problems(markup: bytes) -> list[EscapingProblem]:
    """Every place where a merge field could reach the HTML unescaped."""
    page = parse_visualforce(markup)
    problems: list[EscapingProblem] = []
    for el in page.iter():
        if not isinstance(el.tag, str):
            continue
        qname = etree.QName(el)
        line = el.sourceline or 1
        if el.get("escape", "").lower() == "false":
            problems.append(EscapingProblem(line, f'<{qname.localname}> has escape="false"'))
        allowed = (
            _ENCODING_VALUE_ATTRIBUTES.get(qname.localname, set())
            if qname.namespace == APEX_NS
            else set()
        )
        for attr, value in el.attrib.items():
            if attr in allowed or attr == "rendered":
                continue
            for expression in MERGE_FIELD.findall(value):
                if not _is_safe_expression(expression):
                    problems.append(
                        EscapingProblem(line, f"raw merge field {{!{expression}}} in {attr}=")
                    )
        in_script = qname.localname in ("script", "style")
        for position, text in enumerate((el.text, el.tail)):
            in_script_text = in_script and position == 0
            for expression in MERGE_FIELD.findall(text or ""):
                context = "script" if in_script_text else "HTML"
                safe = (
                    expression.strip().startswith(("JSENCODE(", "JSINHTMLENCODE("))
                    if in_script_text
                    else _is_safe_expression(expression)
                )
                if not safe:
                    problems.append(
                        EscapingProblem(line, f"raw merge field {{!{expression}}} in {context}")
                    )
    return problems
