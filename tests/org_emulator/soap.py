"""SOAP envelopes for the Metadata API: reading requests, writing responses and faults."""

from __future__ import annotations

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.org_emulator.state import MD_NS

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_M = f"{{{MD_NS}}}"


class SoapFault(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def parse_request(data: bytes) -> tuple[str | None, etree._Element]:
    """(session id, the operation element inside soap:Body)."""
    try:
        envelope = parse_xml(data)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("soapenv:Client", f"Unable to parse the request: {exc.msg}") from exc
    body = envelope.find(f"{{{SOAP_NS}}}Body")
    operation = (
        next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    )
    if operation is None:
        raise SoapFault("soapenv:Client", "No operation in the SOAP Body")
    session = envelope.find(f".//{_M}SessionHeader/{_M}sessionId")
    return (session.text.strip() if session is not None and session.text else None), operation


def local(tag: str) -> str:
    return tag.split("}")[-1]


def md(tag: str, parent: etree._Element | None = None, text=None) -> etree._Element:
    """A Metadata-namespace element; booleans render as xsd:boolean."""
    el = etree.Element(f"{_M}{tag}") if parent is None else etree.SubElement(parent, f"{_M}{tag}")
    if text is not None:
        el.text = ("true" if text else "false") if isinstance(text, bool) else str(text)
    return el


def envelope(response: etree._Element) -> bytes:
    env = etree.Element(
        f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, None: MD_NS, "xsi": XSI_NS}
    )
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    body.append(response)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def fault(code: str, message: str) -> bytes:
    """A Metadata API fault: ``faultcode`` and ``faultstring`` only, ``sf`` bound to the
    metadata namespace, no ``<detail>`` (recorded: jetstream's SOAP_ERROR_INVALID_SESSION,
    ../shared/recorded/js_fault_invalid_session.xml, and a real org's INSUFFICIENT_ACCESS
    fault, nelsonic_fault_insufficient_access.xml)."""
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, "sf": MD_NS})
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    fault_el = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    etree.SubElement(fault_el, "faultcode").text = code
    etree.SubElement(fault_el, "faultstring").text = message
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def invalid_session_fault() -> bytes:
    # The recorded words (js_fault_invalid_session.xml).
    return fault(
        "sf:INVALID_SESSION_ID",
        "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session",
    )


def request_limit_fault() -> bytes:
    return fault(
        "sf:REQUEST_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."
    )
