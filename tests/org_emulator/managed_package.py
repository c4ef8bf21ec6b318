"""The Totango managed package, as an org sees it once installed.

Installing adds the package records (Tooling), its two connected apps and its
managed Visualforce pages, which layouts then reference as ``ns__PageName``.
"""

from __future__ import annotations

from pathlib import Path

from tests.org_emulator import catalog
from tests.org_emulator.state import OrgState

SEED = Path(__file__).with_name("seed")
PAGE_NAMES = ("Totango_Account_Insights", "Totango_Lead_Insights", "Totango_Opportunity_Insights")
# The package brings TotangoApp; "Totango Gateway" becomes a ConnectedApplication
# only after an admin clicks Install in Connected Apps OAuth Usage (no API for it).
PACKAGED_APPS = ("TotangoApp",)
GATEWAY_APP = "Totango Gateway"
# Editions that may install managed packages (DESIGN.md, "Install the managed package").
INSTALLABLE_EDITIONS = {"Developer Edition", "Enterprise Edition", "Unlimited Edition"}


def is_installed(state: OrgState) -> bool:
    return bool(state.rows("InstalledSubscriberPackage"))


def _package_id(state: OrgState) -> str:
    packages = state.rows("SubscriberPackage")
    if packages:
        return str(packages[0]["Id"])
    return state.insert(
        "SubscriberPackage",
        {"Name": "Totango", "NamespacePrefix": state.namespace, "Description": "Totango"},
    )


def publish_version(state: OrgState, version: str, version_id: str | None = None) -> str:
    """A package version the org can resolve by its 04t id (Tooling SubscriberPackageVersion)."""
    for row in state.rows("SubscriberPackageVersion"):
        if version_id and row["Id"][:15] == version_id[:15]:
            return str(row["Id"])
    major, minor = (version.split(".") + ["0"])[:2]
    values = {
        "Name": f"Totango {version}",
        "SubscriberPackageId": _package_id(state),
        "MajorVersion": int(major),
        "MinorVersion": int(minor),
        "PatchVersion": 0,
        "BuildNumber": 1,
        "IsBeta": False,
        "IsManaged": True,
    }
    if version_id:
        values["Id"] = version_id
    return state.insert("SubscriberPackageVersion", values)


def install(state: OrgState, version: str | None = None, version_id: str | None = None) -> None:
    """Install (or upgrade to) a version, by its number or its published 04t id; idempotent."""
    ns = state.namespace
    published = next(
        (
            r
            for r in state.rows("SubscriberPackageVersion")
            if version_id and r["Id"][:15] == version_id[:15]
        ),
        None,
    )
    if published is not None and version is None:
        version = f"{published['MajorVersion']}.{published['MinorVersion']}"
    version = version or state.package_version
    state.package_version = version
    package_id = _package_id(state)
    version_id = publish_version(state, version, version_id)
    for row in state.rows("InstalledSubscriberPackage"):
        state.delete("InstalledSubscriberPackage", row["Id"])
    state.insert(
        "InstalledSubscriberPackage",
        {"SubscriberPackageId": package_id, "SubscriberPackageVersionId": version_id},
    )
    for name in PACKAGED_APPS:
        _add_connected_app(state, name, ns)
    for page in PAGE_NAMES:
        add_page(state, f"{ns}__{page}", (SEED / "pages" / f"totango__{page}.page"))
    state.metadata_version += 1


def gateway_in_use(state: OrgState, users: int = 1) -> None:
    """Totango Gateway as OAuth Usage shows it before the Install click.

    Salesforce Help, "Monitor Usage for an OAuth Connected App": the page lists
    every connected app users connect to, "These apps have an active access or
    refresh token", and an app with an Install button "was created in another
    org" and is not installed. So tokens (OauthToken rows, no App Menu item) and
    even a ConnectedApplication row exist while the app is not installed.
    """
    _add_connected_app(state, GATEWAY_APP, state.namespace)
    active = [u for u in state.rows("User") if u.get("IsActive")][:users]
    for user in active:
        state.insert(
            "OauthToken",
            {"AppName": GATEWAY_APP, "AppMenuItemId": None, "UserId": user["Id"], "UseCount": 3},
        )


def install_gateway(state: OrgState) -> None:
    """What the OAuth Usage "Install" click on Totango Gateway does (browser only).

    Installing makes the app the org's own: it gets an App Menu item (AppMenuItem,
    Type 'ConnectedApplication'), where its policies and App Launcher visibility
    are managed ("Install a Connected App"; Object Reference, "AppMenuItem").
    """
    _add_connected_app(state, GATEWAY_APP, state.namespace)
    app = next(r for r in state.rows("ConnectedApplication") if r["Name"] == GATEWAY_APP)
    if any(r.get("ApplicationId") == app["Id"] for r in state.rows("AppMenuItem")):
        return
    item_id = state.insert(
        "AppMenuItem",
        {
            "ApplicationId": app["Id"],
            "Name": GATEWAY_APP.replace(" ", "_"),
            "Label": GATEWAY_APP,
            "Type": "ConnectedApplication",
            "NamespacePrefix": state.namespace,
            "IsAccessible": True,
            "IsVisible": True,
            "IsUsingAdminAuthorization": False,
            "StartUrl": None,
        },
    )
    for token in state.rows("OauthToken"):
        if token.get("AppName") == GATEWAY_APP:
            token["AppMenuItemId"] = item_id


def _add_connected_app(state: OrgState, name: str, namespace: str) -> None:
    if any(row["Name"] == name for row in state.rows("ConnectedApplication")):
        return
    state.insert(
        "ConnectedApplication",
        {
            "Name": name,
            # Installed apps start as "All users may self-authorize".
            "OptionsAllowAdminApprovedUsersOnly": False,
            "OptionsRefreshTokenValidityMetric": None,
            "OptionsHasSessionLevelPolicy": False,
            "NamespacePrefix": namespace,
            "StartUrl": None,
        },
    )


def add_page(state: OrgState, full_name: str, markup_file: Path) -> None:
    path = catalog.file_path("ApexPage", full_name)
    state.put(
        "ApexPage",
        full_name,
        {
            path: markup_file.read_bytes(),
            f"{path}-meta.xml": Path(f"{markup_file}-meta.xml").read_bytes(),
        },
    )
    if not any(row["Name"] == full_name.split("__")[-1] for row in state.rows("ApexPage")):
        ns, _, name = full_name.rpartition("__")
        state.insert(
            "ApexPage",
            {"Name": name, "NamespacePrefix": ns or None, "MasterLabel": name.replace("_", " ")},
        )
