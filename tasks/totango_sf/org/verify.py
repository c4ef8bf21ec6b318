"""Reading the org: the desired state against what the org holds, and the drift report.

One listMetadata (the layout globs, skipped when the caller already has the names) and the
reads of ``read_files``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.merge.flexipage import widget_component_state
from tasks.totango_sf.merge.layout import widget_section_state
from tasks.totango_sf.merge.org_default import org_default_page
from tasks.totango_sf.merge.widget import widget_section_for
from tasks.totango_sf.org.desired_state import (
    DesiredState,
    desired_state,
    later_members,
    object_path,
    retrieve_members,
)
from tasks.totango_sf.org.ip_ranges_state import ip_ranges_drift
from tasks.totango_sf.org.results import Drift, VerifyReport
from tasks.totango_sf.salesforce.limits import merge_file
from tasks.totango_sf.salesforce.metadata_api import list_metadata, retrieve_files
from tasks.totango_sf.state.ownership import current_ownership
from tasks.totango_sf.state.record_page_claims import latest_claims
from tasks.totango_sf.state.snapshot import snapshot_folder
from tasks.totango_sf.state.tracking import last_unfinished


def read_files(
    session: Any,
    config: TotangoConfig,
    layout_names: list[str],
    owned_layouts: Iterable[str] = (),
    owned_pages: Iterable[str] = (),
) -> dict[str, bytes]:
    """The org's files the desired state is built from, in at most two reads.

    The first brings what is deployed, merged or checked, and where record pages are
    assigned, with the layouts and record pages holding something of ours that the
    config may no longer select; the second, with record pages in play, only the
    FlexiPages those assignments name and the profiles' layout assignments
    (``desired_state`` ``retrieve_members`` and ``later_members`` say why each member is
    read). Each read is split into chunks when it would pass the Metadata API's limits.
    """
    layouts = config.matching_layouts(layout_names)
    members = retrieve_members(config, layouts, layout_names, owned_layouts, owned_pages)
    retrieved = retrieve_files(session, members, config.api_version)
    later = later_members(config, retrieved, layout_names)
    if later:
        for path, data in retrieve_files(session, later, config.api_version).items():
            before = retrieved.get(path)
            retrieved[path] = data if before is None else merge_file(path, before, data)
    return retrieved


def read_org(
    session: Any,
    config: TotangoConfig,
    snapshot_root: Path | None = None,
    adopt: bool = False,
    layout_names: list[str] | None = None,
) -> tuple[list[str], DesiredState]:
    """listMetadata(Layout) + the reads of ``read_files`` -> the desired state and its diff.

    What is ours comes from the org's snapshots (``state/ownership.py``); ``adopt``
    makes sections and ranges made by hand ours."""
    root = snapshot_folder(snapshot_root)
    if layout_names is None:
        layout_names = list_metadata(session, "Layout", config.api_version)
    ownership = current_ownership(root, session.name)
    retrieved = read_files(
        session, config, layout_names, ownership.sections, ownership.record_pages
    )
    claims = latest_claims(root, session.name)
    state = desired_state(config, layout_names, retrieved, claims, ownership, adopt)
    unsettled = last_unfinished(root, session.name)
    if unsettled is not None:
        state.warnings.append(
            f"snapshot {unsettled.snapshot.id}: the outcome of its {unsettled.operation} is not"
            " settled; what it made is not counted as ours until `totango-sf status` settles it"
        )
    return layout_names, state


def drift_report(org: str, config: TotangoConfig, state: DesiredState) -> VerifyReport:
    """Per component: in sync, missing or changed, with what changed."""
    items = []
    for diff in state.diffs:
        if diff.action == "unchanged":
            items.append(Drift(diff.type, diff.name, "in_sync"))
        elif diff.action == "create":
            items.append(Drift(diff.type, diff.name, "missing", "not in the org"))
        else:
            items.append(Drift(diff.type, diff.name, "changed", _detail(config, state, diff)))
    return VerifyReport(org, items, list(state.warnings))


def _detail(config: TotangoConfig, state: DesiredState, diff: Any) -> str:
    if diff.type == "Layout":
        before = state.originals.get(f"layouts/{diff.name}.layout")
        record = state.record.sections.get(diff.name)
        if diff.name not in state.layouts or (record is not None and record.origin != "created"):
            return diff.summary
        if before is not None:
            obj = diff.name.split("-", 1)[0]
            section_state = widget_section_state(before, widget_section_for(config, obj))
            return f"section {section_state.status}: {section_state.detail}".rstrip(": ")
    if diff.type == "FlexiPage" and state.record_pages is not None:
        before = state.originals.get(f"flexipages/{diff.name}.flexipage")
        widget = state.record_pages.widgets.get(diff.name)
        if state.record_pages.action_of(diff.name) == "remove":
            return "our component is on a page widget.record_pages does not select"
        if before is not None and widget is not None:
            page_state = widget_component_state(before, widget)
            return f"record page component {page_state.status}: {page_state.detail}".rstrip(": ")
    if diff.type == "CustomObject":
        wanted = state.record_pages.org_defaults.get(diff.name) if state.record_pages else None
        return org_default_drift(state.originals.get(object_path(diff.name)), wanted)
    if diff.type == "Settings" and diff.name == "Security":
        before = state.originals.get("settings/Security.settings")
        if before is not None:
            return ip_ranges_drift(before, config.trusted_ip_ranges, owned_ranges(state))
    changed = [
        line
        for line in diff.diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return f"{len(changed)} line(s) differ"


def org_default_drift(before: bytes | None, wanted: str | None) -> str:
    now = org_default_page(before) or "the system default"
    return f"org default record page {now} → {wanted}"


def owned_ranges(state: DesiredState) -> dict[tuple[str, str, str], str]:
    """The ranges of ours the state was computed with: those it removes as stale, and those
    it keeps (created or adopted); enough for the drift detail."""
    owned = {key: "created" for key in state.record.ranges_removed}
    owned.update({key: "adopted" for key in state.record.ranges_adopted})
    return owned


def verify(
    session: Any, config: TotangoConfig, layout_names: list[str] | None = None
) -> VerifyReport:
    """Drift report; reuses ``layout_names`` to skip the listMetadata after a deploy."""
    _, state = read_org(session, config, None, layout_names=layout_names)
    return drift_report(session.name, config, state)
