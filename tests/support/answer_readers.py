"""The toolkit's own reading of an org's answer, whatever the request was.

Each answer is handed to the code that reads that kind of answer in the product: the
toolkit's ``parse_deploy_result``, ``fault_code``, retrieve class and ``short_reason``,
and the CumulusCI and simple-salesforce readers it relies on (``ApiListMetadata``, the
start of an asynchronous call, ``exception_handler``).
``read_answer`` says in one line what was read, or raises ``Unread`` naming what the
toolkit could not read. The live tests run it on every answer a live org sent.
"""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from typing import Any

import requests
from lxml import etree
from requests.structures import CaseInsensitiveDict

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.salesforce.connection import short_reason
from tasks.totango_sf.salesforce.metadata_api import (
    MD_NS,
    fault_code,
    parse_deploy_result,
)
from tasks.totango_sf.salesforce.rest_client import is_transient_answer
from tests.support.org_traffic import Exchange

DEPLOY_STATUSES = {
    "Pending",
    "InProgress",
    "Succeeded",
    "SucceededPartial",
    "Failed",
    "Canceling",
    "Canceled",
}
_LOGGER = logging.getLogger("totango_sf.live.readers")


class Unread(Exception):
    """The toolkit could not read an answer."""


def response_of(exchange: Exchange) -> requests.Response:
    """The answer as a ``requests.Response``, as the readers receive it."""
    response = requests.Response()
    response.status_code = exchange.status
    response._content = exchange.content
    response.headers = CaseInsensitiveDict(exchange.headers)
    response.url = exchange.url
    response.encoding = "utf-8"
    return response


def _task(api_version: str = "63.0") -> Any:
    """What CumulusCI's Metadata API call classes need to read an answer (no org)."""
    return SimpleNamespace(
        org_config=None,
        project_config=SimpleNamespace(project__package__api_version=api_version, keychain=None),
        logger=_LOGGER,
    )


def read_answer(exchange: Exchange) -> str:
    """What the toolkit reads in ``exchange``'s answer, in one line."""
    try:
        if exchange.soap:
            return _read_soap(exchange)
        return _read_rest(exchange)
    except Unread:
        raise
    except Exception as exc:  # the reader itself broke on the answer
        raise Unread(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from exc


def _read_soap(exchange: Exchange) -> str:
    from cumulusci.salesforce_api.metadata import ApiListMetadata, BaseMetadataApiCall

    from tasks.totango_sf.salesforce.metadata_api import _retrieve_class, _RetrieveRefused

    content = exchange.content
    code = fault_code(content)
    if code is not None or exchange.status == 500:
        if not code:
            raise Unread(f"HTTP {exchange.status} without a faultcode")
        return f"fault {code}"
    try:
        root = parse_xml(content)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise Unread(f"not XML: {exc}") from None
    operation = exchange.operation
    response = response_of(exchange)

    def text(tag: str) -> str:
        return (root.findtext(f".//{{{MD_NS}}}{tag}") or "").strip()

    if operation == "checkDeployStatus":
        result = parse_deploy_result(content)
        if not result.id or result.status not in DEPLOY_STATUSES:
            raise Unread(f"deploy status without an id or a known status ({result.status})")
        return f"deploy {result.status}, {len(result.failures)} component failure(s)"
    if operation in ("deploy", "retrieve"):
        call = BaseMetadataApiCall(_task())
        call._process_response_start(response)
        process_id = getattr(call, "process_id", None)
        if not process_id:
            raise Unread(f"{operation} answer without an id")
        return f"{operation} started: {text('state') or 'no state'}"
    if operation in ("deployRecentValidation", "cancelDeploy"):
        if not (text("result") or text("id")):
            raise Unread(f"{operation} answer without an id")
        return f"{operation} answered"
    if operation == "checkRetrieveStatus":
        if text("done") != "true":
            return f"retrieve {text('status') or 'not done'}"
        call = _retrieve_class()(_task(), "<Package></Package>", "63.0")
        try:
            archive = call._process_response(response)
        except _RetrieveRefused as refused:
            return f"retrieve refused: {refused.code or 'no code'}: {refused}"
        return f"retrieve {text('status')}: {len(archive.namelist())} file(s)"
    if operation == "listMetadata":
        rows = ApiListMetadata(_task(), "Any", as_of_version="63.0")._process_response(response)
        listed = rows["Any"]
        if any(not row.get("fullName") for row in listed):
            raise Unread("a listMetadata row without a fullName")
        return f"listMetadata: {len(listed)} row(s)"
    if operation == "describeMetadata":
        # The toolkit never sends describeMetadata, so no reader of its own; CumulusCI's
        # (ApiListMetadataTypes) breaks on the <childXmlNames xsi:nil="true"/> a real org
        # sent (nelsonic_describe_metadata.xml). The types are counted here.
        types = root.findall(f".//{{{MD_NS}}}metadataObjects/{{{MD_NS}}}xmlName")
        if not types:
            raise Unread("describeMetadata without metadata types")
        return f"describeMetadata: {len(types)} type(s)"
    return f"SOAP {operation}"


def _read_rest(exchange: Exchange) -> str:
    from simple_salesforce.util import exception_handler

    response = response_of(exchange)
    if exchange.path.rstrip("/").endswith("/oauth2/token"):
        value = _json(exchange)
        if exchange.status == 200:
            if not (isinstance(value, dict) and value.get("access_token")):
                raise Unread("a token answer without access_token")
            return "token"
        if not (isinstance(value, dict) and value.get("error")):
            raise Unread(f"a refused token request without an error (HTTP {exchange.status})")
        return f"token refused: {value['error']}"
    if exchange.status >= 300:
        if is_transient_answer(response):
            return f"transient HTTP {exchange.status}, retried"
        try:
            exception_handler(response)
        except Exception as exc:
            reason = short_reason(exc)
            if not reason or "\n" in reason:
                raise Unread(f"no one-line reason for HTTP {exchange.status}") from None
            return f"refused: {reason}"
    if not exchange.content.strip():
        return f"HTTP {exchange.status}, no content"
    value = _json(exchange)
    if isinstance(value, dict) and "records" in value:
        if not isinstance(value["records"], list) or "done" not in value:
            raise Unread("a query answer without a records list and done")
        return f"query: {len(value['records'])} record(s), done {value['done']}"
    return f"JSON {type(value).__name__}"


def _json(exchange: Exchange) -> Any:
    try:
        return json.loads(exchange.content)
    except ValueError:
        raise Unread(f"not JSON: {exchange.content[:120]!r}") from None
