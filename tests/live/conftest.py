"""The live tier: the product's org-facing tests against a live org (docs/live-org.md).

``TOTANGO_SF_LIVE_ORG`` names the org (``./dev test --live`` runs this folder); without
it every test that needs the org skips, saying how to run it, and the rest (the
scrubbing of recordings, the table of live requests, the write guard's rules) runs as
any test does. With the org:

- every request of the session goes through one ``Traffic``; after each test, each answer
  the org sent during it is read by the toolkit's own readers (``answer_readers``), and a
  test outside a module that declares ``WRITES = True`` must have sent nothing that
  changes an org;
- ``TOTANGO_SF_LIVE_RECORD=DIR`` (``./dev test --live --record DIR``) writes every answer
  of the session, scrubbed, into DIR in the layout of ../shared/recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support import live_org as live
from tests.support.answer_readers import Unread, read_answer
from tests.support.org_traffic import Traffic, changes_an_org
from tests.support.recording_scrub import OrgDescription, Scrubber, write_recordings


@pytest.fixture(scope="session")
def traffic():
    """Every exchange of the session with the org (installed only with an org named)."""
    seen = Traffic()
    if live.org_name():
        seen.install()
    yield seen
    seen.uninstall()


@pytest.fixture(scope="session")
def live_org(traffic) -> live.LiveOrg:
    name = live.org_name()
    if not name:
        pytest.skip(live.HOW_TO_RUN)
    from tasks.totango_sf.salesforce.connection import OrgUnreachable

    try:
        org = live.connect_live(name)
    except OrgUnreachable as exc:
        pytest.fail(f"{live.ORG_VARIABLE}={name}: {exc}", pytrace=False)
    traffic.org = org
    return org


@pytest.fixture(scope="session")
def writable(live_org) -> live.LiveOrg:
    """The org, when the tests may change it: write mode, and not a production org."""
    if not live.write_mode():
        pytest.skip(live.HOW_TO_WRITE)
    refusal = live.write_refusal(live_org.record, live_org.name)
    if refusal:
        pytest.fail(refusal, pytrace=False)
    return live_org


@pytest.fixture(scope="session")
def may_write(live_org) -> live.LiveOrg:
    """As ``writable``, for a test that only adds evidence: a refusal skips it."""
    if not live.write_mode():
        pytest.skip(live.HOW_TO_WRITE)
    refusal = live.write_refusal(live_org.record, live_org.name)
    if refusal:
        pytest.skip(refusal)
    return live_org


@pytest.fixture(scope="session", autouse=True)
def recordings(traffic):
    """With TOTANGO_SF_LIVE_RECORD, the session's answers written out, scrubbed."""
    yield
    folder = live.record_folder()
    if folder is None or not traffic.exchanges:
        return
    org = traffic.org
    scrubber = Scrubber()
    description = OrgDescription("unknown edition", "unknown", "63.0")
    if org is not None:
        scrubber.know(**org.known_secrets())
        description = OrgDescription(
            str(org.record.get("OrganizationType") or "unknown edition"), org.kind, "63.0"
        )
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    written = write_recordings(folder, traffic.exchanges, scrubber, description, day)
    RECORDED_NOTE.append(f"recorded {len(written)} answer(s) of the org, scrubbed, into {folder}")


RECORDED_NOTE: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for line in RECORDED_NOTE:
        terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def every_answer_is_read(traffic, request):
    """Each answer the org sent during the test is read by the toolkit; a test outside a
    WRITES module sent nothing that changes an org."""
    traffic.current_test = request.node.nodeid
    start = len(traffic.exchanges)
    yield
    traffic.current_test = ""
    sent = traffic.exchanges[start:]
    problems = []
    for exchange in sent:
        try:
            read_answer(exchange)
        except Unread as exc:
            problems.append(f"{exchange.operation} (HTTP {exchange.status}): {exc}")
    if not getattr(request.module, "WRITES", False):
        problems += [
            f"{exchange.operation}: changes an org, in a test that must change nothing"
            for exchange in sent
            if changes_an_org(exchange)
        ]
    if problems:
        pytest.fail(
            "answers the toolkit could not read, or calls that change an org:\n"
            + "\n".join(problems)
        )
