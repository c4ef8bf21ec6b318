"""The one place that turns an exception into an exit code, a message and its actions.

Every shell reads it: a single-org command prints the verdict and exits, a CumulusCI task
raises CumulusCI's own error with it, and a fleet run keeps one verdict per org and carries
on with the others. So an org fails the same way alone, in cci or in a fleet. The mapping
is by class: each ``TotangoError`` (``errors.py``) knows its exit code, message, data and
actions; the network and API errors of requests and simple-salesforce are the org being
unreachable. Messages never hold a token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.totango_sf.errors import EXIT_ORG_UNREACHABLE, TotangoError
from tasks.totango_sf.salesforce.connection import org_call_errors, redact, short_reason


@dataclass(frozen=True)
class Verdict:
    code: int
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    # Schema problems are shown as a table in a terminal as well as in the message.
    problems: list[Any] = field(default_factory=list)
    # Commands that settle or follow up (sf CLI's ``actions``).
    actions: list[str] = field(default_factory=list)


def handled_errors() -> tuple[type[Exception], ...]:
    """Every exception a shell turns into a verdict (anything else is a bug)."""
    return (TotangoError, *org_call_errors())


def verdict_of(exc: Exception, secrets: tuple[str | None, ...] = (), org: str = "") -> Verdict:
    """The exit code and message for one of ``handled_errors()``; re-raises anything else.

    Network and API errors are one short line naming the command that checks the org
    (``cci org info ORG``), never urllib3's retry chain.
    """
    if isinstance(exc, TotangoError):
        return Verdict(
            exc.exit_code,
            redact(exc.verdict_message(), *secrets),
            exc.verdict_data(),
            exc.verdict_problems(),
            exc.verdict_actions(org),
        )
    if isinstance(exc, org_call_errors()):
        reason = redact(short_reason(exc), *secrets)
        name = org or "NAME"
        return Verdict(
            EXIT_ORG_UNREACHABLE,
            f"org {name!r} refused or dropped a call ({reason}); check `cci org info {name}`",
        )
    raise exc
