"""The sObjects the emulator knows: their fields, relationships and what may be written.

Only what the product touches is modelled. Unknown objects and fields are refused
with Salesforce's error codes, so a typo in a query fails loudly in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SObjectInfo:
    name: str
    label: str
    fields: tuple[str, ...]
    # relationship name -> (foreign key field, target sObject)
    relationships: dict[str, tuple[str, str]] = field(default_factory=dict)
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    tooling: bool = False  # served by /tooling
    data: bool = True  # served by /data
    required: tuple[str, ...] = ()
    # Field sets that must be unique across rows (DUPLICATE_VALUE otherwise).
    unique: tuple[tuple[str, ...], ...] = ()


_AUDIT = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp")

SOBJECTS: dict[str, SObjectInfo] = {
    info.name: info
    for info in (
        # Every field a real org returns for its Organization record, in its order
        # (recorded: ../shared/recorded/cci_get_organization.json, a Developer Edition
        # org; Object Reference, "Organization"). Seeded values follow the recorded types.
        SObjectInfo(
            "Organization",
            "Organization",
            (
                "Id",
                "Name",
                "Division",
                "Street",
                "City",
                "State",
                "PostalCode",
                "Country",
                "Latitude",
                "Longitude",
                "GeocodeAccuracy",
                "Address",
                "Phone",
                "Fax",
                "PrimaryContact",
                "DefaultLocaleSidKey",
                "TimeZoneSidKey",
                "LanguageLocaleKey",
                "ReceivesInfoEmails",
                "ReceivesAdminInfoEmails",
                "PreferencesRequireOpportunityProducts",
                "PreferencesTransactionSecurityPolicy",
                "PreferencesTerminateOldestSession",
                "PreferencesConsentManagementEnabled",
                "PreferencesAutoSelectIndividualOnMerge",
                "PreferencesLightningLoginEnabled",
                "PreferencesOnlyLLPermUserAllowed",
                "FiscalYearStartMonth",
                "UsesStartDateAsFiscalYearName",
                "DefaultAccountAccess",
                "DefaultContactAccess",
                "DefaultOpportunityAccess",
                "DefaultLeadAccess",
                "DefaultCaseAccess",
                "DefaultCalendarAccess",
                "DefaultPricebookAccess",
                "DefaultCampaignAccess",
                "DelegatedAuthenticationServiceUrl",
                "SystemModstamp",
                "ComplianceBccEmail",
                "UiSkin",
                "SignupCountryIsoCode",
                "TrialExpirationDate",
                "NumKnowledgeService",
                "OrganizationType",
                "NamespacePrefix",
                "InstanceName",
                "IsSandbox",
                "WebToCaseDefaultOrigin",
                "MonthlyPageViewsUsed",
                "MonthlyPageViewsEntitlement",
                "IsReadOnly",
                "CreatedDate",
                "CreatedById",
                "LastModifiedDate",
                "LastModifiedById",
            ),  # fmt: skip
            createable=False,
            updateable=False,
            deletable=False,
            tooling=True,
        ),
        SObjectInfo(
            "Profile",
            "Profile",
            ("Id", "Name", "UserType", "UserLicenseId", *_AUDIT),
            createable=False,
            deletable=False,
            tooling=True,
        ),
        SObjectInfo(
            "User",
            "User",
            (
                "Id",
                "Username",
                "Name",
                "FirstName",
                "LastName",
                "Email",
                "Alias",
                "IsActive",
                "ProfileId",
                "UserType",
                *_AUDIT,
            ),
            relationships={"Profile": ("ProfileId", "Profile")},
            deletable=False,
            tooling=True,
        ),
        SObjectInfo(
            "PermissionSet",
            "Permission Set",
            (
                "Id",
                "Name",
                "Label",
                "IsOwnedByProfile",
                "ProfileId",
                "NamespacePrefix",
                "Type",
                # The user permissions `doctor` checks (a profile's own permission set
                # carries the profile's permissions).
                "PermissionsCustomizeApplication",
                "PermissionsModifyAllData",
                "PermissionsManageProfilesPermissionsets",
                # "Modify Metadata Through Metadata API Functions" (user_permissions.py).
                "PermissionsModifyMetadata",
                *_AUDIT,
            ),
            relationships={"Profile": ("ProfileId", "Profile")},
            tooling=True,
        ),
        SObjectInfo(
            "PermissionSetAssignment",
            "Permission Set Assignment",
            ("Id", "AssigneeId", "PermissionSetId", "IsActive", *_AUDIT),
            relationships={
                "Assignee": ("AssigneeId", "User"),
                "PermissionSet": ("PermissionSetId", "PermissionSet"),
            },
            updateable=False,
            required=("AssigneeId", "PermissionSetId"),
            unique=(("AssigneeId", "PermissionSetId"),),
        ),
        SObjectInfo(
            "ConnectedApplication",
            "Connected Application",
            (
                "Id",
                "Name",
                "OptionsAllowAdminApprovedUsersOnly",
                "OptionsRefreshTokenValidityMetric",
                "OptionsHasSessionLevelPolicy",
                "NamespacePrefix",
                "StartUrl",
                *_AUDIT,
            ),
            # Read-only in every org: the policy switch has no API (DESIGN.md).
            createable=False,
            updateable=False,
            deletable=False,
        ),
        # Object Reference, "FieldPermissions": the field permissions of a permission
        # set (a profile's included); mirrored from deployed PermissionSet files.
        SObjectInfo(
            "FieldPermissions",
            "Field Permissions",
            (
                "Id",
                "ParentId",
                "SobjectType",
                "Field",
                "PermissionsRead",
                "PermissionsEdit",
                *_AUDIT,
            ),
            relationships={"Parent": ("ParentId", "PermissionSet")},
            createable=False,
            updateable=False,
            deletable=False,
        ),
        # Object Reference, "AppMenuItem": "the organization's default settings for
        # items in the app menu or App Launcher"; query() and update() only. A
        # connected app gets a row (Type 'ConnectedApplication') once installed.
        SObjectInfo(
            "AppMenuItem",
            "App Menu Item",
            (
                "Id",
                "ApplicationId",
                "Name",
                "Label",
                "Type",
                "NamespacePrefix",
                "IsAccessible",
                "IsVisible",
                "IsUsingAdminAuthorization",
                "StartUrl",
                *_AUDIT,
            ),
            createable=False,
            deletable=False,
        ),
        # Object Reference, "OauthToken": an OAuth token of a connected app, query()
        # only; AppName is the app's label, AppMenuItemId its App Menu item.
        SObjectInfo(
            "OauthToken",
            "OAuth Token",
            ("Id", "AppName", "AppMenuItemId", "UserId", "UseCount", "LastUsedDate", "CreatedDate"),
            relationships={"User": ("UserId", "User")},
            createable=False,
            updateable=False,
            deletable=False,
        ),
        SObjectInfo(
            "SetupEntityAccess",
            "Setup Entity Access",
            ("Id", "ParentId", "SetupEntityId", "SetupEntityType", *_AUDIT),
            relationships={"Parent": ("ParentId", "PermissionSet")},
            updateable=False,
            required=("ParentId", "SetupEntityId"),
            unique=(("ParentId", "SetupEntityId"),),
        ),
        SObjectInfo(
            "InstalledSubscriberPackage",
            "Installed Package",
            ("Id", "SubscriberPackageId", "SubscriberPackageVersionId", *_AUDIT),
            relationships={
                "SubscriberPackage": ("SubscriberPackageId", "SubscriberPackage"),
                "SubscriberPackageVersion": (
                    "SubscriberPackageVersionId",
                    "SubscriberPackageVersion",
                ),
            },
            createable=False,
            updateable=False,
            deletable=False,
            tooling=True,
            data=False,
        ),
        # Tooling API: the org's deploys, newest first by CreatedDate (queried by
        # public sfdx plugins as "select Id, Status, CheckOnly ... from DeployRequest").
        # Field names, attributes {type, url .../tooling/sobjects/DeployRequest/<Id>},
        # dates (2022-07-12T20:52:55.000+0000) and Status values follow a recorded
        # real answer: mohan-chinnappan-n/cli-dx, deployment/depolymentStatus.json
        # (tests/fixtures/recorded/deploy_request_query.json; test_deploy_request_shape).
        SObjectInfo(
            "DeployRequest",
            "Deploy Request",
            (
                "Id",
                "Status",
                "CheckOnly",
                "NumberComponentsTotal",
                "StartDate",
                "CompletedDate",
                *_AUDIT,
            ),
            createable=False,
            updateable=False,
            deletable=False,
            tooling=True,
            data=False,
        ),
        SObjectInfo(
            "SubscriberPackage",
            "Subscriber Package",
            ("Id", "Name", "NamespacePrefix", "Description"),
            createable=False,
            updateable=False,
            deletable=False,
            tooling=True,
            data=False,
        ),
        SObjectInfo(
            "SubscriberPackageVersion",
            "Subscriber Package Version",
            (
                "Id",
                "Name",
                "SubscriberPackageId",
                "MajorVersion",
                "MinorVersion",
                "PatchVersion",
                "BuildNumber",
                "IsBeta",
                "IsManaged",
            ),
            createable=False,
            updateable=False,
            deletable=False,
            tooling=True,
            data=False,
        ),
        SObjectInfo(
            "PackageInstallRequest",
            "Package Install Request",
            (
                "Id",
                "SubscriberPackageVersionKey",
                "SecurityType",
                "NameConflictResolution",
                "EnableRss",
                "Password",
                "UpgradeType",
                "ApexCompileType",
                "Status",
                "Errors",
                *_AUDIT,
            ),
            updateable=False,
            deletable=False,
            tooling=True,
            data=False,
            required=("SubscriberPackageVersionKey",),
        ),
        # The org's Apex classes (Object Reference and Tooling API, "ApexClass"),
        # seeded from apex_tests.py; queried by CumulusCI's run_tests through Tooling
        # (recorded: ../shared/recorded/cci_tooling_query_apexclass.json).
        SObjectInfo(
            "ApexClass",
            "Apex Class",
            ("Id", "Name", "NamespacePrefix", "ApiVersion", "Status", "IsValid", *_AUDIT),
            createable=False,
            updateable=False,
            deletable=False,
            tooling=True,
        ),
        SObjectInfo(
            "ApexPage",
            "Visualforce Page",
            ("Id", "Name", "NamespacePrefix", "MasterLabel", *_AUDIT),
            createable=False,
            updateable=False,
            deletable=False,
            tooling=True,
        ),
        # Tooling only; its rows are the org's custom objects (tooling_objects.py).
        SObjectInfo(
            "CustomObject",
            "Custom Object",
            ("Id", "DeveloperName", "NamespacePrefix", "ManageableState"),
            createable=False,
            updateable=False,
            deletable=False,
            tooling=True,
            data=False,
        ),
        SObjectInfo(
            "Account",
            "Account",
            (
                "Id",
                "Name",
                "AccountNumber",
                "ParentId",
                "OwnerId",
                "Type",
                "Industry",
                "Phone",
                "Website",
                "Description",
                *_AUDIT,
            ),  # fmt: skip
            relationships={"Parent": ("ParentId", "Account")},
        ),
        SObjectInfo(
            "Contact", "Contact", ("Id", "FirstName", "LastName", "AccountId", "Email", *_AUDIT)
        ),
        SObjectInfo("Lead", "Lead", ("Id", "LastName", "Company", "Status", "Email", *_AUDIT)),
        SObjectInfo(
            "Opportunity",
            "Opportunity",
            ("Id", "Name", "AccountId", "StageName", "CloseDate", "Amount", *_AUDIT),
        ),
    )
}

# Business objects accept any custom field (``X__c``) deployed to them.
CUSTOMIZABLE = {"Account", "Contact", "Lead", "Opportunity"}


def lookup(name: str) -> SObjectInfo | None:
    """Case-insensitive, as Salesforce is for API names."""
    for key, info in SOBJECTS.items():
        if key.lower() == name.lower():
            return info
    return None
