"""The org plan: what a deploy would do to one org, read from the org; changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.org.desired_state import DesiredState
from tasks.totango_sf.org.verify import read_org


@dataclass
class OrgPlan:
    org: str
    state: DesiredState
    files: dict[str, bytes]

    def to_json(self, with_diff: bool = False) -> dict[str, Any]:
        return {
            "ok": True,
            "org": self.org,
            "in_sync": self.state.in_sync,
            "api_version": self.state.api_version,
            "components": [d.to_json(with_diff) for d in self.state.diffs],
            "layouts": self.state.layouts,
            "record_pages": self.state.record_pages.to_json() if self.state.record_pages else [],
            "warnings": self.state.warnings + self.state.blocking,
            # Why deploy would refuse before sending anything (empty: it would go ahead).
            "deploy_refused": list(self.state.blocking),
        }


def plan_against_org(session: Any, config: TotangoConfig, adopt: bool = False) -> OrgPlan:
    """What deploy would do (``adopt``: with ``--adopt``); reads the org, changes nothing."""
    _, state = read_org(session, config, adopt=adopt)
    files = state.deploy_files() if not state.in_sync else {}
    return OrgPlan(session.name, state, files)
