"""Answers of a live org, scrubbed and written out in the layout of ``../shared/recorded``.

What a recording must never hold, and what stands in its place (the stand-ins keep each
value's format, so a recording still compares in structure, ``recorded_answers``):

- access and refresh tokens, session ids, OAuth signatures and client secrets:
  ``SCRUBBED-TOKEN`` (a session id, ``00D...!...``, becomes ``SCRUBBED-SESSION-ID``);
- the org id, 15 or 18 characters, wherever it stands (record ids, URLs, tokens):
  ``00D000000000000`` or ``00D000000000000AAA``;
- user names and e-mail addresses: ``user@example.com``; people's and the company's
  names, the company's address and phone numbers: ``Scrubbed``;
- instance hosts (``acme.my.salesforce.com``, ``na99.salesforce.com``, the emulator's
  ``127.0.0.1:PORT``): ``example.my.salesforce.com``; the instance name: ``XX0``.

A ``Scrubber`` learns the secrets of a run from the traffic itself (the bearer token and
SOAP session id of each request, the tokens of each OAuth answer, the org id of each
identity URL) besides the patterns above, scrubs retrieved zips file by file, and checks
each file it writes: a file that still holds anything it learned is refused, never written.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.support.org_traffic import Exchange

TOKEN = "SCRUBBED-TOKEN"
SESSION_ID = "SCRUBBED-SESSION-ID"
ORG_ID_15 = "00D000000000000"
ORG_ID_18 = "00D000000000000AAA"
USER = "user@example.com"
NAME = "Scrubbed"
HOST = "example.my.salesforce.com"
INSTANCE_NAME = "XX0"

SOURCES_COLUMNS = ("file", "repo_or_url", "path", "commit", "what")
SOURCE = "live org, recorded by totango-sf's live tests (./dev test --live --record)"

# A session id: the org id, "!" (or "%21" in a URL), then the secret.
_SESSION = re.compile(r"00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?(?:!|%21)[A-Za-z0-9._\-]+")
_ORG_ID = re.compile(r"(?<![A-Za-z0-9])00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?(?![A-Za-z0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_SF_HOST = re.compile(
    r"(?<![A-Za-z0-9.\-])(?:[A-Za-z0-9\-]+\.)+"
    r"(?:salesforce|force|visualforce|salesforce-sites|cloudforce|database|documentforce"
    r"|salesforce-setup|salesforce-experience|site|my\.site)\.com(?::\d+)?"
)
_REFRESH_TOKEN = re.compile(r"5Aep[A-Za-z0-9._\-]{20,}")
# Hosts every org shares: they say nothing of the org.
GENERIC_HOSTS = {
    "login.salesforce.com",
    "test.salesforce.com",
    "www.salesforce.com",
    "help.salesforce.com",
    "developer.salesforce.com",
    HOST,
}

# Keys whose value is a secret in an answer (the token request's own secrets are read
# from its form: refresh_token, client_secret, code).
SECRET_KEYS = {"access_token", "refresh_token", "signature", "id_token", "sessionId", "session_id"}
USER_KEYS = {"username", "Username", "preferred_username", "email", "Email", "SenderEmail"}
# Keys of a person's or the company's name, address and phone, in records and identity
# answers. A describe's ``name`` (a field's API name) is not one of them.
PERSON_KEYS = {
    "FirstName",
    "LastName",
    "MiddleName",
    "Alias",
    "CommunityNickname",
    "PrimaryContact",
    "Division",
    "Street",
    "City",
    "State",
    "PostalCode",
    "Country",
    "Phone",
    "Fax",
    "MobilePhone",
    "Title",
    "CompanyName",
    "street",
    "city",
    "state",
    "postalCode",
    "country",
}
IDENTITY_KEYS = {"name", "nickname", "given_name", "family_name", "display_name"}
NAMED_RECORDS = {"User", "Organization", "Contact", "Lead", "Account", "Group", "UserRole"}
XML_NAME_TAGS = {"createdByName", "lastModifiedByName", "userName", "userFullName"}
XML_SECRET_TAGS = {"sessionId"}


class NotScrubbed(Exception):
    """A file would still hold a secret the run learned: it is not written."""


@dataclass
class Scrubber:
    """What a run's recordings must not hold, learned from its traffic."""

    def __post_init__(self) -> None:
        self.secrets: set[str] = set()
        self.org_ids: set[str] = set()
        self.usernames: set[str] = set()
        self.hosts: set[str] = set()
        self.names: set[str] = set()  # people's and the company's, wherever they recur

    # -- learning ------------------------------------------------------------------------
    def know(
        self,
        *,
        secrets: Iterable[str | None] = (),
        org_ids: Iterable[str | None] = (),
        usernames: Iterable[str | None] = (),
        urls: Iterable[str | None] = (),
        names: Iterable[str | None] = (),
    ) -> None:
        self.secrets |= {s for s in secrets if s and len(s) >= 8}
        # Short names ("Jane") would hit ordinary words; their fields are scrubbed anyway.
        self.names |= {n.strip() for n in names if n and len(n.strip()) >= 5}
        for org_id in org_ids:
            if org_id and len(org_id) >= 15:
                self.org_ids |= {org_id, org_id[:15]}
        self.usernames |= {u for u in usernames if u}
        for url in urls:
            host = urlsplit(url).netloc if url and "//" in url else url
            if host and host.lower() not in GENERIC_HOSTS:
                self.hosts |= {host, host.split(":")[0]} if not _is_ip(host) else {host}

    def learn(self, exchange: Exchange) -> None:
        """Each secret, org id, user name and host an exchange shows."""
        self.know(urls=[exchange.url])
        auth = exchange.request_headers.get("Authorization", "")
        if auth.lower().startswith(("bearer ", "oauth ")):
            self.know(secrets=[auth.split(" ", 1)[1].strip()])
        body = exchange.request_body.decode("utf-8", "replace")
        for session in re.findall(r"<(?:\w+:)?sessionId>([^<]+)</", body):
            self.know(secrets=[session.strip()])
        if "/oauth2/" in exchange.path:
            form = {k: v[-1] for k, v in parse_qs(body).items()}
            self.know(
                secrets=[form.get(k) for k in ("refresh_token", "client_secret", "code")],
                usernames=[form.get("username")],
            )
        self.know(org_ids=_ORG_ID.findall(exchange.url))
        if exchange.soap:
            try:
                root = parse_xml(exchange.content)
            except (etree.XMLSyntaxError, ValueError):
                return
            self.know(
                names=[
                    e.text
                    for e in root.iter()
                    if isinstance(e.tag, str) and etree.QName(e).localname in XML_NAME_TAGS
                ]
            )
            return
        try:
            value = json.loads(exchange.content)
        except ValueError:
            return
        identity = "/oauth2/userinfo" in exchange.path or "/id/" in exchange.path
        self._learn_json(value, identity)

    def _learn_json(self, value: Any, identity: bool, record: str | None = None) -> None:
        if isinstance(value, dict):
            attributes = value.get("attributes")
            kind = attributes.get("type") if isinstance(attributes, dict) else record
            for key, item in value.items():
                if isinstance(item, str):
                    if (
                        key in PERSON_KEYS
                        or (identity and key in IDENTITY_KEYS)
                        or (key == "Name" and kind in NAMED_RECORDS)
                    ):
                        self.know(names=[item])
                    if key in SECRET_KEYS:
                        self.know(secrets=[item])
                    elif key in USER_KEYS:
                        self.know(usernames=[item])
                    elif (
                        key in ("instance_url", "sfdc_community_url")
                        or key == "url"
                        and (item.startswith("https://"))
                    ):
                        self.know(urls=[item])
                    elif key in ("organization_id", "organizationId"):
                        self.know(org_ids=[item])
                    self.know(org_ids=_ORG_ID.findall(item))
                else:
                    self._learn_json(item, identity, kind)
        elif isinstance(value, list):
            for item in value:
                self._learn_json(item, identity, record)

    # -- scrubbing -----------------------------------------------------------------------
    def text(self, text: str) -> str:
        """Every learned secret and every pattern of one, replaced by its stand-in."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            stand_in = SESSION_ID if _SESSION.fullmatch(secret) else TOKEN
            text = text.replace(secret, stand_in).replace(quote(secret, safe=""), stand_in)
        text = _SESSION.sub(SESSION_ID, text)
        text = _REFRESH_TOKEN.sub(TOKEN, text)
        for org_id in sorted(self.org_ids, key=len, reverse=True):
            stand_in = ORG_ID_18 if len(org_id) == 18 else ORG_ID_15
            text = re.sub(re.escape(org_id), stand_in, text, flags=re.I)
        text = _ORG_ID.sub(lambda m: ORG_ID_18 if len(m.group()) == 18 else ORG_ID_15, text)
        for username in sorted(self.usernames, key=len, reverse=True):
            text = re.sub(re.escape(username), USER, text, flags=re.I)
        text = _EMAIL.sub(USER, text)
        for name in sorted(self.names - {NAME}, key=len, reverse=True):
            # Never inside a tag's name: <Name> and </Name> stay as they are.
            text = re.sub(rf"(?<![\w</]){re.escape(name)}(?!\w)", NAME, text)
        for host in sorted(self.hosts, key=len, reverse=True):
            text = re.sub(re.escape(host), HOST, text, flags=re.I)
        return _SF_HOST.sub(
            lambda m: m.group() if m.group().lower() in GENERIC_HOSTS else HOST, text
        )

    def leftovers(self, text: str) -> list[str]:
        """What a scrubbed text still holds of the run's secrets (kinds, never values)."""
        found = []
        lowered = text.lower()
        if any(s in text or quote(s, safe="") in text for s in self.secrets):
            found.append("a token or session id")
        if _SESSION.search(text):
            found.append("a session id")
        if any(o.lower() in lowered for o in self.org_ids if o not in (ORG_ID_15, ORG_ID_18)):
            found.append("the org id")
        if any(u.lower() in lowered for u in self.usernames if u != USER):
            found.append("a user name")
        if any(h.lower() in lowered for h in self.hosts if h.lower() not in GENERIC_HOSTS):
            found.append("an instance host")
        return found

    def answer(self, exchange: Exchange) -> tuple[bytes, str]:
        """The exchange's answer scrubbed, and the extension it is recorded under."""
        content = exchange.content
        if exchange.soap or content.lstrip().startswith(b"<"):
            try:
                root = parse_xml(content)
            except (etree.XMLSyntaxError, ValueError):
                pass
            else:
                self._xml(root)
                scrubbed = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
                return self.text(scrubbed.decode("utf-8")).encode("utf-8"), "xml"
        try:
            value = json.loads(content)
        except ValueError:
            return self.text(content.decode("utf-8", "replace")).encode("utf-8"), "txt"
        identity = "/oauth2/userinfo" in exchange.path or "/id/" in exchange.path
        value = self._json(value, identity=identity)
        return self.text(json.dumps(value, indent=2, ensure_ascii=False)).encode("utf-8"), "json"

    def _json(self, value: Any, *, identity: bool, record: str | None = None) -> Any:
        if isinstance(value, list):
            return [self._json(v, identity=identity, record=record) for v in value]
        if not isinstance(value, dict):
            return value
        attributes = value.get("attributes")
        kind = attributes.get("type") if isinstance(attributes, dict) else record
        scrubbed: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, str):
                if key in SECRET_KEYS:
                    item = TOKEN
                elif key in USER_KEYS:
                    item = USER
                elif (
                    key in PERSON_KEYS
                    or (identity and key in IDENTITY_KEYS)
                    or (key == "Name" and kind in NAMED_RECORDS)
                ):
                    item = NAME
                elif key == "InstanceName":
                    item = INSTANCE_NAME
                scrubbed[key] = item
            else:
                scrubbed[key] = self._json(item, identity=identity, record=kind)
        return scrubbed

    def _xml(self, root: etree._Element) -> None:
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            name = etree.QName(element).localname
            if name in XML_NAME_TAGS and element.text:
                element.text = NAME
            elif name in XML_SECRET_TAGS and element.text:
                element.text = TOKEN
            elif name == "zipFile" and element.text and element.text.strip():
                element.text = self.zip_file(element.text.strip())

    def zip_file(self, encoded: str) -> str:
        """A retrieved zip with each file's name and text scrubbed (binary files emptied)."""
        try:
            archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(encoded)))
        except (ValueError, zipfile.BadZipFile):
            return base64.b64encode(b"scrubbed: not a zip").decode("ascii")
        out = io.BytesIO()
        with archive, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as rebuilt:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                data = archive.read(info)
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    data = b""
                else:
                    data = self.text(text).encode("utf-8")
                rebuilt.writestr(
                    zipfile.ZipInfo(self.text(info.filename), (1980, 1, 1, 0, 0, 0)), data
                )
        return base64.b64encode(out.getvalue()).decode("ascii")


def _is_ip(host: str) -> bool:
    return bool(re.fullmatch(r"[\d.]+(?::\d+)?|\[[0-9a-fA-F:]+\](?::\d+)?", host))


# -- naming ------------------------------------------------------------------------------
SOAP_NAMES = {
    "checkDeployStatus": "check_deploy",
    "checkRetrieveStatus": "check_retrieve",
    "cancelDeploy": "cancel_deploy",
    "deployRecentValidation": "deploy_recent_validation",
    "listMetadata": "list_metadata",
    "describeMetadata": "describe_metadata",
    "readMetadata": "read_metadata",
    "checkStatus": "check_status",
}


def snake(text: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _soap_detail(content: bytes) -> tuple[str | None, str | None, bool]:
    """(fault code, status or state, holds a result) of a SOAP answer."""
    try:
        root = parse_xml(content)
    except (etree.XMLSyntaxError, ValueError):
        return None, None, False
    code = next(root.iter("faultcode"), None)
    if code is not None:
        return (code.text or "").strip(), None, False
    status = None
    results = False
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in ("status", "state") and status is None and element.text:
            status = element.text.strip()
        results = results or name == "result"
    return None, status, results


def _json_error(content: bytes) -> str | None:
    try:
        value = json.loads(content)
    except ValueError:
        return None
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0].get("errorCode")
    if isinstance(value, dict):
        return value.get("error") or value.get("errorCode")
    return None


def recording_stem(exchange: Exchange) -> str:
    """A file name stem in the style of ../shared/recorded (``check_deploy_succeeded``)."""
    if exchange.soap:
        code, status, results = _soap_detail(exchange.content)
        if code is not None:
            return f"fault_{snake(code.split(':')[-1])}"
        operation = exchange.operation
        base = SOAP_NAMES.get(operation, snake(operation))
        if operation == "listMetadata":
            return base if results else f"{base}_empty"
        return f"{base}_{snake(status)}" if status else base
    path = exchange.path.rstrip("/")
    error = _json_error(exchange.content) if exchange.status >= 400 else None
    if path.endswith("/oauth2/token"):
        return "oauth_refresh" if exchange.status == 200 else f"refresh_{snake(error or 'error')}"
    if path.endswith("/oauth2/userinfo"):
        return "userinfo"
    if "/id/" in path:
        return "identity"
    parts = [p for p in path.split("/") if p]
    if parts in (["services", "data"],):
        return "versions"
    rest = parts[3:] if len(parts) > 3 and parts[:2] == ["services", "data"] else parts
    tooling = bool(rest) and rest[0] == "tooling"
    rest = rest[1:] if tooling else rest
    stem = _rest_stem(exchange.method, rest, exchange.content)
    stem = f"tooling_{stem}" if tooling else stem
    return f"{stem}_{snake(error)}" if error else stem


def _rest_stem(method: str, parts: list[str], content: bytes) -> str:
    if not parts:
        return "resources"
    head = parts[0]
    if head in ("query", "queryAll"):
        if len(parts) > 1:
            return "query_more"
        try:
            value = json.loads(content)
        except ValueError:
            return "query"
        if isinstance(value, dict) and value.get("done") is False:
            return "query_first_page"
        if isinstance(value, dict) and value.get("totalSize") == 0:
            return "query_empty"
        return "query"
    if head == "sobjects":
        if len(parts) == 1:
            return "global_describe"
        sobject = snake(parts[1])
        if len(parts) >= 3 and parts[2] == "describe":
            return f"describe_{sobject}"
        if len(parts) >= 3:
            return f"{method.lower()}_{sobject}"
        return f"create_{sobject}" if method == "POST" else f"{method.lower()}_{sobject}"
    words = [p for p in parts if not _ORG_ID.fullmatch(p) and not re.fullmatch(r"\w{15,18}", p)]
    return "_".join(snake(p) for p in words) or "resource"


def request_line(exchange: Exchange, scrubber: Scrubber) -> str:
    """The request in one line, scrubbed: method, path, and the SOQL or SOAP operation."""
    parts = urlsplit(exchange.url)
    line = f"{exchange.method} {parts.path}"
    if exchange.soap:
        line += f" {exchange.operation}"
    query = parse_qs(parts.query).get("q")
    if query:
        line += f" q={unquote(query[-1])}"
    return " ".join(scrubber.text(line).split())


# -- writing -----------------------------------------------------------------------------
@dataclass
class OrgDescription:
    """What a recording may say of the org it came from: its edition and kind."""

    organization_type: str
    kind: str  # scratch, sandbox, developer or production
    api_version: str


def write_recordings(
    folder: Path,
    exchanges: list[Exchange],
    scrubber: Scrubber,
    org: OrgDescription,
    day: str,
) -> list[Path]:
    """Each answer as ``live_<kind>_<stem>[_N].<ext>`` and its row in SOURCES.tsv.

    Rows already in ``folder/SOURCES.tsv`` for other files are kept, so recording into a
    folder of recordings adds to it. Every exchange is learned from before any is written.
    """
    for exchange in exchanges:
        scrubber.learn(exchange)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows: list[dict[str, str]] = []
    taken: dict[str, int] = {}
    for exchange in exchanges:
        content, extension = scrubber.answer(exchange)
        stem = f"live_{snake(org.kind)}_{recording_stem(exchange)}"
        taken[stem] = taken.get(stem, 0) + 1
        name = f"{stem}.{extension}" if taken[stem] == 1 else f"{stem}_{taken[stem]}.{extension}"
        text = content.decode("utf-8", "replace")
        request = request_line(exchange, scrubber)
        notes = [*exchange.labels]
        if exchange.test:
            notes.append(f"sent during {exchange.test.rsplit('/', 1)[-1]}")
        what = (
            f"{exchange.operation if exchange.soap else 'REST'} answer, HTTP {exchange.status}:"
            f" a live {org.organization_type} org ({org.kind}), API {org.api_version}, {day}"
            + "".join(f"; {note}" for note in notes)
        )
        what = " ".join(scrubber.text(what).split())
        for field, value in (("file", text), ("name", name), ("request", request), ("what", what)):
            left = scrubber.leftovers(value)
            if left:
                raise NotScrubbed(f"{name}: its {field} would still hold {', '.join(left)}")
        (folder / name).write_bytes(content)
        written.append(folder / name)
        rows.append(
            {"file": name, "repo_or_url": SOURCE, "path": request, "commit": "-", "what": what}
        )
    _write_sources(folder / "SOURCES.tsv", rows)
    return written


def _write_sources(path: Path, rows: list[dict[str, str]]) -> None:
    ours = {row["file"] for row in rows}
    kept: list[dict[str, str]] = []
    if path.exists():
        with path.open(newline="", encoding="utf-8") as handle:
            kept = [r for r in csv.DictReader(handle, delimiter="\t") if r["file"] not in ours]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, SOURCES_COLUMNS, delimiter="\t", lineterminator="\n", extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows([*kept, *rows])
