"""The shapes of the ids, names and numbers the org commands take from a user.

One owner for each rule, so the command line (usage error, exit 2) and the
CumulusCI tasks (``TaskOptionsError``) refuse the same values before anything
is sent. Each function returns the problem, or None when the value is fine.
"""

from __future__ import annotations

import math
import re

# Deploy, validation and quick-deploy ids are AsyncResult ids: key prefix 0Af, then
# 12 (15-character form) or 15 (18-character form) letters and digits. The Metadata
# API guide's deployRecentValidation() takes "the ID that you obtained from the
# deploy() call"; published quick-deploy examples show both forms of such an id:
# "force quickdeploy 0Af1200000FFbBzCAL" and "-v 0Af0b000000ZvXH" (octoberswimmer.com,
# "force quickdeploy").
DEPLOY_ID = re.compile(r"0Af[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?")
# Snapshot ids are UTC timestamps (snapshot.new_snapshot_id); anything else is refused
# before it can be joined to a path.
SNAPSHOT_ID = re.compile(r"[0-9]{8}T[0-9]{6,12}Z")
MAX_ORG_NAME = 80


def deploy_id_problem(value: str) -> str | None:
    if DEPLOY_ID.fullmatch(value):
        return None
    return (
        f"{value!r} is not a deploy or validation id (0Af followed by 12 or 15 letters or"
        " digits, as printed by `deploy --check-only`)"
    )


def timeout_problem(value: float) -> str | None:
    if math.isfinite(value) and value > 0:
        return None
    return f"{value!r} is not a number of seconds greater than 0"


def org_name_problem(value: str) -> str | None:
    """Org names become folder names under .totango/; refuse those that cannot."""
    if not value or not value.strip():
        return "the org name is empty"
    if len(value) > MAX_ORG_NAME:
        return f"the org name is longer than {MAX_ORG_NAME} characters"
    if re.search(r"[\x00-\x1f\x7f/\\]", value):
        return f"{value!r} holds a path separator or a control character"
    if value.startswith((".", "-")):
        return f"{value!r} starts with {value[0]!r}"
    return None


def snapshot_id_problem(value: str) -> str | None:
    if SNAPSHOT_ID.fullmatch(value):
        return None
    return f"{value!r} is not a snapshot id (a UTC timestamp such as 20260101T120000000000Z)"
