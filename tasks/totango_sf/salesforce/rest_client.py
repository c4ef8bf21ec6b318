"""A simple-salesforce client that survives a token refresh, and a refresh that retries.

CumulusCI's ``salesforce_client`` holds a bare session id. simple-salesforce can
renew a session when a call answers 401 INVALID_SESSION_ID, through its login
hook, but it then keeps every URL it built at start (``base_url`` and the rest)
and repeats the failed call at the URL it already had. A refresh answers with
the org's ``instance_url``, which moves when an org is migrated to another
instance or gets a My Domain. So this client rebuilds its URLs from the instance
the refresh returned, and sends the repeated call there.

A token refresh is a plain HTTPS call: a 5xx or a dropped connection there is as
transient as on any other call, so it is retried with the same delays as the
Metadata API calls, instead of failing the command on the first load balancer
hiccup. Every read (GET) these clients send is retried the same way, through the
HTTP session under them (``retry_policy`` says which calls are safe to repeat).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from simple_salesforce import Salesforce

from tasks.totango_sf.errors import Unreachable
from tasks.totango_sf.salesforce import metadata_api
from tasks.totango_sf.salesforce.retry_policy import with_retries

_STATUS = re.compile(r"status_code: (\d{3})")


def is_transient_refresh_failure(exc: Exception) -> bool:
    """A 5xx answer or a network failure, never a refused grant (4xx)."""
    import requests

    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", 0) >= 500:
        return True
    # CumulusCI reads the Organization record through simple-salesforce, whose errors
    # carry the HTTP status as ``status``.
    status = getattr(exc, "status", None)
    if isinstance(status, int) and (status >= 500 or _is_request_limit(exc)):
        return True
    # CumulusCI's OAuth2Error carries the status only in its message.
    match = _STATUS.search(str(exc))
    return match is not None and int(match.group(1)) >= 500


def _is_request_limit(exc: Exception) -> bool:
    return names_request_limit(getattr(exc, "content", None))


def names_request_limit(errors: object) -> bool:
    """Whether a REST error list (``[{"errorCode": ...}]``) holds REQUEST_LIMIT_EXCEEDED."""
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("errorCode") == "REQUEST_LIMIT_EXCEEDED" for e in errors
    )


def refresh_with_retry(
    org_config: Any,
    keychain: Any,
    *,
    delays: Sequence[float] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """``org_config.refresh_oauth_token(keychain)``, retrying transient failures."""
    # Read at call time: the same delays as the Metadata API calls, tests shorten them.
    waits = metadata_api.TRANSIENT_RETRY_DELAYS if delays is None else delays
    with_retries(
        lambda: org_config.refresh_oauth_token(keychain), is_transient_refresh_failure, waits, sleep
    )


# Methods that change nothing on the server, so a lost answer can be asked again.
READ_METHODS = frozenset({"GET", "HEAD"})


def is_transient_answer(response: requests.Response) -> bool:
    """A 5xx page, or Salesforce's REQUEST_LIMIT_EXCEEDED (HTTP 403, ``retry_policy``)."""
    if response.status_code >= 500:
        return True
    if response.status_code != 403:
        return False
    try:
        return names_request_limit(response.json())
    except ValueError:
        return False


class _TransientAnswer(Unreachable):
    def __init__(self, response: requests.Response):
        super().__init__(response.status_code)
        self.response = response


def _is_transient_read_failure(exc: Exception) -> bool:
    # ChunkedEncodingError: the connection dropped in the middle of the body.
    network = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
    return isinstance(exc, (_TransientAnswer, *network))


class ReadRetryingSession(requests.Session):
    """An HTTP session that repeats a read after a transient failure; never a write.

    simple-salesforce sends every call, its sObject calls included, through its
    client's session, so this covers every REST and Tooling read the toolkit makes
    without a wrapper per call site. After the last try the answer goes back as it
    came (simple-salesforce turns it into its own error) or the network error is
    raised; POST, PATCH and DELETE go out once.
    """

    def __init__(self, delays: Callable[[], Sequence[float]] | None = None):
        super().__init__()
        # Read at call time: the Metadata API's delays, which tests shorten.
        self.delays = delays or (lambda: metadata_api.TRANSIENT_RETRY_DELAYS)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        verb = method.decode() if isinstance(method, bytes) else method
        if verb.upper() not in READ_METHODS:
            return super().request(method, url, *args, **kwargs)

        def attempt() -> requests.Response:
            response = requests.Session.request(self, method, url, *args, **kwargs)
            if is_transient_answer(response):
                raise _TransientAnswer(response)
            return response

        try:
            return with_retries(attempt, _is_transient_read_failure, self.delays())
        except _TransientAnswer as last:
            return last.response


def host_of(instance_url: str) -> str:
    """``https://na99.my.salesforce.com`` -> ``na99.my.salesforce.com`` (port kept)."""
    return urlsplit(instance_url).netloc or instance_url.replace("https://", "")


class RenewingSalesforce(Salesforce):
    """simple-salesforce's client, following the instance a session renewal returns."""

    def _refresh_session(self) -> None:
        before = self.sf_instance
        super()._refresh_session()
        if self.sf_instance != before:
            self._build_urls()

    def _build_urls(self) -> None:
        # The same URLs simple-salesforce builds once in __init__.
        base = f"https://{self.sf_instance}"
        self.base_url = f"{base}/services/data/v{self.sf_version}/"
        self.apex_url = f"{base}/services/apexrest/"
        self.bulk_url = f"{base}/services/async/{self.sf_version}/"
        self.bulk2_url = f"{base}/services/data/v{self.sf_version}/jobs/"
        self.metadata_url = f"{base}/services/Soap/m/{self.sf_version}/"
        self.tooling_url = f"{self.base_url}tooling/"
        self.oauth2_url = f"{base}/services/oauth2/"
        self._mdapi = None

    def _call_salesforce(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        # The retry after a renewal comes back here with the old URL.
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.netloc and parts.netloc != self.sf_instance:
            url = urlunsplit(parts._replace(netloc=self.sf_instance))
        return super()._call_salesforce(method, url, *args, **kwargs)


def retrying_client(org_config: Any) -> RenewingSalesforce:
    """A client for the org whose reads are retried; it renews nothing by itself."""
    return RenewingSalesforce(
        instance=host_of(org_config.instance_url),
        session_id=org_config.access_token,
        version=org_config.latest_api_version,
        session=ReadRetryingSession(),
    )


def renewing_client(org_config: Any, refresh: Callable[[], None]) -> Salesforce:
    """A client for the org; ``refresh`` renews ``org_config``'s token (keychain, retries)."""
    client = retrying_client(org_config)

    def renew() -> tuple[str, str]:
        refresh()
        return org_config.access_token, host_of(org_config.instance_url)

    client._salesforce_login_partial = renew  # type: ignore[assignment]
    return client
