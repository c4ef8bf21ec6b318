"""Reaching an org through CumulusCI's keychain, and what kind of org it is.

Orgs come from ``cci org connect``, ``cci org scratch`` or a
``CUMULUSCI_ORG_<name>`` environment entry. Every failure here becomes
``OrgUnreachable`` (exit code 4) with a message that never holds a token.
"""

from __future__ import annotations

import errno
import logging
import re
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from tasks.totango_sf.errors import Unreachable, local_file_error
from tasks.totango_sf.salesforce.retry_policy import TLS_NOT_TRUSTED

LOGGER = logging.getLogger("totango_sf")

_TOKEN_LIKE = re.compile(r"(00D\w{12,15}![\w.]+|[A-Za-z0-9._-]{40,})")


# CumulusCI loads its project config and keychain through process-wide state (the
# ``tasks`` package path, YAML caches); a fleet connects to several orgs from threads,
# so the runtime is built one at a time. The rest of a connection runs in parallel.
_RUNTIME_LOCK = threading.Lock()


class OrgUnreachable(Unreachable):
    """The org is unknown to the keychain, or authentication or the network failed. Each
    message says which, and what to run (it used to be shown after "Metadata API call
    failed:", which no Metadata API call had)."""


def redact(text: str, *secrets: str | None) -> str:
    """Remove known secrets and anything shaped like a Salesforce session id."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _TOKEN_LIKE.sub("[redacted]", text)


@dataclass
class OrgKind:
    org_type: str
    is_sandbox: bool
    is_scratch: bool

    @property
    def is_production(self) -> bool:
        return not self.is_sandbox and not self.is_scratch

    @property
    def label(self) -> str:
        if self.is_scratch:
            return "scratch"
        return "sandbox" if self.is_sandbox else "production"


@dataclass
class OrgSession:
    """A connected org: CumulusCI's OrgConfig plus the project config around it."""

    name: str
    org_config: Any
    project_config: Any
    logger: logging.Logger = field(default_factory=lambda: LOGGER)
    keychain: Any = None

    @property
    def api_task(self) -> Any:
        """What CumulusCI's Metadata API call classes expect as their ``task``."""
        return SimpleNamespace(
            org_config=self.org_config,
            project_config=self.project_config,
            logger=self.logger,
            renew_session=self.renew_session,
        )

    def renew_session(self) -> None:
        """A new access token through the keychain (and the instance URL it returns).

        CumulusCI's Metadata API calls renew an expired session through
        ``task.project_config.keychain``, which the command line has no project config
        for (its keychain is the runtime's): they call this instead (``metadata_api``).
        """
        from tasks.totango_sf.salesforce.rest_client import refresh_with_retry

        keychain = self.keychain or getattr(self.project_config, "keychain", None)
        if keychain is None or not self.org_config.config.get("refresh_token"):
            raise OrgUnreachable("the session expired, and there is no refresh token to renew it")
        try:
            refresh_with_retry(self.org_config, keychain)
        except oauth_errors() as exc:
            raise OrgUnreachable(
                f"the session expired, and renewing it failed: {redact(str(exc), *self.secrets)}"
            ) from None

    @property
    def secrets(self) -> tuple[str | None, ...]:
        return (self.org_config.access_token, self.org_config.config.get("refresh_token"))

    def salesforce(self) -> Any:
        """simple-salesforce REST client that renews an expired session and retries.

        CumulusCI's ``salesforce_client`` holds a bare session id, so a token that
        expires mid-run (long deploys, CI queues) would fail every later call.
        ``rest_client`` renews it through CumulusCI's keychain and follows the
        instance URL the refresh returns.
        """
        keychain = self.keychain or getattr(self.project_config, "keychain", None)
        if keychain is not None and self.org_config.config.get("refresh_token"):
            from tasks.totango_sf.salesforce.rest_client import refresh_with_retry, renewing_client

            def refresh() -> None:
                try:
                    refresh_with_retry(self.org_config, keychain)
                except oauth_errors() as exc:
                    raise OrgUnreachable(
                        f"the session of org {self.name!r} expired and could not be renewed:"
                        f" {redact(str(exc), *self.secrets)}"
                    ) from None

            return renewing_client(self.org_config, refresh)
        from tasks.totango_sf.salesforce.rest_client import retrying_client

        # Without a refresh token nothing can renew the session; reads still retry.
        return retrying_client(self.org_config)

    def query(self, soql: str, tooling: bool = False) -> list[dict[str, Any]]:
        """Every record of a SOQL query, page after page.

        An org answers with at most 2,000 records and ``done: false``, and the rest
        behind ``nextRecordsUrl`` (REST API Developer Guide, "Execute a SOQL Query"),
        Tooling queries as well. ``query_all`` follows the pages of a REST query; a
        Tooling query's are followed here.
        """
        client = self.salesforce()
        if not tooling:
            return list(client.query_all(soql)["records"])
        # params= URL-encodes the query, so names holding & # + stay intact.
        result = client.toolingexecute("query/", params={"q": soql})
        records = list(result.get("records", []))
        while not result.get("done", True) and result.get("nextRecordsUrl"):
            result = client.query_more(result["nextRecordsUrl"], identifier_is_url=True)
            records += result.get("records", [])
        return records

    def kind(self) -> OrgKind:
        record = self.query(
            "SELECT Id, OrganizationType, IsSandbox, TrialExpirationDate FROM Organization"
        )[0]
        scratch = bool(self.org_config.config.get("scratch")) or bool(
            record.get("IsSandbox") and record.get("TrialExpirationDate")
        )
        return OrgKind(record["OrganizationType"], bool(record["IsSandbox"]), scratch)


def org_call_errors() -> tuple[type[Exception], ...]:
    """Failures of a REST call that mean the org is unreachable or refused us.

    Network errors, and every simple-salesforce error: an expired session that
    could not be renewed, REQUEST_LIMIT_EXCEEDED, a 5xx, and an OAuth error while
    renewing the session mid-run (``oauth_errors``: ``invalid_grant`` for a revoked
    refresh token, for example). Commands turn them into exit
    code 4 with secrets redacted, never a traceback.
    """
    import requests
    from simple_salesforce.exceptions import SalesforceError

    return (requests.ConnectionError, requests.Timeout, SalesforceError, *oauth_errors())


# What a refused connection looks like at the bottom of urllib3's retry chain.
_NETWORK_CAUSES = (
    ("Connection refused", "connection refused"),
    ("Remote end closed connection", "the connection was dropped"),
    ("Connection aborted", "the connection was dropped"),
    ("Name or service not known", "unknown host"),
    ("nodename nor servname", "unknown host"),
    ("CERTIFICATE_VERIFY_FAILED", TLS_NOT_TRUSTED),
    ("timed out", "timed out"),
    ("Read timed out", "timed out"),
)


# A refused query's message starts with the query echoed and a caret under the
# offending token: "\n<query>\n   ^\nERROR at Row:1:Column:8\n<message>" (answers
# recorded from real orgs: CumulusCI's cassettes for INVALID_FIELD and INVALID_TYPE).
_QUERY_ECHO = re.compile(r"\A\s*\n.*?\n *\^\nERROR at Row:\d+:Column:\d+\n", re.S)


def short_reason(exc: BaseException, limit: int = 160) -> str:
    """One short line saying why, never a token: urllib3's retry chain is pages long."""
    # simple-salesforce errors carry Salesforce's own [{"errorCode", "message"}] answer.
    content = getattr(exc, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        code, said = content[0].get("errorCode"), content[0].get("message")
        if code:
            said = " ".join(_QUERY_ECHO.sub("", said).split()) if isinstance(said, str) else said
            return redact(f"{code}: {said}" if said else str(code))
    text = redact(str(exc))
    for marker, reason in _NETWORK_CAUSES:
        if marker in text:
            return reason
    first = " ".join(text.split())
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _local_file_problem(exc: BaseException) -> bool:
    """An OSError about a local file (it names one), not a socket or an HTTP error."""
    import requests

    return (
        isinstance(exc, OSError)
        and not isinstance(exc, requests.RequestException)
        and (exc.filename is not None or exc.errno in _FILE_ONLY_ERRNOS)
    )


# Errors only a file system gives (a socket never does): the file-size limit, a full
# disk or quota, a read-only disk. CumulusCI's log writes raise them without a file name.
_FILE_ONLY_ERRNOS = frozenset({errno.EFBIG, errno.ENOSPC, errno.EDQUOT, errno.EROFS})


def _cumulusci_folder() -> str:
    from pathlib import Path

    return str(Path.home() / ".cumulusci")


def oauth_errors() -> tuple[type[Exception], ...]:
    """What CumulusCI raises when refreshing a token fails (revoked, expired, refused)."""
    from cumulusci.core.exceptions import SalesforceCredentialsException
    from cumulusci.oauth.exceptions import OAuth2Error, SalesforceOAuth2Error

    return (OAuth2Error, SalesforceOAuth2Error, SalesforceCredentialsException, OrgUnreachable)


def connect(org_name: str, runtime: Any | None = None) -> OrgSession:
    """Load the org from CumulusCI's keychain (or the sf CLI) and refresh its token.

    A fleet passes one ``runtime`` (``shared_runtime()``) to every org: building
    CumulusCI's runtime costs about a quarter of a second, which twenty orgs would
    otherwise pay one after the other.
    """
    import requests
    from cumulusci.core.exceptions import CumulusCIException, OrgNotFound
    from simple_salesforce.exceptions import SalesforceError

    from tasks.totango_sf.salesforce.rest_client import refresh_with_retry

    try:
        runtime = runtime or shared_runtime()
        try:
            org_config = runtime.keychain.get_org(org_name)
        except OrgNotFound:
            org_config = _sf_cli_org(org_name, runtime.keychain)
        refresh_with_retry(org_config, runtime.keychain)
    except OrgNotFound:
        raise OrgUnreachable(
            f"no org named {org_name!r} in CumulusCI's keychain or the sf CLI; add it with"
            f" `cci org connect {org_name}` (or `sf org login web --alias {org_name}`,"
            f" or set CUMULUSCI_ORG_{org_name})"
        ) from None
    except (requests.RequestException, OSError, SalesforceError) as exc:
        if _local_file_problem(exc):
            # CumulusCI keeps its keychain, logs and caches under HOME (~/.cumulusci):
            # a HOME it cannot write is not the network.
            assert isinstance(exc, OSError)
            where = exc.filename or _cumulusci_folder()
            raise local_file_error(exc, where, "CumulusCI's folder under HOME").noting(
                "point HOME at a folder this user can write, then run the command again"
            ) from None
        # SalesforceError: CumulusCI reads the Organization record while refreshing.
        raise OrgUnreachable(
            f"org {org_name!r} is unreachable ({short_reason(exc)}); check the network,"
            f" then `cci org info {org_name}`"
        ) from None
    except (CumulusCIException, *oauth_errors()[:3]) as exc:
        raise OrgUnreachable(
            f"org {org_name!r} refused authentication ({short_reason(exc)}); log in again"
            f" with `cci org connect {org_name}`, then check `cci org info {org_name}`"
        ) from None
    return OrgSession(org_name, org_config, runtime.project_config, keychain=runtime.keychain)


def shared_runtime() -> Any:
    """A new CumulusCI runtime (project config and keychain), built one at a time."""
    with _RUNTIME_LOCK:
        return _runtime()


def list_org_names() -> list[str]:
    """Every org name CumulusCI's keychain knows: connected, scratch and environment orgs."""
    from cumulusci.core.exceptions import CumulusCIException

    try:
        with _RUNTIME_LOCK:
            return sorted(_runtime().keychain.list_orgs())
    except (CumulusCIException, OSError) as exc:
        if _local_file_problem(exc):
            assert isinstance(exc, OSError)
            where = exc.filename or _cumulusci_folder()
            raise local_file_error(exc, where, "CumulusCI's folder under HOME").noting(
                "point HOME at a folder this user can write, then run the command again"
            ) from None
        raise OrgUnreachable(f"could not read CumulusCI's keychain: {redact(str(exc))}") from None


def _sf_cli_org(alias_or_username: str, keychain: Any) -> Any:
    """An org the sf CLI knows by alias or username, through CumulusCI's SfdxOrgConfig.

    This is what ``cci org import`` stores; here it is used without being stored,
    so ``--org`` takes whatever ``sf org list`` shows. CumulusCI asks ``sf org display``
    for a fresh token on each run.
    """
    import shutil

    from cumulusci.core.config.sfdx_org_config import SfdxOrgConfig
    from cumulusci.core.exceptions import OrgNotFound, SfdxOrgException

    if shutil.which("sf") is None:
        raise OrgNotFound(alias_or_username)
    config = {"username": alias_or_username, "sfdx": True}
    org_config = SfdxOrgConfig(config, alias_or_username, keychain=keychain, global_org=False)
    try:
        _ = org_config.sfdx_info
    except SfdxOrgException:
        # sf does not know the name either (its message is in CumulusCI's log).
        raise OrgNotFound(alias_or_username) from None
    return org_config


def _runtime() -> Any:
    """CumulusCI's own command-line runtime, so the keychain is the one cci uses.

    Its key comes from CUMULUSCI_KEY or, as for a desktop cci user, the OS keyring
    (CUMULUSCI_KEYCHAIN_CLASS is honoured too). CumulusCI loads CUMULUSCI_ORG_<name>
    entries before the ``.org`` files it saved, so a file written by an earlier run
    with a since-changed environment entry would win; reloading the environment
    entries lets the environment decide, as CI users expect.
    """
    import click
    from cumulusci.cli.runtime import CliRuntime
    from cumulusci.core.exceptions import CumulusCIException

    try:
        runtime = CliRuntime(load_keychain=True)
    except click.UsageError as exc:
        raise CumulusCIException(exc.message) from None
    reload_environment = getattr(runtime.keychain, "_load_orgs_from_environment", None)
    if reload_environment is not None:
        reload_environment()
    return runtime
