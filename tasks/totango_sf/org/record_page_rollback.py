"""Rollback of record pages: take our component out of each page as it is now.

Restoring the copy saved before the deploy would also undo whatever an admin
changed on the page since; removing only the component this setup owns (found
by its identifier, or on a pre-49.0 page by the claim the deploy recorded in the
snapshot: ``record_page_claims``) leaves their work, and
on an untouched page gives back exactly the page as it was before the deploy.
Once a rollback of the snapshot went through, its claims are spent
(``rollback_mark``): running it again takes no pre-49.0 component out.
"""

from __future__ import annotations

from collections.abc import Mapping

from tasks.totango_sf.merge.flexipage import WidgetComponent, remove_widget_component
from tasks.totango_sf.merge.record_page_plan import flexipage_path
from tasks.totango_sf.state.ownership import OWNERSHIP_KEY, deploy_record
from tasks.totango_sf.state.record_page_claims import WIDGETS_KEY, claims_of
from tasks.totango_sf.state.rollback_mark import is_rolled_back
from tasks.totango_sf.state.snapshot import Snapshot

__all__ = ["WIDGETS_KEY", "pages_without_widget"]


def pages_without_widget(snapshot: Snapshot, current: Mapping[str, bytes]) -> dict[str, bytes]:
    """Metadata API path -> the org's current page (in ``current``, retrieved by the
    rollback with its other files) minus our component."""
    names = [name for kind, name in snapshot.patched if kind == "FlexiPage"]
    if OWNERSHIP_KEY in snapshot.extra:
        # Only the pages the deploy recorded our component on: on another page it patched
        # (a component placed by hand already showed the widget) nothing is ours.
        placed = deploy_record(snapshot).record_pages
        names = [name for name in names if placed.get(name)]
    widgets: dict[str, str] = snapshot.extra.get(WIDGETS_KEY, {})
    claims = {} if is_rolled_back(snapshot) else claims_of(snapshot)
    pages = {}
    for name in names:
        path = flexipage_path(name)
        data = current.get(path)
        if data is not None:
            widget = WidgetComponent(page=widgets.get(name, ""), height=0)
            pages[path] = remove_widget_component(data, widget, claims.get(name))
    return pages
