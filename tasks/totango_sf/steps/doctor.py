"""``doctor``: read-only checks that an org can take, or already has, the Totango setup.

Each check is one row (name, status, detail, fix). Prerequisite checks (edition,
API, permissions) gate ``setup``; the others report how far the setup is. Nothing
here writes: only queries and one Metadata API retrieve.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from tasks.totango_sf.salesforce.soql import soql_list, soql_string
from tasks.totango_sf.steps.app_authorization import (
    authorization_checks,
    uninstalled_consequence,
)
from tasks.totango_sf.steps.connected_app import (
    ProfileNotFound,
    existing_access,
    find_connected_apps,
    gateway_advice,
    policy_advice,
    profile_permission_sets,
)
from tasks.totango_sf.steps.gateway import gateway_status
from tasks.totango_sf.steps.install import installed_totango_package
from tasks.totango_sf.steps.integration_check import integration_checks

Status = Literal["ok", "fail", "warn"]
SUPPORTED_EDITIONS = ("Enterprise Edition", "Unlimited Edition", "Developer Edition")
USER_PERMISSIONS = {
    "PermissionsCustomizeApplication": "Customize Application",
    "PermissionsModifyAllData": "Modify All Data",
    "PermissionsManageProfilesPermissionsets": "Manage Profiles and Permission Sets",
}
# Check names; setup maps them onto the article's steps.
EDITION = "edition"
API_ACCESS = "API access"
PERMISSIONS = "user permissions"
PACKAGE = "package installed"
CONNECTED_APPS = "connected apps present"
GATEWAY = "Gateway installed"
POLICY = "policy admin-approved"
PROFILES = "profiles assigned"
TRUSTED_RANGES = "trusted IP ranges"
WIDGET = "widget on layouts"
RECORD_PAGES = "widget on record pages"
INSIGHTS_FIELDS = "insights fields"
PREREQUISITES = (EDITION, API_ACCESS, PERMISSIONS)


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""
    required: bool = True

    @property
    def failed(self) -> bool:
        return self.status == "fail" and self.required


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.failed for c in self.checks)

    @property
    def prerequisites_ok(self) -> bool:
        return not any(c.failed for c in self.checks if c.name in PREREQUISITES)

    def get(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def _ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def check_edition(org: dict[str, Any]) -> Check:
    edition = org.get("OrganizationType") or "unknown edition"
    if edition in SUPPORTED_EDITIONS:
        return _ok(EDITION, f"{edition} can install managed packages")
    return Check(
        EDITION,
        "fail",
        f"{edition} cannot install the Totango managed package; only Enterprise, Unlimited"
        " and Developer editions can",
        "upgrade the org to Enterprise or Unlimited Edition (ask your Salesforce account"
        " executive), or use another org",
    )


def user_permissions(session: Any) -> dict[str, bool]:
    """The running user's effective permissions: their profile's plus assigned sets'."""
    user_id = session.org_config.user_id
    user = session.query(f"SELECT Id, ProfileId FROM User WHERE Id = {soql_string(user_id)}")[0]  # noqa: S608 - literals are escaped by soql_string
    columns = ", ".join(USER_PERMISSIONS)
    sets = session.query(
        f"SELECT Id, {columns} FROM PermissionSet WHERE IsOwnedByProfile = true"  # noqa: S608 - literals are escaped by soql_string
        f" AND ProfileId = {soql_string(user['ProfileId'])}"
    )
    assigned = [
        r["PermissionSetId"]
        for r in session.query(
            "SELECT Id, PermissionSetId FROM PermissionSetAssignment"  # noqa: S608 - literals are escaped by soql_string
            f" WHERE AssigneeId = {soql_string(user_id)}"
        )
    ]
    if assigned:
        sets += session.query(
            f"SELECT Id, {columns} FROM PermissionSet WHERE Id IN {soql_list(assigned)}"  # noqa: S608 - literals are escaped by soql_string
        )
    return {name: any(bool(s.get(name)) for s in sets) for name in USER_PERMISSIONS}


def _salesforce_message(exc: Exception) -> str:
    """simple-salesforce puts the request URL first; the org's own message is what helps."""
    content = getattr(exc, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return f"{content[0].get('errorCode')}: {content[0].get('message')}"[:300]
    return str(exc)[:300]


def check_permissions(session: Any) -> Check:
    from simple_salesforce.exceptions import SalesforceError

    try:
        granted = user_permissions(session)
    except (SalesforceError, IndexError, KeyError) as exc:
        return Check(
            PERMISSIONS,
            "warn",
            "could not read the user's permissions: " + _salesforce_message(exc),
            "make sure the user has " + ", ".join(USER_PERMISSIONS.values()),
        )
    missing = [label for name, label in USER_PERMISSIONS.items() if not granted[name]]
    if not missing:
        return _ok(PERMISSIONS, "has " + ", ".join(USER_PERMISSIONS.values()))
    return Check(
        PERMISSIONS,
        "fail",
        "the user lacks " + ", ".join(missing),
        "run as a System Administrator, or assign a permission set granting " + ", ".join(missing),
    )


def check_package(session: Any, config: Any, org_name: str = "NAME") -> Check:
    installed = installed_totango_package(session, config.namespace, config.package.version_id)
    if installed is None:
        return Check(
            PACKAGE,
            "fail",
            "the Totango managed package is not installed",
            f"totango-sf install --org {org_name} (needs package.version_id in the config)",
        )
    return _ok(PACKAGE, f"{installed.name} {installed.version} ({installed.version_id})")


def connected_app_checks(session: Any, config: Any, org_name: str) -> list[Check]:
    """Both apps present, Gateway installed, policy admin-approved, profiles granted."""
    settings = config.connected_app
    app = find_connected_apps(session, [settings.name]).get(settings.name)
    # The package brings the connected app; the Gateway is installed from OAuth
    # Usage, and only its App Menu item proves that (steps/gateway.py).
    gateway = gateway_status(session, settings.gateway)
    gateway_state = (
        "installed" if gateway.state == "installed" else "not installed yet (see Gateway installed)"
    )
    checks = [
        _ok(CONNECTED_APPS, f"{settings.name} present; {settings.gateway} {gateway_state}")
        if app
        else Check(
            CONNECTED_APPS,
            "fail",
            f"{settings.name} is missing",
            f"install the Totango package (totango-sf install --org {org_name})",
        )
    ]
    checks.append(
        _ok(GATEWAY, f"{settings.gateway} is installed (App Menu item present)")
        if gateway.state == "installed"
        else Check(
            GATEWAY,
            "fail",
            f"{settings.gateway} is not installed"
            + (
                f" ({gateway.tokens} OAuth token(s): in use, with an Install button in OAuth Usage)"
                if gateway.state == "in_use_not_installed"
                else ""
            ),
            f"{gateway_advice(settings.gateway, org_name)} Until then,"
            f" {uninstalled_consequence(gateway)}.",
        )
    )
    if app is None:
        checks.append(
            Check(POLICY, "fail", f"{settings.name} is not installed", "install the package first")
        )
        checks.append(
            Check(
                PROFILES, "fail", f"{settings.name} is not installed", "install the package first"
            )
        )
        return checks
    if app.admin_approved or not settings.admin_approved:
        checks.append(
            _ok(
                POLICY,
                "Admin approved users are pre-authorized"
                if app.admin_approved
                else "self-authorize (admin_approved: false in the config)",
            )
        )
    else:
        checks.append(
            Check(
                POLICY,
                "fail",
                "All users may self-authorize",
                policy_advice(settings.name, org_name),
            )
        )
    checks.append(_profiles_check(session, app.id, settings.profiles, org_name))
    return checks


def _profiles_check(session: Any, app_id: str, profiles: list[str], org_name: str) -> Check:
    try:
        permission_sets = profile_permission_sets(session, profiles)
    except ProfileNotFound as exc:
        return Check(PROFILES, "fail", str(exc), "fix connected_app.profiles in the config")
    granted = existing_access(session, app_id, permission_sets.values())
    missing = [p for p, ps in permission_sets.items() if ps[:15] not in granted]
    if missing:
        return Check(
            PROFILES,
            "fail",
            "not granted to " + ", ".join(missing),
            f"totango-sf connected-app --org {org_name}",
        )
    return _ok(
        PROFILES,
        "granted to " + ", ".join(permission_sets) if permission_sets else "none configured",
    )


def metadata_checks(session: Any, config: Any, org_name: str) -> list[Check]:
    """Trusted ranges, widget and fields, read with one retrieve (read-only)."""
    from tasks.totango_sf.merge import layout_audience
    from tasks.totango_sf.merge.layout import LayoutPatchError, widget_section_state
    from tasks.totango_sf.merge.security import SecurityPatchError, missing_ip_ranges
    from tasks.totango_sf.merge.widget import widget_section_for
    from tasks.totango_sf.salesforce.metadata_api import (
        MetadataCallFailed,
        list_metadata,
        retrieve_files,
    )

    deploy_fix = f"totango-sf deploy --org {org_name}"
    try:
        layouts = _matching_layouts(
            config, lambda: list_metadata(session, "Layout", config.api_version)
        )
        fields = [
            f"{obj}.{f.api_name}"
            for obj in config.insights.objects
            for f in config.insights.resolved_fields()
        ]
        members = [("Settings", "Security")] + [("Layout", n) for n in layouts]
        members += [("CustomField", f) for f in fields]
        page_members = record_page_members(config)
        if page_members:
            page_members += layout_audience.retrieve_members(
                config.insights.objects, list_metadata(session, "Layout", config.api_version)
            )
        members += page_members
        files = retrieve_files(session, members, config.api_version)
    except MetadataCallFailed as exc:
        detail = f"could not retrieve metadata: {exc}"
        return [
            Check(n, "warn", detail, f"totango-sf verify --org {org_name}", False)
            for n in (TRUSTED_RANGES, WIDGET, RECORD_PAGES, INSIGHTS_FIELDS)
        ]
    checks = []
    settings = files.get("settings/Security.settings")
    try:
        missing = missing_ip_ranges(settings, config.trusted_ip_ranges.ranges()) if settings else []
    except SecurityPatchError as exc:
        missing, settings = [], None
        checks.append(Check(TRUSTED_RANGES, "warn", str(exc), deploy_fix, False))
    if settings is not None:
        checks.append(
            Check(
                TRUSTED_RANGES,
                "warn",
                f"{len(missing)} configured range(s) missing: "
                + ", ".join(str(r) for r in missing[:5]),
                deploy_fix + " (needed only on custom domains)",
                False,
            )
            if missing
            else _ok(TRUSTED_RANGES, f"all {len(config.trusted_ip_ranges.ranges())} present")
        )
    elif not checks:
        checks.append(
            Check(TRUSTED_RANGES, "warn", "Security settings not retrieved", deploy_fix, False)
        )
    checks.append(
        _widget_check(
            config,
            layouts,
            files,
            deploy_fix,
            widget_section_for,
            widget_section_state,
            LayoutPatchError,
        )
    )
    checks.append(record_pages_check(config, files, deploy_fix, layouts))
    checks.append(_fields_check(fields, files, deploy_fix))
    return checks


def record_page_members(config: Any) -> list[tuple[str, str]]:
    """Objects, apps, FlexiPages and the widget pages: what the record-page check reads."""
    from tasks.totango_sf.merge.record_page_plan import retrieve_members

    members = retrieve_members(config)
    if not members:
        return []
    members += [("CustomObject", obj) for obj in config.insights.objects]
    members += [("ApexPage", config.page_reference(obj)) for obj in config.insights.objects]
    return members


def record_pages_check(
    config: Any, files: dict[str, bytes], fix: str, layouts: Iterable[str] = ()
) -> Check:
    """Per object: the record pages in use, where assigned, and whether the widget shows.

    ``layouts``: the layouts a deploy patches; with those holding the section
    already, they decide which profiles a Record Detail shows the widget to.
    """
    from tasks.totango_sf.merge.flexipage import widget_component_state
    from tasks.totango_sf.merge.record_page_plan import flexipage_path, plan_record_pages
    from tasks.totango_sf.org.desired_state import covered_layouts

    if not record_page_members(config):
        return _ok(RECORD_PAGES, "not checked (widget.record_pages is none)")
    plan = plan_record_pages(config, files, covered_layouts=covered_layouts(config, layouts, files))
    shown, missing = [], []
    for row in plan.rows:
        where = ", ".join(a.where for a in row.assigned)
        label = f"{row.sobject} {row.page or '(system default)'} ({where})"
        if row.action == "create" and row.page is not None:
            if flexipage_path(row.page) in files and row.becomes_org_default:
                missing.append(f"{row.sobject} {row.page}: created, to be made the org default")
            elif flexipage_path(row.page) in files:
                shown.append(
                    f"{label}: created" if row.assigned else f"{label}: created, not assigned"
                )
            else:
                missing.append(f"{row.sobject} {row.page}: to be created")
        elif row.action == "remove":
            missing.append(f"{label}: our component is there, but not selected")
        elif row.action == "add" and row.page is not None:
            state = widget_component_state(files[flexipage_path(row.page)], plan.widgets[row.page])
            if state.status != "present":
                why = f" ({row.reason})" if row.layout_gaps else ""
                missing.append(f"{label}: component {state.status}{why}")
                continue
            shown.append(f"{label}: own component")
        elif row.shows == "never":
            missing.append(f"{label}: never shows ({row.reason})")
        elif row.shows == "partly":
            missing.append(f"{label}: {row.reason}")
        else:
            shown.append(f"{label}: {row.shows.replace('_', ' ')}")
    if missing:
        return Check(RECORD_PAGES, "warn", "; ".join(missing + shown), fix, False)
    return _ok(RECORD_PAGES, "; ".join(shown) or "no record page in use")


def _matching_layouts(config: Any, listed: Callable[[], list[str]]) -> list[str]:
    """The layouts deploy would patch; plain names need no listMetadata call."""
    patterns = config.layout_patterns
    if not any(ch in p for p in patterns for ch in "*?["):
        return list(patterns)
    return sorted(config.matching_layouts(listed()))


def _widget_check(config, layouts, files, fix, section_for, state_of, error) -> Check:
    problems = []
    for name in layouts:
        data = files.get(f"layouts/{name}.layout")
        if data is None:
            problems.append(f"{name}: layout not found")
            continue
        try:
            state = state_of(data, section_for(config, name.partition("-")[0]))
        except error as exc:
            problems.append(f"{name}: {exc}")
            continue
        if state.status != "present":
            problems.append(
                f"{name}: section {state.status}" + (f" ({state.detail})" if state.detail else "")
            )
    if not layouts:
        return Check(WIDGET, "fail", "no layout matches widget.layouts", fix)
    if problems:
        return Check(WIDGET, "fail", "; ".join(problems), fix)
    return _ok(WIDGET, f"section {config.widget.section_label!r} on " + ", ".join(layouts))


def _fields_check(fields: list[str], files: dict[str, bytes], fix: str) -> Check:
    from tasks.totango_sf.metadata.safe_xml import parse_xml

    found: set[str] = set()
    for path, data in files.items():
        if path.startswith("objects/") and path.endswith(".object"):
            obj = path.removeprefix("objects/").removesuffix(".object")
            root = parse_xml(data)
            for element in root.iter("{*}fields"):
                name = element.findtext("{*}fullName")
                if name:
                    found.add(f"{obj}.{name}")
    missing = [f for f in fields if f not in found]
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        return Check(INSIGHTS_FIELDS, "fail", f"{len(missing)} missing: {shown}", fix)
    return _ok(INSIGHTS_FIELDS, f"all {len(fields)} present")


def run_doctor(
    session: Any, config: Any, org_name: str, include_metadata: bool = True
) -> DoctorReport:
    """Every check, in the article's order; the org is only read."""
    from simple_salesforce.exceptions import SalesforceError

    report = DoctorReport()
    try:
        org = session.query("SELECT Id, Name, OrganizationType FROM Organization")[0]
    except SalesforceError as exc:
        api_disabled = "API_DISABLED_FOR_ORG" in str(exc) or "API_DISABLED" in str(exc)
        report.checks.append(
            Check(
                API_ACCESS,
                "fail",
                "the API is not enabled for this org or user"
                if api_disabled
                else _salesforce_message(exc),
                "use an edition with API access and a user with the 'API Enabled' permission",
            )
        )
        return report
    report.checks.append(check_edition(org))
    report.checks.append(_ok(API_ACCESS, "REST and Tooling API answer"))
    report.checks.append(check_permissions(session))
    report.checks.append(check_package(session, config, org_name))
    report.checks.extend(connected_app_checks(session, config, org_name))
    report.checks.extend(authorization_checks(session, config, org_name, Check, include_metadata))
    report.checks.extend(integration_checks(session, config, org_name, Check))
    if include_metadata:
        report.checks.extend(metadata_checks(session, config, org_name))
    else:
        report.checks.extend(
            Check(n, "warn", "not checked", f"totango-sf verify --org {org_name}", False)
            for n in (TRUSTED_RANGES, WIDGET, INSIGHTS_FIELDS)
        )
    return report
