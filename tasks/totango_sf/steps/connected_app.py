"""Step 3 of the article: the package's connected app, its profiles and its policy.

The ``ConnectedApplication`` sObject is read-only (DESIGN.md), so this module
only reads it. Profiles are granted the app by inserting ``SetupEntityAccess``
rows whose parent is the profile's own PermissionSet; those rows can be created
and deleted, never updated. The "Permitted Users" policy has no API: it is read
from ``OptionsAllowAdminApprovedUsersOnly`` and, when wrong, reported with the
Robot task and the Setup path that set it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tasks.totango_sf.errors import Failed
from tasks.totango_sf.salesforce.soql import soql_list, soql_string
from tasks.totango_sf.state.row_ledger import RowLedger

POLICY_TASK = "totango_connected_app_policy"
GATEWAY_TASK = "totango_install_gateway"
SETUP_POLICY_PATH = (
    "Setup > Apps > Connected Apps > Manage Connected Apps > {app} > Edit Policies >"
    ' Permitted Users: "Admin approved users are pre-authorized" > Save'
)
SETUP_GATEWAY_PATH = (
    "Setup > Apps > Connected Apps > Connected Apps OAuth Usage > {gateway} > Install"
    " (then Unblock if it shows as blocked)"
)

GrantAction = Literal["added", "already granted", "removed", "not granted", "kept (not ours)"]


class ConnectedAppNotFound(Failed):
    """The package's connected app is not in the org (the package is not installed)."""


class ProfileNotFound(Failed):
    """A configured profile does not exist in the org."""


class AccessWriteFailed(Failed):
    """Salesforce refused to create or delete a SetupEntityAccess row."""


class AccessPartlyDone(AccessWriteFailed):
    """Some rows were written (or a write's answer was lost) before the run stopped.

    The org may have changed, so this is never "failed": re-running the same
    command settles it, because grants and revokes only touch what is missing.
    """


def _definitive_refusal(exc: Exception) -> bool:
    """A 4xx answer means the org refused that write; anything else may have landed."""
    status = getattr(exc, "status", None)
    return isinstance(status, int) and 400 <= status < 500


def _stopped(action: str, done: int, exc: BaseException) -> AccessPartlyDone:
    return AccessPartlyDone(
        f"{action} stopped after {done} change(s), and the last write's outcome is unknown"
        f" ({type(exc).__name__}); re-run the same command to finish: it only changes"
        " what is still missing"
    )


@dataclass(frozen=True)
class ConnectedApp:
    id: str
    name: str
    admin_approved: bool


@dataclass(frozen=True)
class ProfileAccess:
    profile: str
    permission_set_id: str
    action: GrantAction
    access_id: str | None = None


@dataclass
class AccessResult:
    app: ConnectedApp
    profiles: list[ProfileAccess] = field(default_factory=list)
    policy_required: bool = True
    policy_advice: str = ""
    # The org acted but the grant ledger could not be written (_record_grants).
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(p.action in ("added", "removed") for p in self.profiles)

    @property
    def policy_ok(self) -> bool:
        return self.app.admin_approved or not self.policy_required

    def to_json(self) -> dict[str, Any]:
        return {
            "app": asdict(self.app),
            "profiles": [asdict(p) for p in self.profiles],
            "changed": self.changed,
            "policy": policy_label(self.app.admin_approved),
            "policy_ok": self.policy_ok,
            "policy_advice": self.policy_advice,
            "warnings": self.warnings,
        }


def policy_label(admin_approved: bool) -> str:
    if admin_approved:
        return "Admin approved users are pre-authorized"
    return "All users may self-authorize"


def policy_advice(app_name: str, org_name: str) -> str:
    """How to set the policy by hand or by browser automation (there is no API)."""
    return (
        f"The policy of {app_name!r} cannot be set through the API. Run"
        f" `cci task run {POLICY_TASK} --org {org_name}` (browser automation), or in"
        f" Salesforce: {SETUP_POLICY_PATH.format(app=app_name)}."
    )


def gateway_advice(gateway: str, org_name: str) -> str:
    return (
        f"{gateway!r} is installed from OAuth Usage, which has no API. Run"
        f" `cci task run {GATEWAY_TASK} --org {org_name}` (browser automation), or in"
        f" Salesforce: {SETUP_GATEWAY_PATH.format(gateway=gateway)}."
    )


def find_connected_apps(session: Any, names: Iterable[str]) -> dict[str, ConnectedApp]:
    """The connected apps among ``names`` that exist, by name."""
    records = session.query(
        "SELECT Id, Name, OptionsAllowAdminApprovedUsersOnly FROM ConnectedApplication"  # noqa: S608 - literals are escaped by soql_string
        f" WHERE Name IN {soql_list(names)}"
    )
    return {
        r["Name"]: ConnectedApp(r["Id"], r["Name"], bool(r["OptionsAllowAdminApprovedUsersOnly"]))
        for r in records
    }


def find_connected_app(session: Any, name: str) -> ConnectedApp:
    app = find_connected_apps(session, [name]).get(name)
    if app is None:
        org_name = getattr(session, "name", None) or "NAME"
        raise ConnectedAppNotFound(
            f"the connected app {name!r} is not in the org; it comes with the Totango managed"
            f" package, so install the package first (`totango-sf install --org {org_name}`)"
        )
    return app


def profile_permission_sets(session: Any, profiles: Iterable[str]) -> dict[str, str]:
    """Profile name -> Id of the PermissionSet the profile owns."""
    wanted = list(dict.fromkeys(profiles))
    if not wanted:
        return {}
    found = {
        r["Name"]: r["Id"]
        for r in session.query(f"SELECT Id, Name FROM Profile WHERE Name IN {soql_list(wanted)}")  # noqa: S608 - literals are escaped by soql_string
    }
    missing = [p for p in wanted if p not in found]
    if missing:
        raise ProfileNotFound(
            "no profile named " + ", ".join(repr(p) for p in missing) + " in the org;"
            " fix connected_app.profiles in the config"
        )
    owned = session.query(
        "SELECT Id, ProfileId FROM PermissionSet WHERE IsOwnedByProfile = true"  # noqa: S608 - literals are escaped by soql_string
        f" AND ProfileId IN {soql_list(found.values())}"
    )
    by_profile_id = {r["ProfileId"][:15]: r["Id"] for r in owned}
    return {name: by_profile_id[pid[:15]] for name, pid in found.items()}


def existing_access(session: Any, app_id: str, permission_set_ids: Iterable[str]) -> dict[str, str]:
    """PermissionSet Id (15 chars) -> SetupEntityAccess Id, for rows granting ``app_id``."""
    ids = list(permission_set_ids)
    if not ids:
        return {}
    rows = session.query(
        "SELECT Id, ParentId FROM SetupEntityAccess"  # noqa: S608 - literals are escaped by soql_string
        f" WHERE SetupEntityId = {soql_string(app_id)} AND ParentId IN {soql_list(ids)}"
    )
    return {r["ParentId"][:15]: r["Id"] for r in rows}


def _access_state(session: Any, config: Any) -> tuple[Any, dict[str, str], dict[str, str]]:
    """The app, each configured profile's own permission set, and the rows granting it."""
    app = find_connected_app(session, config.connected_app.name)
    permission_sets = profile_permission_sets(session, config.connected_app.profiles)
    permission_sets.update(integration_permission_set(session, config))
    return app, permission_sets, existing_access(session, app.id, permission_sets.values())


def integration_permission_set(session: Any, config: Any) -> dict[str, str]:
    """The integration permission set, once deployed, as one more grantee of the app.

    Totango's connection user often has a minimal profile that is not in
    ``connected_app.profiles``; with "Admin approved users are pre-authorized" it
    would be refused (OAUTH_APP_ACCESS_DENIED). Granting the app to the
    permission set it is assigned pre-authorizes it whatever its profile.
    """
    name = config.integration.permission_set
    rows = session.query(f"SELECT Id FROM PermissionSet WHERE Name = {soql_string(name)}")  # noqa: S608 - literal escaped by soql_string
    return {f"permission set {name}": str(rows[0]["Id"])} if rows else {}


# SetupEntityAccess rows this tool inserted, per org, so --revoke removes exactly
# those and never a grant an admin made by hand. Relative: under the project root.
GRANTS_ROOT = Path(".totango/grants")
GRANTS = RowLedger("setup_entity_access", "connected-app grant ledger", "--revoke")


def _ledger(org_name: str) -> Path:
    return GRANTS.path(GRANTS_ROOT, org_name)


def granted_by_us(org_name: str) -> set[str]:
    """The SetupEntityAccess ids this tool granted in ``org_name``; a damaged ledger is
    a ``DamagedLedger`` naming the file (exit 2), never a guess."""
    return GRANTS.read(GRANTS_ROOT, org_name)


def _record_grants(org_name: str, ids: set[str], changed: str) -> str | None:
    return GRANTS.write(GRANTS_ROOT, org_name, ids, changed)


def grant_profiles(session: Any, config: Any, org_name: str) -> AccessResult:
    """Insert the missing SetupEntityAccess rows; rows already there are left alone."""
    from simple_salesforce.exceptions import SalesforceError

    # Read once, before the first grant (a damaged ledger refuses the run here), and kept
    # in step with each grant: a run of the command holds the org's lock (cli/guard.py).
    recorded = granted_by_us(org_name)
    app, permission_sets, existing = _access_state(session, config)
    client = session.salesforce()
    rows: list[ProfileAccess] = []
    warnings: list[str] = []
    for profile, ps_id in permission_sets.items():
        if ps_id[:15] in existing:
            rows.append(ProfileAccess(profile, ps_id, "already granted", existing[ps_id[:15]]))
            continue
        try:
            created = client.SetupEntityAccess.create({"ParentId": ps_id, "SetupEntityId": app.id})
        except SalesforceError as exc:
            if "DUPLICATE_VALUE" in str(exc):
                # Someone granted it between our query and our insert.
                rows.append(ProfileAccess(profile, ps_id, "already granted"))
                continue
            done = sum(r.action == "added" for r in rows)
            if done or not _definitive_refusal(exc):
                raise _stopped("granting", done, exc) from None
            raise AccessWriteFailed(f"granting {app.name!r} to {profile!r} failed: {exc}") from None
        except BaseException as exc:  # a lost answer, an interrupt: the row may exist
            raise _stopped("granting", sum(r.action == "added" for r in rows), exc) from None
        rows.append(ProfileAccess(profile, ps_id, "added", created.get("id")))
        if created.get("id"):
            # Recorded at once: if a later grant fails, --revoke still knows this row.
            unrecorded = _record_grants(
                org_name,
                recorded | {created["id"]},
                f"{app.name!r} was granted to {profile!r} (SetupEntityAccess {created['id']}),"
                " but it is not recorded as this tool's, so --revoke will keep it;"
                " remove it in Setup if it must go",
            )
            if unrecorded:
                warnings.append(unrecorded)  # and the next write leaves it out, as it says
            else:
                recorded.add(created["id"])
    return _with_policy(AccessResult(app, rows, warnings=warnings), config, org_name)


def revoke_profiles(session: Any, config: Any, org_name: str) -> AccessResult:
    """Delete the rows this tool added for the configured profiles, and no others."""
    from simple_salesforce.exceptions import SalesforceError

    recorded = granted_by_us(org_name)  # damaged: refused before any call
    ours = {i[:15] for i in recorded}
    app, permission_sets, existing = _access_state(session, config)
    client = session.salesforce()
    rows: list[ProfileAccess] = []
    warnings: list[str] = []
    removed: set[str] = set()
    for profile, ps_id in permission_sets.items():
        access_id = existing.get(ps_id[:15])
        if access_id is None:
            rows.append(ProfileAccess(profile, ps_id, "not granted"))
            continue
        if access_id[:15] not in ours:
            rows.append(ProfileAccess(profile, ps_id, "kept (not ours)", access_id))
            continue
        try:
            client.SetupEntityAccess.delete(access_id)
        except BaseException as exc:
            if isinstance(exc, SalesforceError) and not removed and _definitive_refusal(exc):
                raise AccessWriteFailed(
                    f"revoking {app.name!r} from {profile!r} failed: {exc}"
                ) from None
            raise _stopped("revoking", len(removed), exc) from None
        rows.append(ProfileAccess(profile, ps_id, "removed", access_id))
        removed.add(access_id[:15])
        unrecorded = _record_grants(
            org_name,
            {i for i in recorded if i[:15] not in removed},
            f"{app.name!r} was revoked from {profile!r}, but the ledger still lists"
            f" SetupEntityAccess {access_id}; that is harmless (the row is gone)",
        )
        warnings += [unrecorded] if unrecorded else []
    return _with_policy(AccessResult(app, rows, warnings=warnings), config, org_name)


def _with_policy(result: AccessResult, config: Any, org_name: str) -> AccessResult:
    result.policy_required = bool(config.connected_app.admin_approved)
    if not result.policy_ok:
        result.policy_advice = policy_advice(result.app.name, org_name)
    return result
