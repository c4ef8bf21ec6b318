"""One retry policy for every call to an org that is safe to repeat.

An org and the network in front of it fail now and then for reasons that pass:
a load balancer's 5xx page, a dropped connection, an answer lost on its way
back, a burst over the org's concurrent request limit. A call that changes
nothing when repeated is tried again a few times with backoff; a call that may
change the org is never repeated blindly, because its first try may have gone
through. Every call the toolkit makes falls in one of these classes:

- REST/Tooling reads, every GET (SOQL query and its next pages, Tooling query,
  sObject read, describe, versions, userinfo): repeated on a 5xx, a dropped or
  lost connection, or REQUEST_LIMIT_EXCEEDED (``rest_client.ReadRetryingSession``,
  under every simple-salesforce client the toolkit builds).
- A token refresh, with CumulusCI's userinfo, versions and Organization reads:
  repeated on a 5xx or a network failure, and a request limit on the Organization
  read (``rest_client.refresh_with_retry``).
- Metadata API checkDeployStatus, cancelDeploy, listMetadata, retrieve and
  checkRetrieveStatus: repeated on a non-XML (5xx) answer, a network failure or a
  REQUEST_LIMIT_EXCEEDED fault (``metadata_api._retrying``).
- A deploy start (deploy, deployRecentValidation): never; a lost answer is
  "outcome unknown" (``metadata_api._retrying``).
- Permission-set assignments after a deploy (POST composite), and the integration
  user's: never as a request; the whole step is repeated, and it reads the
  assignments that exist before it creates the missing ones, check-then-create
  (``deploy._retried``).
- Assignment removal on rollback (DELETE composite) and SetupEntityAccess rows
  (POST/DELETE): never; a lost answer is "partly done" (exit 5), and the same
  command again reads the org before it writes (``rollback``,
  ``steps.connected_app``).

GET is idempotent by definition (RFC 9110, section 9.2.2, "Idempotent Methods":
safe methods, GET among them, are idempotent). Salesforce answers an exceeded
request limit with HTTP 403 and errorCode REQUEST_LIMIT_EXCEEDED (REST API
Developer Guide, "Status Codes and Error Responses": "403 The request has been
refused. ... If the error code is REQUEST_LIMIT_EXCEEDED, you've exceeded API
request limits in your org"; a recorded answer: gist rickysaltzer/4542457, a
query failing "with status 403, response [{"message":"TotalRequests Limit
exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"). A read waits and tries
again, which rides out a short burst; a spent allowance still ends the run
after the last try, with exit 4 naming REQUEST_LIMIT_EXCEEDED.

A TLS certificate the client does not trust is never retried: it stays untrusted however
long one waits (a proxy that re-signs traffic, or a missing CA), so the run ends at once
with a line naming REQUESTS_CA_BUNDLE (``connection.short_reason``).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def with_retries(
    call: Callable[[], T],
    transient: Callable[[Exception], bool],
    delays: Sequence[float],
    sleep: Callable[[float], None] | None = None,
) -> T:
    """``call()``; after a failure ``transient`` accepts, wait the next delay and try again.

    The last failure, or the first one that is not transient, is raised as it is,
    so each caller keeps its own meaning for it (exit 4, outcome unknown, ...).
    """
    for delay in (*delays, None):
        try:
            return call()
        except Exception as exc:
            if delay is None or not transient(exc) or is_tls_failure(exc):
                raise
            (sleep or time.sleep)(delay)
    raise AssertionError("unreachable")


TLS_NOT_TRUSTED = (
    "TLS certificate not trusted: set REQUESTS_CA_BUNDLE to a CA bundle that holds the"
    " CA of your proxy or network"
)


def is_tls_failure(exc: BaseException) -> bool:
    """A certificate the client could not verify, however the HTTP library wrapped it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        text = str(seen)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
