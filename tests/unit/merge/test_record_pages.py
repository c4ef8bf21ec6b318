"""Unit tests of which record pages are in use (merge/record_pages.py), on small files built here.

The pages found here are the pages the widget component is merged into and deployed,
so these tests are the runner of the module's mutation score (bench/mutation.py). The
object and app files are checked against the Metadata API schema, so they have the
shape retrieved files have.
"""

from __future__ import annotations

import pytest

from tasks.totango_sf.merge.record_pages import PageAssignment, assignments, pages_in_use
from tasks.totango_sf.metadata.schema import load_schema
from tests.support.page_assignments import app_file, override, profile_override, sobject_file


def valid(*files: bytes) -> None:
    for data in files:
        assert load_schema().validate_bytes(data) == []


def test_org_default_is_the_desktop_view_override():
    account = sobject_file(
        override("Account_Phone", form_factor="Small"),
        override("Account_Edit", action="Edit"),
        override("AccountTab", kind="Visualforce"),
        override("Account_Record_Page"),
    )
    valid(account)
    found = assignments({"Account": account}, {})
    assert found == [PageAssignment("Account", "Account_Record_Page", "org_default")]


def test_an_override_without_form_factor_counts_as_desktop():
    account = sobject_file(override("Account_Record_Page", form_factor=None))
    valid(account)
    assert assignments({"Account": account}, {})[0].page == "Account_Record_Page"


@pytest.mark.parametrize(
    "data",
    [
        None,
        b"",
        sobject_file(),
        sobject_file(override("Account_Phone", form_factor="Small")),
        sobject_file(override("Account_Compact", kind="Default")),
        sobject_file(override(None)),
        sobject_file(override("")),
    ],
    ids=[
        "not-retrieved",
        "empty-file",
        "no-override",
        "phone-only",
        "default",
        "no-content",
        "empty-content",
    ],
)
def test_no_org_default_means_the_system_default(data: bytes | None):
    found = assignments({"Account": data}, {})
    assert found == [PageAssignment("Account", None, "org_default")]
    assert pages_in_use(found) == {}
    assert found[0].where == "org default"
    assert found[0].to_json()["page"] == "(system default)"


def test_padded_names_are_read_trimmed():
    account = sobject_file(override(" Account_Record_Page ", action=" View ", kind=" Flexipage "))
    assert assignments({"Account": account}, {})[0].page == "Account_Record_Page"


def test_files_without_the_metadata_namespace_are_read_too():
    account = sobject_file(override("Account_Record_Page"), namespace=False)
    app = app_file(
        override("Sales_Account", target="Account"),
        profiles=(profile_override("Admin_Account", "Account", "Admin"),),
        namespace=False,
    )
    found = assignments({"Account": account}, {"Sales": app})
    assert [(a.page, a.level) for a in found] == [
        ("Account_Record_Page", "org_default"),
        ("Sales_Account", "app_default"),
        ("Admin_Account", "app_record_type_profile"),
    ]


def test_app_defaults_and_profile_assignments_of_configured_objects():
    account = sobject_file(override("Account_Record_Page"))
    sales = app_file(
        override("Sales_Account", target="Account"),
        override("Sales_Contact", target="Contact"),
        override("Sales_Account_Phone", target="Account", form_factor="Small"),
        override("Sales_Account_Edit", target="Account", action="Edit"),
        profiles=(
            profile_override("Sales_Customer", "Account", "Sales", "Account.Customer"),
            profile_override("Sales_Admin", "Account", "Admin"),
            profile_override("Sales_Lead", "Lead", "Admin"),
            profile_override("Sales_Phone", "Account", "Admin", form_factor="Small"),
        ),
    )
    service = app_file(override("Service_Account", target="Account"))
    valid(account, sales, service)
    # Apps are read in name order, whatever order they come in.
    found = assignments({"Account": account}, {"Service": service, "Sales": sales})
    assert found == [
        PageAssignment("Account", "Account_Record_Page", "org_default"),
        PageAssignment("Account", "Sales_Account", "app_default", "Sales"),
        PageAssignment(
            "Account",
            "Sales_Customer",
            "app_record_type_profile",
            "Sales",
            "Account.Customer",
            "Sales",
        ),
        PageAssignment("Account", "Sales_Admin", "app_record_type_profile", "Sales", None, "Admin"),
        PageAssignment("Account", "Service_Account", "app_default", "Service"),
    ]


def test_an_app_override_without_an_object_is_left_out():
    app = app_file(override("Floating_Page"))
    found = assignments({"Account": None}, {"Sales": app})
    assert found == [PageAssignment("Account", None, "org_default")]


def test_every_configured_object_gets_its_org_default():
    account = sobject_file(override("Account_Record_Page"))
    found = assignments({"Account": account, "Contact": None}, {})
    assert found == [
        PageAssignment("Account", "Account_Record_Page", "org_default"),
        PageAssignment("Contact", None, "org_default"),
    ]


def test_where_and_json_name_each_level():
    org = PageAssignment("Account", "Account_Record_Page", "org_default")
    app = PageAssignment("Account", "Sales_Account", "app_default", "Sales")
    profile = PageAssignment(
        "Account", "Sales_Customer", "app_record_type_profile", "Sales", "Account.Customer", "Sales"
    )
    any_type = PageAssignment(
        "Account", "Sales_Admin", "app_record_type_profile", "Sales", None, "Admin"
    )
    local = PageAssignment("Account", "Account_Local", "unassigned_here")
    assert org.where == "org default"
    assert app.where == "app Sales"
    assert profile.where == "app Sales, record type Account.Customer, profile Sales"
    assert any_type.where == "app Sales, record type (any), profile Admin"
    assert local.where == "no assignment in this project"
    assert profile.to_json() == {
        "object": "Account",
        "page": "Sales_Customer",
        "level": "app_record_type_profile",
        "app": "Sales",
        "record_type": "Account.Customer",
        "profile": "Sales",
        "where": "app Sales, record type Account.Customer, profile Sales",
    }
    assert PageAssignment("Contact", None, "org_default").to_json() == {
        "object": "Contact",
        "page": "(system default)",
        "level": "org_default",
        "app": None,
        "record_type": None,
        "profile": None,
        "where": "org default",
    }


def test_pages_in_use_groups_assignments_by_page():
    org = PageAssignment("Account", "Account_Record_Page", "org_default")
    system = PageAssignment("Contact", None, "org_default")
    app = PageAssignment("Account", "Sales_Account", "app_default", "Sales")
    again = PageAssignment(
        "Account", "Account_Record_Page", "app_record_type_profile", "Sales", None, "Admin"
    )
    used = pages_in_use([org, system, app, again])
    assert used == {"Account_Record_Page": [org, again], "Sales_Account": [app]}
    assert list(used) == ["Account_Record_Page", "Sales_Account"]
    assert pages_in_use([]) == {}
