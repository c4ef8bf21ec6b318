"""Build a freshly seeded org of a given flavour from the files under ``seed/``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.org_emulator import apex_tests, catalog, managed_package
from tests.org_emulator.state import OrgState

SEED = Path(__file__).with_name("seed")

# flavour -> (OrganizationType, IsSandbox, scratch?)
FLAVOURS = {
    "production": ("Enterprise Edition", False, False),
    "sandbox": ("Enterprise Edition", True, False),
    "scratch": ("Developer Edition", True, True),
    "developer": ("Developer Edition", False, False),
    "professional": ("Professional Edition", False, False),
}

# Standard fields the seeded layouts (and typical product layouts) reference.
STANDARD_FIELDS = {
    "Account": [
        "Id", "Name", "AccountNumber", "OwnerId", "ParentId", "Type", "Industry", "Phone",
        "Fax", "Website", "Rating", "Site", "AnnualRevenue", "NumberOfEmployees",
        "BillingAddress", "ShippingAddress", "Description", "Ownership", "TickerSymbol",
        "Sic", "CreatedById", "LastModifiedById",
    ],
    "Lead": [
        "Id", "Name", "Company", "Title", "Status", "Email", "Phone", "MobilePhone",
        "OwnerId", "LeadSource", "Rating", "Industry", "Address", "Website", "Description",
        "NumberOfEmployees", "AnnualRevenue", "CreatedById", "LastModifiedById",
    ],
    "Opportunity": [
        "Id", "Name", "AccountId", "CloseDate", "StageName", "Amount", "Probability",
        "OwnerId", "Type", "LeadSource", "NextStep", "Description", "CampaignId",
        "ForecastCategoryName", "CreatedById", "LastModifiedById",
    ],
    "Contact": [
        "Id", "Name", "AccountId", "Title", "Email", "Phone", "OwnerId", "MailingAddress",
        "Description", "CreatedById", "LastModifiedById",
    ],
    "User": ["Id", "Name", "Username", "Email", "ProfileId", "IsActive"],
}  # fmt: skip

# The Organization record's other fields, valued as a real Developer Edition org's
# (recorded: ../shared/recorded/cci_get_organization.json).
ORGANIZATION_DEFAULTS = {
    "Division": None, "Street": None, "City": None, "State": None, "PostalCode": None,
    "Country": "US", "Latitude": None, "Longitude": None, "GeocodeAccuracy": None,
    "Address": {
        "city": None, "country": "US", "geocodeAccuracy": None, "latitude": None,
        "longitude": None, "postalCode": None, "state": None, "street": None,
    },
    "Phone": None, "Fax": None, "PrimaryContact": None,
    "DefaultLocaleSidKey": "en_US", "TimeZoneSidKey": "America/Los_Angeles",
    "LanguageLocaleKey": "en_US", "ReceivesInfoEmails": True, "ReceivesAdminInfoEmails": True,
    "PreferencesRequireOpportunityProducts": False,
    "PreferencesTransactionSecurityPolicy": False, "PreferencesTerminateOldestSession": False,
    "PreferencesConsentManagementEnabled": True,
    "PreferencesAutoSelectIndividualOnMerge": False,
    "PreferencesLightningLoginEnabled": True, "PreferencesOnlyLLPermUserAllowed": False,
    "FiscalYearStartMonth": 1, "UsesStartDateAsFiscalYearName": False,
    "DefaultAccountAccess": "Edit", "DefaultContactAccess": "ControlledByParent",
    "DefaultOpportunityAccess": "Edit", "DefaultLeadAccess": "ReadEditTransfer",
    "DefaultCaseAccess": "ReadEditTransfer", "DefaultCalendarAccess": "HideDetailsInsert",
    "DefaultPricebookAccess": "ReadSelect", "DefaultCampaignAccess": "All",
    "DelegatedAuthenticationServiceUrl": None, "ComplianceBccEmail": None,
    "UiSkin": "Theme3", "SignupCountryIsoCode": "US", "NumKnowledgeService": 2,
    "WebToCaseDefaultOrigin": "Web", "MonthlyPageViewsUsed": 0,
    "MonthlyPageViewsEntitlement": 0, "IsReadOnly": False,
}  # fmt: skip

INTEGRATION_PROFILE = "Minimum Access - Salesforce"
USERS = (
    # (first, last, profile, active)
    ("Ada", "Admin", "System Administrator", True),
    ("Sam", "Standard", "Standard User", True),
    ("Sue", "Sales", "Standard User", True),
    ("Ian", "Inactive", "Standard User", False),
    ("Olga", "Former", "System Administrator", False),
)


def build_state(
    flavour: str = "sandbox",
    *,
    package_installed: bool = False,
    gateway_installed: bool = False,
    namespace: str = "totango",
    package_version: str = "2.14",
) -> OrgState:
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown org flavour {flavour!r}; choose from {sorted(FLAVOURS)}")
    org_type, is_sandbox, scratch = FLAVOURS[flavour]
    state = OrgState()
    state.org_flavour = flavour
    state.namespace = namespace
    state.package_version = package_version
    trial = (
        (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT00:00:00.000+0000")
        if scratch
        else None
    )
    state.insert(
        "Organization",
        {
            **ORGANIZATION_DEFAULTS,
            "Name": f"Emulated {flavour} org (test double)",
            "OrganizationType": org_type,
            "IsSandbox": is_sandbox,
            "InstanceName": "CS42" if is_sandbox else "NA99",
            "NamespacePrefix": None,
            "TrialExpirationDate": trial,
        },
    )
    _seed_people(state, flavour)
    state.org["PrimaryContact"] = state.user["Name"]
    _seed_metadata(state)
    apex_tests.seed_classes(state)
    if package_installed:
        managed_package.install(state, package_version)
        if gateway_installed:
            managed_package.install_gateway(state)
        else:
            # Totango's side already connects, so OAuth Usage lists the Gateway with
            # an Install button: usage rows exist, the install does not.
            managed_package.gateway_in_use(state)
    state.refresh_token = f"5Aep861emulator{state.org_id[:15]}"
    state.issue_access_token()
    state.metadata_version = 0
    return state


def _seed_people(state: OrgState, flavour: str) -> None:
    profile_ids = {}
    for name in ("System Administrator", "Standard User"):
        profile_ids[name] = state.insert(
            "Profile", {"Name": name, "UserType": "Standard", "UserLicenseId": None}
        )
        # Every profile owns a permission set; SetupEntityAccess rows hang off it.
        state.insert(
            "PermissionSet",
            {
                "Name": "X00e" + profile_ids[name][3:15],
                "Label": name,
                "IsOwnedByProfile": True,
                "ProfileId": profile_ids[name],
                "NamespacePrefix": None,
                "Type": "Profile",
                "PermissionsCustomizeApplication": name == "System Administrator",
                "PermissionsModifyAllData": name == "System Administrator",
                "PermissionsManageProfilesPermissionsets": name == "System Administrator",
                "PermissionsModifyMetadata": name == "System Administrator",
            },
        )
    # Totango's connection user: an integration user on a minimal, non-admin profile,
    # so nothing but what the setup grants lets it write the insights fields.
    profile_ids[INTEGRATION_PROFILE] = state.insert(
        "Profile", {"Name": INTEGRATION_PROFILE, "UserType": "Standard", "UserLicenseId": None}
    )
    state.insert(
        "PermissionSet",
        {
            "Name": "X00e" + profile_ids[INTEGRATION_PROFILE][3:15],
            "Label": INTEGRATION_PROFILE,
            "IsOwnedByProfile": True,
            "ProfileId": profile_ids[INTEGRATION_PROFILE],
            "NamespacePrefix": None,
            "Type": "Profile",
            "PermissionsCustomizeApplication": False,
            "PermissionsModifyAllData": False,
            "PermissionsManageProfilesPermissionsets": False,
            "PermissionsModifyMetadata": False,
        },
    )
    domain = f"{flavour}.emulator.example.com"
    for first, last, profile, active in USERS:
        user_id = state.insert(
            "User",
            {
                "Username": f"{first.lower()}.{last.lower()}@{domain}",
                "Name": f"{first} {last}",
                "FirstName": first,
                "LastName": last,
                "Email": f"{first.lower()}@{domain}",
                "Alias": (first[0] + last[:4]).lower(),
                "IsActive": active,
                "ProfileId": profile_ids[profile],
                "UserType": "Standard",
            },
        )
        state.user_id = state.user_id or user_id
    state.integration_user_id = state.insert(
        "User",
        {
            "Username": f"totango.integration@{domain}",
            "Name": "Totango Integration",
            "FirstName": "Totango",
            "LastName": "Integration",
            "Email": f"totango@{domain}",
            "Alias": "ttint",
            "IsActive": True,
            "ProfileId": profile_ids[INTEGRATION_PROFILE],
            "UserType": "Standard",
        },
    )


def _seed_metadata(state: OrgState) -> None:
    state.standard_fields = {k: list(v) for k, v in STANDARD_FIELDS.items()}
    for sobject in ("Account", "Contact", "Lead", "Opportunity"):
        # An object's own settings are kept only where seeded: the record-page
        # assignment (actionOverrides) of Account and Lead.
        seeded = SEED / "objects" / f"{sobject}.object"
        files = {f"objects/{sobject}.object": seeded.read_bytes()} if seeded.exists() else {}
        state.put("CustomObject", sobject, files)
    # Record pages and Lightning apps: an org default, app defaults and app + record
    # type + profile assignments, one of them a Dynamic Forms page (no Record Detail).
    # Profiles hold the page layout assignments (layout, optional record type); the
    # Standard profile gets an unpatched layout for the Account.Customer record type.
    for kind, type_name in (
        ("flexipages", "FlexiPage"),
        ("applications", "CustomApplication"),
        ("profiles", "Profile"),
    ):
        for path in sorted((SEED / kind).iterdir()):
            state.put(type_name, path.stem, {f"{kind}/{path.name}": path.read_bytes()})
    for path in sorted((SEED / "layouts").glob("*.layout")):
        state.put("Layout", path.stem, {f"layouts/{path.name}": path.read_bytes()})
    security = (SEED / "settings" / "Security.settings").read_bytes()
    state.put("Settings", "Security", {catalog.file_path("Settings", "Security"): security})
