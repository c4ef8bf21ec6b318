"""Which token-refresh failures are transient, and the host a refresh names (no org)."""

from __future__ import annotations

from cumulusci.oauth.client import OAuth2Error

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.salesforce.rest_client import host_of, is_transient_refresh_failure


def test_only_server_side_refresh_failures_are_transient():
    assert is_transient_refresh_failure(OAuth2Error("OAuth failed\nstatus_code: 503\ncontent: x"))
    assert is_transient_refresh_failure(OAuth2Error("OAuth failed\nstatus_code: 500\ncontent: x"))
    assert not is_transient_refresh_failure(
        OAuth2Error("OAuth failed\nstatus_code: 400\ncontent: invalid_grant")
    )
    assert not is_transient_refresh_failure(ValueError("nothing to do with HTTP"))
    assert host_of("https://na99.my.salesforce.com") == "na99.my.salesforce.com"
    assert host_of("https://127.0.0.1:8443") == "127.0.0.1:8443"
