"""Every request that ``requests`` sends while a ``Traffic`` is installed, with its answer.

CumulusCI's Metadata API calls, simple-salesforce's REST calls, CumulusCI's token refresh
and the probes' raw calls all go through ``requests.adapters.HTTPAdapter.send``; wrapping
it sees each exchange as the org sent it, with no change to the product. The live tests
install one for the whole session: each answer is read by the toolkit
(``answer_readers``) and, with ``--record``, written out scrubbed (``recording_scrub``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class Exchange:
    """One request and the answer the org sent to it."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    headers: dict[str, str]
    content: bytes
    test: str = ""  # the test that sent it
    labels: list[str] = field(default_factory=list)  # e.g. the recording it was compared with

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def soap(self) -> bool:
        return "/services/Soap/" in self.path

    @property
    def operation(self) -> str:
        """The SOAP operation (``checkDeployStatus``), or the REST method and path."""
        if self.soap:
            return soap_operation(self.request_body) or "soap"
        return f"{self.method} {self.path}"


def soap_operation(body: bytes) -> str | None:
    """The local name of the first element in a SOAP request's Body."""
    try:
        root = parse_xml(body)
    except (etree.XMLSyntaxError, ValueError):
        return None
    found = root.find(f"{{{SOAP_NS}}}Body")
    child = next((c for c in found if isinstance(c.tag, str)), None) if found is not None else None
    return etree.QName(child).localname if child is not None else None


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes):
        return body
    return b""  # a stream or a generator: not read here, so the request still sends it


class Traffic:
    """Installed, it keeps every exchange; ``capture()`` hands out those of a block."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.current_test = ""
        self.org: Any = None  # the live org, once connected (its secrets are scrubbed)
        self._lock = threading.Lock()
        self._original: Any = None

    def install(self) -> None:
        from requests.adapters import HTTPAdapter

        if self._original is not None:
            return
        original = HTTPAdapter.send
        traffic = self

        def send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            response = original(adapter, request, *args, **kwargs)
            traffic._keep(request, response, streamed=bool(kwargs.get("stream")))
            return response

        self._original = original
        HTTPAdapter.send = send  # type: ignore[method-assign]

    def uninstall(self) -> None:
        from requests.adapters import HTTPAdapter

        if self._original is not None:
            HTTPAdapter.send = self._original  # type: ignore[method-assign]
            self._original = None

    def _keep(self, request: Any, response: Any, streamed: bool) -> None:
        # A streamed answer is left for its reader (reading it here would consume it).
        content = b"" if streamed else response.content
        exchange = Exchange(
            method=str(request.method),
            url=str(request.url),
            request_headers={str(k): str(v) for k, v in request.headers.items()},
            request_body=_body_bytes(request.body),
            status=int(response.status_code),
            headers={str(k): str(v) for k, v in response.headers.items()},
            content=content,
            test=self.current_test,
        )
        with self._lock:
            self.exchanges.append(exchange)

    @contextmanager
    def capture(self) -> Iterator[list[Exchange]]:
        """The exchanges sent inside the block (the list is filled when the block ends)."""
        captured: list[Exchange] = []
        start = len(self.exchanges)
        try:
            yield captured
        finally:
            with self._lock:
                captured.extend(self.exchanges[start:])


# Metadata API calls that change an org (a check-only deploy does not).
CHANGING_SOAP = {
    "deploy",
    "deployRecentValidation",
    "cancelDeploy",
    "createMetadata",
    "updateMetadata",
    "upsertMetadata",
    "deleteMetadata",
    "renameMetadata",
}


def changes_an_org(exchange: Exchange) -> bool:
    """Whether a request can change the org: a deploy that is not check-only, a metadata
    write, a REST write (a composite request of GETs alone, and a token request, do not)."""
    if exchange.soap:
        operation = exchange.operation
        if operation == "deploy":
            return b"<checkOnly>true</checkOnly>" not in exchange.request_body
        return operation in CHANGING_SOAP
    method = exchange.method.upper()
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    if method == "POST" and "/oauth2/" in exchange.path:
        return False
    if method == "POST" and exchange.path.rstrip("/").endswith("/composite"):
        import json

        try:
            requests = json.loads(exchange.request_body)["compositeRequest"]
        except (ValueError, KeyError, TypeError):
            return True
        return any(str(r.get("method", "")).upper() != "GET" for r in requests)
    return True
