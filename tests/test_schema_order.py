import pytest
from lxml import etree

from tasks.totango_sf.metadata.order import (
    SchemaOrderError,
    ensure_child,
    insert_all_in_schema_order,
    insert_in_schema_order,
    insertion_index,
    schema_positions,
)
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MD_NS
from tasks.totango_sf.metadata.xml import local_name, md


def settings(*children: str) -> etree._Element:
    body = "".join(f"<{name}>x</{name}>" for name in children)
    return parse_xml(f'<SecuritySettings xmlns="{MD_NS}">{body}</SecuritySettings>'.encode())


def names(parent: etree._Element) -> list[str]:
    return [local_name(c) for c in parent]


def test_positions_follow_the_sequence_with_inherited_children_first():
    positions = schema_positions("LayoutItem")
    assert positions["height"] < positions["page"] < positions["showLabel"] < positions["width"]
    assert schema_positions("SecuritySettings")["fullName"] == 0


def test_insert_between_known_neighbours():
    root = settings("enableRequireHttpsConnection", "passwordPolicies", "sessionSettings")
    insert_in_schema_order(root, etree.Element(md("networkAccess")), "SecuritySettings")
    assert names(root) == [
        "enableRequireHttpsConnection",
        "networkAccess",
        "passwordPolicies",
        "sessionSettings",
    ]


def test_insert_first_when_every_known_sibling_comes_later():
    root = settings("passwordPolicies", "sessionSettings")
    insert_in_schema_order(root, etree.Element(md("networkAccess")), "SecuritySettings")
    assert names(root)[0] == "networkAccess"


def test_insert_last_when_every_sibling_comes_earlier():
    root = settings("canUsersGrantLoginAccess", "networkAccess")
    insert_in_schema_order(root, etree.Element(md("singleSignOnSettings")), "SecuritySettings")
    assert names(root)[-1] == "singleSignOnSettings"


def test_same_name_goes_after_the_last_of_its_kind():
    root = parse_xml(
        f'<Layout xmlns="{MD_NS}"><layoutSections><label>a</label></layoutSections>'
        f"<layoutSections><label>b</label></layoutSections><miniLayout/></Layout>".encode()
    )
    new = etree.Element(md("layoutSections"))
    insert_in_schema_order(root, new, "Layout")
    assert root.index(new) == 2


def test_unknown_siblings_never_move_and_new_element_follows_last_known_predecessor():
    # isTLSv12Required is gone from the 63.0 schema; old retrieves still hold it.
    root = settings(
        "enableRequireHttpsConnection",
        "isTLSv12Required",
        "isTLSv12RequiredCommunities",
        "passwordPolicies",
        "enableXssProtection",
        "sessionSettings",
    )
    insert_in_schema_order(root, etree.Element(md("networkAccess")), "SecuritySettings")
    assert names(root) == [
        "enableRequireHttpsConnection",
        "networkAccess",
        "isTLSv12Required",
        "isTLSv12RequiredCommunities",
        "passwordPolicies",
        "enableXssProtection",
        "sessionSettings",
    ]
    insert_in_schema_order(root, etree.Element(md("singleSignOnSettings")), "SecuritySettings")
    assert names(root)[-2:] == ["sessionSettings", "singleSignOnSettings"]
    insert_in_schema_order(root, etree.Element(md("redirectBlockModeEnabled")), "SecuritySettings")
    # After passwordPolicies, before the unknown element and sessionSettings.
    assert names(root)[5:7] == ["redirectBlockModeEnabled", "enableXssProtection"]


def test_only_unknown_siblings_puts_the_element_first():
    root = settings("isTLSv12Required", "enableXssProtection")
    assert insertion_index(root, "networkAccess", "SecuritySettings") == 0


def test_batch_insert_keeps_the_given_order():
    root = settings("networkAccess", "passwordPolicies")
    batch = [etree.Element(md("sessionSettings")) for _ in range(3)]
    for i, el in enumerate(batch):
        el.text = str(i)
    insert_all_in_schema_order(root, batch, "SecuritySettings")
    assert [c.text for c in root][2:] == ["0", "1", "2"]


def test_batch_refuses_mixed_names():
    with pytest.raises(SchemaOrderError, match="one element name"):
        insert_all_in_schema_order(
            settings(), [etree.Element(md("networkAccess")), etree.Element(md("x"))], "Layout"
        )


def test_unknown_child_or_type_is_refused():
    with pytest.raises(SchemaOrderError, match="no child element 'bogus'"):
        insert_in_schema_order(settings(), etree.Element(md("bogus")), "SecuritySettings")
    with pytest.raises(SchemaOrderError, match="no type"):
        insertion_index(settings(), "x", "NoSuchType")


def test_ensure_child_returns_existing_or_creates_at_position():
    root = settings("enableRequireHttpsConnection", "passwordPolicies")
    created = ensure_child(root, "networkAccess", "SecuritySettings")
    assert created.tag == md("networkAccess")
    assert names(root) == ["enableRequireHttpsConnection", "networkAccess", "passwordPolicies"]
    assert ensure_child(root, "networkAccess", "SecuritySettings") is created
    assert len(root) == 3
