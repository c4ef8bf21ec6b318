"""Whose line failed: for each component failure, the part of the file Salesforce refused,
and whether this setup changed it or carried it over unchanged from the org.

A deploy sends the org's own layouts, record pages and objects back whole, with our part
merged in (a deploy replaces the whole file). Orgs refuse some of their own parts when
they come back (forcedotcom/cli issue 2893, forcedotcom/idecore issue 202,
trailheadapps/lwc-recipes issue 376, forcedotcom/salesforcedx-vscode issue 1096), and one
failure rolls the whole deploy back. So each failure is traced to its element: by the
line the org names, or else by the element whose value the problem quotes; and that
element is looked for, unchanged, in the file the org returned. The user then reads
which file and element failed, whose it is, and what to do.

Nothing here matches an org's wording: the problem is only searched for the values the
sent file holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml

Origin = Literal["carried_over", "changed", "new", "unknown"]
# Where an admin edits each kind of file in the org.
WHERE = {
    "layouts": "Setup > Object Manager > {object} > Page Layouts > {name}",
    "flexipages": "Lightning App Builder, page {name}",
    "objects": "Setup > Object Manager > {name} (Buttons, Links, and Actions; Lightning"
    " Record Pages)",
    "settings": "Setup > Network Access",
}
# What in the config brings each kind of file into a deploy.
CONFIG_KEY = {
    "layouts": "widget.layouts",
    "flexipages": "widget.record_pages",
    "objects": "widget.create_record_page / insights.objects",
    "settings": "trusted_ip_ranges",
}


@dataclass(frozen=True)
class FailureOrigin:
    """One component failure, traced to its element."""

    file: str
    line: int | None
    problem: str
    origin: Origin
    element: str | None
    advice: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def whose(self) -> str:
        return {
            "carried_over": "the org's own, carried over unchanged (this setup did not change it)",
            "changed": "changed by this setup",
            "new": "in a component this setup creates",
            "unknown": "not traced to a line of the file sent",
        }[self.origin]

    def line_text(self) -> str:
        """One line for the terminal."""
        where = f"{self.file} line {self.line}" if self.line else self.file
        element = f" {self.element}" if self.element else ""
        return f"{where}:{element} {self.whose}. {self.advice}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _path(element: etree._Element) -> tuple[str, ...]:
    names = []
    node: etree._Element | None = element
    while node is not None:
        names.append(_local(node))
        node = node.getparent()
    return tuple(reversed(names))


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _leaves(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and len(e) == 0 and _text(e)]


def _at_line(root: etree._Element, line: int) -> etree._Element | None:
    """The element the org names by its line: the leaf with a value starting there, else
    the last element that starts on or before it."""
    starting = [e for e in root.iter() if isinstance(e.tag, str) and e.sourceline == line]
    for element in starting:
        if len(element) == 0 and _text(element):
            return element
    if starting:
        return starting[0]
    before = [e for e in root.iter() if isinstance(e.tag, str) and (e.sourceline or 0) <= line]
    return before[-1] if before else None


def _quoted(root: etree._Element, problem: str) -> etree._Element | None:
    """The element whose value the problem quotes (the longest such value)."""
    quoted = [e for e in _leaves(root) if len(_text(e)) >= 3 and _text(e) in problem]
    return max(quoted, key=lambda e: len(_text(e)), default=None)


def _shown(element: etree._Element) -> str:
    name = _local(element)
    if len(element) == 0:
        return f"<{name}>{_text(element)}</{name}>"
    return f"<{name}> (line {element.sourceline})"


def _carried_over(element: etree._Element, original: etree._Element) -> bool:
    """The element, with its value or its whole content, is in the org's file as it was."""
    path = _path(element)
    if len(element) == 0:
        return any(_path(e) == path and _text(e) == _text(element) for e in original.iter())
    wanted = etree.tostring(element, method="c14n")
    return any(
        isinstance(e.tag, str) and _path(e) == path and etree.tostring(e, method="c14n") == wanted
        for e in original.iter()
    )


def _advice(origin: Origin, file: str, command: str = "deploy") -> str:
    folder, _, rest = file.partition("/")
    name = rest.rsplit(".", 1)[0]
    key = CONFIG_KEY.get(folder, "the config")
    if origin == "carried_over":
        place = WHERE.get(folder, "the org").format(object=name.partition("-")[0], name=name)
        if command == "rollback":
            # A rollback sends the org's files as they are now, less what the setup owns:
            # the config plays no part, so the org's file is the only way out.
            return (
                "Salesforce refuses this part of the org's own file when it is sent back. Fix"
                f" or remove it in the org ({place}), then run the same rollback again;"
                " nothing was changed."
            )
        return (
            "Salesforce refuses this part of the org's own file when it is sent back. Fix or"
            f" remove it in the org ({place}), or leave this file out of {key}, then deploy"
            " again; nothing was changed."
        )
    if origin in ("changed", "new") and command == "rollback":
        return (
            "This is the rollback's own change (what the setup owns, taken out or given back"
            " as it was): compare the org's file with the snapshot (`totango-sf snapshots`),"
            " then run the rollback again; nothing was changed."
        )
    if origin in ("changed", "new"):
        return (
            f"This is the setup's own part: check {key} (and the org it names), then deploy"
            " again; nothing was changed."
        )
    return "Check the file in the org and the config; nothing was changed."


def trace_failure(
    failure: Any,
    sent: Mapping[str, bytes],
    originals: Mapping[str, bytes],
    command: str = "deploy",
) -> FailureOrigin:
    """Trace one ``ComponentFailure`` in the files ``sent``, against the org's ``originals``
    (as they were when ``command``, deploy or rollback, read them)."""
    file = failure.file.removeprefix("unpackaged/")
    data = sent.get(file)
    if data is None:
        return FailureOrigin(
            file, failure.line, failure.problem, "unknown", None, _advice("unknown", file, command)
        )
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError:
        return FailureOrigin(
            file, failure.line, failure.problem, "unknown", None, _advice("unknown", file, command)
        )
    element = _at_line(root, failure.line) if failure.line else None
    if element is None or element is root:
        quoted = _quoted(root, failure.problem)
        if quoted is not None:
            element = quoted
    line = failure.line or (element.sourceline if element is not None else None)
    if element is None or element is root:
        origin: Origin = "unknown" if file in originals else "new"
        return FailureOrigin(
            file, line, failure.problem, origin, None, _advice(origin, file, command)
        )
    if file not in originals:
        origin = "new"
    else:
        try:
            original = parse_xml(originals[file])
        except etree.XMLSyntaxError:
            original = None
        origin = (
            "carried_over"
            if original is not None and _carried_over(element, original)
            else "changed"
        )
    return FailureOrigin(
        file, line, failure.problem, origin, _shown(element), _advice(origin, file, command)
    )


def trace_failures(result: Any, state: Any) -> list[FailureOrigin]:
    """Every component failure of ``result``, traced in the files ``state`` sent."""
    if result is None or not result.failures or state is None:
        return []
    sent = state.deploy_files()
    return [trace_failure(f, sent, state.originals) for f in result.failures]
