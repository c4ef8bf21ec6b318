"""Is "Totango Gateway" installed from Connected Apps OAuth Usage?

The article's step is a click: Setup > Connected Apps OAuth Usage > Totango
Gateway > Install. The page lists every connected app that users connect to,
installed or not ("Monitor Usage for an OAuth Connected App": the apps listed
"have an active access or refresh token"; an Install button means the app "was
created in another org" and is not installed yet). So OAuth tokens, and even a
ConnectedApplication row, prove only usage.

What the install adds is the org's own App Menu item for the app: AppMenuItem
"represents the organization's default settings for items in the app menu or App
Launcher" (Object Reference, "AppMenuItem"), with Type 'ConnectedApplication' for
a connected app, and an installed app's visibility and policies are managed
there ("Add Connected App to App Launcher", Salesforce Help 000383976). That row
is the evidence checked here; OauthToken rows (AppName, AppMenuItemId) only tell
"in use, not installed" apart from "never used".

AppMenuItem.Name is matched in code: public scripts that query it report that a
filter on Name returns no rows instead of an error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from tasks.totango_sf.salesforce.soql import soql_string

GatewayState = Literal["installed", "in_use_not_installed", "absent"]


@dataclass(frozen=True)
class GatewayStatus:
    name: str
    state: GatewayState
    tokens: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _matches(row: dict[str, Any], name: str) -> bool:
    wanted = name.strip().lower()
    return any(
        str(row.get(key) or "").replace("_", " ").strip().lower() == wanted
        for key in ("Label", "Name")
    )


def gateway_status(session: Any, name: str) -> GatewayStatus:
    items = session.query(
        "SELECT Id, ApplicationId, Name, Label FROM AppMenuItem WHERE Type = 'ConnectedApplication'"
    )
    if any(_matches(row, name) for row in items):
        return GatewayStatus(name, "installed")
    tokens = session.query(
        f"SELECT Id, AppMenuItemId FROM OauthToken WHERE AppName = {soql_string(name)}"  # noqa: S608 - literal escaped by soql_string
    )
    return GatewayStatus(name, "in_use_not_installed" if tokens else "absent", len(tokens))
