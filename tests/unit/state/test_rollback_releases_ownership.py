"""Once a rollback took a deploy out of the org, its record of "ours" stops counting: the
record on disk, and the record-page plan that reads it (no org).

The same against the emulated org is in tests/e2e/test_rollback_releases_ownership.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.merge.flexipage import LegacyClaim
from tasks.totango_sf.merge.record_page_plan import plan_record_pages
from tasks.totango_sf.state import snapshot as snapshots
from tasks.totango_sf.state.record_page_claims import CLAIMS_KEY, latest_claims
from tasks.totango_sf.state.rollback_mark import (
    MARK_KEY,
    is_rolled_back,
    mark_rolled_back,
    released_since,
)
from tests.org_emulator.seed import SEED
from tests.support.flexipages import legacy, seeded

PAGE = "Account_Record_Page"
PAGE_PATH = f"flexipages/{PAGE}.flexipage"


T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def claim(index: int, height: str = "290") -> dict:
    return LegacyClaim(
        "sidebar", index, (("height", height), ("pageName", "Totango_Account_Insights"))
    ).to_json()


def deployed(root: Path, minutes: int, patched: list[str], claims: dict[str, dict]):
    """A snapshot of a deploy that succeeded, taken ``minutes`` after T0."""
    snap = snapshots.write_snapshot(
        root, "o", {}, [], [("FlexiPage", p) for p in patched], now=T0 + timedelta(minutes=minutes)
    )
    snap.extra[CLAIMS_KEY] = claims
    snapshots.record_deploy(snap, f"0Af{minutes:015d}", True)
    return snap


def test_claims_drop_the_pages_a_rollback_took_back_and_a_redeploy_counts(tmp_path):
    root = tmp_path / "snapshots"
    first = deployed(root, 0, ["P1", "P2"], {"P1": claim(1), "P2": claim(0)})
    # The second deploy changed only P2's height; its record covers both pages.
    second = deployed(root, 10, ["P2"], {"P1": claim(1), "P2": claim(0, "400")})
    assert set(latest_claims(root, "o")) == {"P1", "P2"}

    # Rolling back the second took our component out of P2 only: P1's, placed by the
    # first deploy, is still in the org and still ours.
    mark_rolled_back(second, "surgical", "0Af1", now=T0 + timedelta(minutes=20))
    assert latest_claims(root, "o") == {"P1": LegacyClaim.from_json(claim(1))}
    # Then the first is rolled back too (--snapshot): nothing of ours is left.
    mark_rolled_back(first, "exact", "0Af2", now=T0 + timedelta(minutes=30))
    assert latest_claims(root, "o") == {}

    # A later deploy records its own claims, which count: the rollbacks came before it.
    third = deployed(root, 40, ["P2"], {"P2": claim(0)})
    assert latest_claims(root, "o") == {"P2": LegacyClaim.from_json(claim(0))}
    assert released_since(root, "o", third) == set()
    # The marks are in the manifests on disk, and a second rollback keeps the first time.
    mark_rolled_back(second, "surgical", "0Af3", now=T0 + timedelta(minutes=50))
    reloaded = snapshots.load_snapshot(root, "o", second.id)
    assert reloaded.extra[MARK_KEY]["at"] == snapshots.new_snapshot_id(T0 + timedelta(minutes=20))
    assert reloaded.extra[MARK_KEY]["deploy_id"] == "0Af1"
    assert is_rolled_back(reloaded) and not is_rolled_back(third)
    assert latest_claims(root, "o") == {"P2": LegacyClaim.from_json(claim(0))}


def test_a_snapshot_without_a_mark_still_counts(tmp_path):
    root = tmp_path / "snapshots"
    deployed(root, 0, ["P1"], {"P1": claim(1)})
    # A failed deploy after it (its rollback does not matter) and no rollback at all.
    failed = snapshots.write_snapshot(root, "o", {}, [], [], now=T0 + timedelta(minutes=5))
    snapshots.record_deploy(failed, "0Af9", False)
    assert set(latest_claims(root, "o")) == {"P1"}
    # A mark that is not one this toolkit wrote counts as none.
    only = snapshots.load_snapshot(root, "o")
    only.extra[MARK_KEY] = {"at": 3}
    snapshots.save_manifest(only)
    assert not is_rolled_back(only) and set(latest_claims(root, "o")) == {"P1"}


def test_after_a_rollback_the_plan_leaves_an_admins_identical_component(tmp_path):
    """Unit level: the plan reads the claims from snapshots on disk."""
    root = tmp_path / "snapshots"
    config = build_config({"insights": {"objects": ["Account"]}}).model_copy(
        update={"api_version": "48.0"}
    )
    files = {
        "objects/Account.object": (SEED / "objects" / "Account.object").read_bytes(),
        PAGE_PATH: legacy(seeded(PAGE), detail_panel=False),
    }
    plan = plan_record_pages(config, files)
    snap = deployed(root, 0, [PAGE], {n: c.to_json() for n, c in plan.claims.items()})
    # The org as the deploy left it, or as an admin rebuilt it after the rollback: the
    # same bytes either way.
    org = {**files, PAGE_PATH: plan.merged[PAGE]}

    ours = plan_record_pages(config, org, legacy_claims=latest_claims(root, "o"))
    assert ours.action_of(PAGE) == "add" and ours.merged[PAGE] == plan.merged[PAGE]

    mark_rolled_back(snap, "surgical", "0Af1", now=T0 + timedelta(minutes=1))
    theirs = plan_record_pages(config, org, legacy_claims=latest_claims(root, "o"))
    (row,) = [r for r in theirs.rows if r.page == PAGE]
    assert row.action == "leave" and "did not place" in row.reason
    assert PAGE not in theirs.merged and not theirs.claims
