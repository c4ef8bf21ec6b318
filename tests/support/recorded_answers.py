"""Real orgs' recorded answers, and how an answer's structure is compared with one.

``../shared/recorded/`` holds answers recorded from real orgs (cassettes and fixtures of
public clients, answers pasted in public issues); ``SOURCES.tsv`` names where each one
comes from. A recording is one of:

- ``.xml``: a whole SOAP envelope of the Metadata API;
- ``.json``: a REST, Tooling or OAuth answer body;
- ``.txt``: what a client printed of an answer. Two kinds are read: a fragment of a
  SOAP fault (``<faultcode>``, ``<faultstring>``), and a REST error as SublimeApex
  prints it (``url:``, ``message:``, ``errorCode:``, ``status_code:`` lines), which is
  the JSON error list ``[{"message", "errorCode"}]`` the org sent. Anything else fails
  loudly with the file's name.

Structure, not values, is compared:

- XML: element names with their namespaces, nesting, the order of children (repeats
  collapsed), ``xsi:nil``, and each leaf's text format (boolean, integer, decimal,
  dateTime, 15- or 18-character id, QName, empty, text); a QName's prefix must resolve
  to the namespace it resolves to in the recording.
- JSON: each object's key set, each value's type, and a string's format.
- Refusals: error codes (``errorCode``, ``faultcode``, ``errorStatusCode``) as recorded,
  and the words of each message (``message``, ``faultstring``, ``errorMessage``,
  ``problem``) as recorded once names in quotes and the echo of the query are masked.

Every element (or value) of the answer checked must have a shape that the recording
shows at the same path. Where a recording holds several shapes at one path (rows with
and without ``namespacePrefix``, one ``id`` empty and one not), any of them will do. A
recorded ``null`` says nothing of a value's type, so it accepts any; a ``null`` in the
answer checked is accepted wherever the recording has the key.
"""

from __future__ import annotations

import copy
import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
RECORDED = SHARED / "recorded"
RECORDED_ABSENT = (
    "../shared/recorded is absent (it holds the answers recorded from real orgs that the"
    " org emulator is compared with)"
)
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
MD_NS = "http://soap.sforce.com/2006/04/metadata"

# Salesforce's echo of a refused query: "\n<query>\n<spaces>^\nERROR at Row:r:Column:c\n".
QUERY_ECHO = re.compile(
    r"^\n(?P<query>.*)\n(?P<spaces> *)\^\nERROR at Row:(?P<row>\d+):Column:(?P<column>\d+)\n", re.S
)
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_QNAME = re.compile(r"^(?P<prefix>[A-Za-z][\w.-]*):(?P<local>[A-Z][A-Z_]*)$")
_SOAP_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$")
_REST_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d{4}$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_MESSAGE_KEYS = {"message", "error_description"}
_MESSAGE_TAGS = {"faultstring", "errorMessage", "problem"}
_CODE_TAGS = {"faultcode", "errorStatusCode"}


class RecordingUnreadable(Exception):
    """A file in the recorded folder this test cannot read as an answer."""


@dataclass
class Recording:
    name: str
    kind: str  # "soap" (an envelope or a fault fragment) or "json"
    answer: Any  # the SOAP Body's child element, or the JSON value
    status: int | None  # the HTTP status the recording (or SOURCES.tsv) states
    source: dict[str, str] = field(default_factory=dict)


def sources() -> dict[str, dict[str, str]]:
    with (RECORDED / "SOURCES.tsv").open(newline="") as handle:
        return {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}


def recording_names() -> list[str]:
    return sorted(p.name for p in RECORDED.iterdir() if p.is_file() and p.name != "SOURCES.tsv")


def load(name: str) -> Recording:
    path = RECORDED / name
    listed = sources()
    if name not in listed:
        raise RecordingUnreadable(f"{name}: not listed in SOURCES.tsv, so its origin is unknown")
    source = listed[name]
    stated = re.search(r"\bHTTP (\d{3})\b", source.get("what", ""))
    status = int(stated.group(1)) if stated else None
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".xml":
        return Recording(name, "soap", body_child(text.strip().encode()), status, source)
    if path.suffix == ".json":
        return Recording(name, "json", json.loads(text), status, source)
    if path.suffix == ".txt":
        return _printed(name, text, status, source)
    raise RecordingUnreadable(f"{name}: no reader for {path.suffix!r} recordings")


def _printed(name: str, text: str, status: int | None, source: dict[str, str]) -> Recording:
    stripped = text.strip()
    if stripped.startswith("<faultcode>"):
        # A fault's content as a client logged it: the children of soapenv:Fault.
        wrapped = f'<Fault xmlns="{SOAP_NS}">{stripped}</Fault>'
        fault = etree.fromstring(wrapped.encode())
        # The children carry no namespace in a real fault; undo the wrapper's default.
        for child in fault:
            child.tag = etree.QName(child).localname
        return Recording(name, "soap", fault, status, source)
    lines = dict(
        (m.group(1), m.group(2).strip())
        for m in re.finditer(r"^\s*(url|message|errorCode|status_code):\s*(.*?)\s*$", text, re.M)
    )
    if {"message", "errorCode", "status_code"} <= set(lines):
        printed = int(lines["status_code"])
        if status is not None and status != printed:
            raise RecordingUnreadable(f"{name}: SOURCES.tsv says HTTP {status}, the file {printed}")
        answer = [{"message": lines["message"], "errorCode": lines["errorCode"]}]
        return Recording(name, "json", answer, printed, source)
    raise RecordingUnreadable(
        f"{name}: a .txt recording that is neither a SOAP fault fragment nor a printed REST error"
    )


def body_child(content: bytes) -> etree._Element:
    root = parse_xml(content)
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None:
        raise RecordingUnreadable("not a SOAP envelope")
    child = next((c for c in body if isinstance(c.tag, str)), None)
    if child is None:
        raise RecordingUnreadable("an empty SOAP Body")
    return child


# -- formats ----------------------------------------------------------------------------
def text_format(text: str | None, *, rest: bool = False) -> str:
    """The format of a leaf's text or a JSON string (values differ, formats must not)."""
    if text is None or text == "":
        return "empty"
    if not rest and text in ("true", "false"):
        return "boolean"
    if _ID.match(text) and sum(c.isdigit() for c in text) >= 4:
        return f"id{len(text)}"  # before numbers: an id may be all digits
    if re.fullmatch(r"-?\d+", text):
        return "digits" if rest else "integer"
    if re.fullmatch(r"-?\d+\.\d+", text):
        return "decimal"
    if _SOAP_DATETIME.match(text):
        return "dateTime(Z)"
    if _REST_DATETIME.match(text):
        return "dateTime(+0000)"
    if _DATE.match(text):
        return "date"
    if rest and text.startswith("/"):
        return "path"
    if rest and text.startswith(("https://", "http://")):
        return "url"
    qname = _QNAME.match(text)
    if not rest and qname:
        return f"QName({qname.group('prefix')})"
    return "text"


def words(message: str) -> str:
    """A message with what varies masked: the echoed query and names in quotes."""
    masked = QUERY_ECHO.sub("\n<query>\n<caret>\nERROR at Row:<row>:Column:<column>\n", message)
    return re.sub(r"'[^']*'", "'…'", masked)


def echo_problems(message: str) -> list[str]:
    """An echoed query's caret must stand under the column the message names."""
    match = QUERY_ECHO.match(message)
    if match is None:
        return []
    caret, column = len(match.group("spaces")) + 1, int(match.group("column"))
    if caret != column:
        return [f"the caret stands at column {caret}, the message says column {column}"]
    return []


# -- XML --------------------------------------------------------------------------------
Path_ = tuple[str, ...]


def _children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def xml_shape(element: etree._Element) -> tuple:
    children = _children(element)
    collapsed: list[str] = []
    for child in children:
        if not collapsed or collapsed[-1] != child.tag:
            collapsed.append(child.tag)
    nil = element.get(XSI_NIL) == "true"
    leaf = None if children else text_format((element.text or "").strip())
    return (nil, leaf, tuple(collapsed))


def xml_shapes(answer: etree._Element) -> dict[Path_, set[tuple]]:
    shapes: dict[Path_, set[tuple]] = {}

    def walk(element: etree._Element, path: Path_) -> None:
        here = (*path, element.tag)
        shapes.setdefault(here, set()).add(xml_shape(element))
        for child in _children(element):
            walk(child, here)

    walk(answer, ())
    return shapes


def _qname_namespaces(answer: etree._Element) -> dict[Path_, set[tuple[str, str | None]]]:
    found: dict[Path_, set[tuple[str, str | None]]] = {}
    for element in answer.iter():
        if not isinstance(element.tag, str) or _children(element):
            continue
        match = _QNAME.match((element.text or "").strip())
        if match:
            path = tuple(e.tag for e in reversed([element, *element.iterancestors()]))
            path = path[path.index(answer.tag) :]
            found.setdefault(path, set()).add(
                (match.group("prefix"), element.nsmap.get(match.group("prefix")))
            )
    return found


def _leaf_texts(answer: etree._Element, tags: set[str]) -> list[tuple[str, str]]:
    return [
        (etree.QName(e).localname, (e.text or "").strip())
        for e in answer.iter()
        if isinstance(e.tag, str) and etree.QName(e).localname in tags and not _children(e)
    ]


def compare_xml(
    recorded: etree._Element, answer: etree._Element, pooled: list[etree._Element] = ()
) -> list[str]:
    """What differs in structure between a recorded SOAP answer and ``answer``."""
    problems: list[str] = []
    expected = xml_shapes(recorded)
    for other in pooled:
        for path, shapes in xml_shapes(other).items():
            if len(path) > 1:
                expected.setdefault(path, set()).update(shapes)
    for path, shapes in sorted(xml_shapes(answer).items()):
        allowed = expected.get(path)
        name = "/".join(etree.QName(t).localname for t in path)
        if allowed is None:
            problems.append(f"{name}: element not in the recording ({path[-1]})")
            continue
        for shape in sorted(shapes, key=repr):
            if shape not in allowed:
                problems.append(
                    f"{name}: {_show(shape)} where the recording has {_show_all(allowed)}"
                )
    recorded_ns = _qname_namespaces(recorded)
    for path, pairs in _qname_namespaces(answer).items():
        for prefix, uri in pairs:
            known = {u for p, u in recorded_ns.get(path, set()) if p == prefix}
            if known and uri not in known and None not in known:
                problems.append(
                    f"{'/'.join(path)}: prefix {prefix!r} is bound to {uri}, recorded {known}"
                )
    problems += _compare_refusals(
        _leaf_texts(recorded, _CODE_TAGS | _MESSAGE_TAGS),
        _leaf_texts(answer, _CODE_TAGS | _MESSAGE_TAGS),
    )
    return problems


def _show(shape: tuple) -> str:
    nil, leaf, children = shape
    if children:
        text = "[" + ", ".join(etree.QName(c).localname for c in children) + "]"
    else:
        text = f"<{leaf}>"
    return text + (" nil" if nil else "")


def _show_all(shapes: set[tuple]) -> str:
    return " or ".join(sorted(_show(s) for s in shapes))


# -- JSON -------------------------------------------------------------------------------
def json_shape(value: Any) -> tuple:
    if isinstance(value, dict):
        return ("object", tuple(sorted(value)))
    if isinstance(value, list):
        return ("array",)
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("boolean",)
    if isinstance(value, int):
        return ("integer",)
    if isinstance(value, float):
        return ("number",)
    if isinstance(value, str):
        return ("string", text_format(value, rest=True))
    return (type(value).__name__,)


def json_shapes(value: Any) -> dict[Path_, set[tuple]]:
    shapes: dict[Path_, set[tuple]] = {}

    def walk(item: Any, path: Path_) -> None:
        shapes.setdefault(path, set()).add(json_shape(item))
        if isinstance(item, dict):
            for key, child in item.items():
                walk(child, (*path, key))
        elif isinstance(item, list):
            for child in item:
                walk(child, (*path, "[]"))

    walk(value, ("$",))
    return shapes


def _json_refusals(value: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            code = item.get("errorCode", item.get("statusCode", item.get("error")))
            message = next((item[k] for k in _MESSAGE_KEYS if k in item), None)
            if isinstance(code, str):
                found.append(("code", code))
                if isinstance(message, str):
                    found.append(("message", message))
            for child in item.values():
                walk(child)
        elif isinstance(item, list):
            for child in item:
                walk(child)

    walk(value)
    return found


def compare_json(recorded: Any, answer: Any, pooled: list[Any] = ()) -> list[str]:
    problems: list[str] = []
    expected = json_shapes(recorded)
    for other in pooled:
        for path, shapes in json_shapes(other).items():
            if len(path) > 1:
                expected.setdefault(path, set()).update(shapes)
    for path, shapes in sorted(json_shapes(answer).items()):
        allowed = expected.get(path)
        name = ".".join(path)
        if allowed is None:
            problems.append(f"{name}: not in the recording")
            continue
        if ("null",) in allowed:
            continue  # a recorded null says nothing of the type
        for shape in sorted(shapes, key=repr):
            if shape == ("null",) or shape in allowed:
                continue
            if shape[0] == "object":
                wanted = [s for s in allowed if s[0] == "object"]
                if wanted:
                    missing = sorted(set().union(*(set(s[1]) for s in wanted)) - set(shape[1]))
                    extra = sorted(set(shape[1]) - set().union(*(set(s[1]) for s in wanted)))
                    problems.append(f"{name}: keys differ (missing {missing}, extra {extra})")
                    continue
            problems.append(f"{name}: {shape} where the recording has {sorted(allowed)}")
    problems += _compare_refusals(_json_refusals(recorded), _json_refusals(answer))
    return problems


# -- refusals ---------------------------------------------------------------------------
def _compare_refusals(recorded: list[tuple[str, str]], answer: list[tuple[str, str]]) -> list[str]:
    """Codes as recorded; each message in the recorded words (quoted names masked)."""
    problems: list[str] = []

    def codes(pairs: list[tuple[str, str]]) -> set[str]:
        return {_code(v) for k, v in pairs if k in ("code", "faultcode", "errorStatusCode")}

    if codes(recorded) != codes(answer):
        problems.append(f"error codes {sorted(codes(answer))}, recorded {sorted(codes(recorded))}")
    said = {(k, words(v)) for k, v in recorded if k not in ("code", "faultcode", "errorStatusCode")}
    for kind, message in answer:
        if kind in ("code", "faultcode", "errorStatusCode"):
            continue
        problems += [f"{kind} {message!r}: {p}" for p in echo_problems(message)]
        if (kind, words(message)) not in said:
            recorded_words = sorted(w for k, w in said if k == kind)
            problems.append(f"{kind} {message!r} is not in the recorded words {recorded_words}")
    return problems


def _code(value: str) -> str:
    return value.split(":")[-1]


# -- one answer against one recording -----------------------------------------------------
def wsdl_errors(element: etree._Element) -> set[str]:
    """The schema's complaints about an answer element, without line numbers."""
    from tasks.totango_sf.metadata.schema import load_schema

    return {e.message for e in load_schema().validate_element(copy.deepcopy(element))}


def rename_keys(value: Any, renamed: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {renamed.get(k, k): rename_keys(v, renamed) for k, v in value.items()}
    if isinstance(value, list):
        return [rename_keys(v, renamed) for v in value]
    return value


def answer_problems(
    recording: Recording,
    expected_status: int,
    status: int,
    content: bytes,
    pooled: tuple[str, ...] = (),
    renamed: tuple[tuple[str, str], ...] = (),
) -> list[str]:
    """What differs in structure between an org's answer (``status``, ``content``) and
    ``recording``: the HTTP status, then the SOAP or JSON structure; a SOAP answer that
    is not a fault is also held to the WSDL's sequence order, except where the recorded
    answer itself breaks the WSDL (a nil zipFile: the org is right)."""
    problems = [] if status == expected_status else [f"HTTP {status}, recorded {expected_status}"]
    others = [load(other).answer for other in pooled]
    if recording.kind == "soap":
        try:
            element = body_child(content)
        except (RecordingUnreadable, etree.XMLSyntaxError) as exc:
            return [*problems, f"the answer is not a SOAP envelope ({exc}): {content[:300]!r}"]
        problems += compare_xml(recording.answer, element, others)
        if element.tag != f"{{{SOAP_NS}}}Fault":
            problems += [
                f"WSDL: {e}" for e in sorted(wsdl_errors(element) - wsdl_errors(recording.answer))
            ]
        return problems
    try:
        value = json.loads(content)
    except ValueError:
        return [*problems, f"the answer is not JSON: {content[:300]!r}"]
    return problems + compare_json(recording.answer, rename_keys(value, dict(renamed)), others)
