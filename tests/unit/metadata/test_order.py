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
from tasks.totango_sf.metadata.schema import MD_NS, MetadataSchema
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


def test_a_comment_at_the_insertion_point_is_stepped_over():
    # Comments have no schema position; they neither anchor nor block an insert.
    root = parse_xml(
        f'<SecuritySettings xmlns="{MD_NS}"><enableRequireHttpsConnection>x'
        "</enableRequireHttpsConnection><!-- kept --><?pi kept?><passwordPolicies>x"
        "</passwordPolicies><!-- last --></SecuritySettings>".encode()
    )
    assert insertion_index(root, "networkAccess", "SecuritySettings") == 1
    insert_in_schema_order(root, etree.Element(md("networkAccess")), "SecuritySettings")
    assert [c.tag if isinstance(c.tag, str) else "#" for c in root] == [
        md("enableRequireHttpsConnection"),
        md("networkAccess"),
        "#",
        "#",
        md("passwordPolicies"),
        "#",
    ]
    assert insertion_index(root, "singleSignOnSettings", "SecuritySettings") == 5


def test_ensure_child_in_a_file_without_namespace():
    root = parse_xml(b"<SecuritySettings><passwordPolicies/></SecuritySettings>")
    created = ensure_child(root, "networkAccess", "SecuritySettings")
    assert created.tag == "networkAccess"
    assert [c.tag for c in root] == ["networkAccess", "passwordPolicies"]


TOY_WSDL = """<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"><types>
  <xsd:schema targetNamespace="{ns}" elementFormDefault="qualified" xmlns:tns="{ns}">
    <xsd:complexType name="Metadata"><xsd:sequence>
      <xsd:element name="fullName" minOccurs="0" type="xsd:string"/>
    </xsd:sequence></xsd:complexType>
    <xsd:complexType name="ToySettings"><xsd:complexContent>
      <xsd:extension base="tns:Metadata"><xsd:sequence>
        <xsd:element name="zeta" minOccurs="0" type="xsd:string"/>
        <xsd:element name="alpha" minOccurs="0" type="xsd:string"/>
      </xsd:sequence></xsd:extension>
    </xsd:complexContent></xsd:complexType>
  </xsd:schema></types></definitions>"""


def test_every_insert_uses_the_schema_it_is_given(tmp_path):
    # Callers validate against another API version's schema (the v66 oracle, say);
    # the insert must follow that schema, not the bundled one.
    wsdl = tmp_path / "toy.wsdl"
    wsdl.write_text(TOY_WSDL.format(ns=MD_NS), encoding="utf-8")
    toy = MetadataSchema(wsdl)
    root = parse_xml(f'<ToySettings xmlns="{MD_NS}"><alpha>a</alpha></ToySettings>'.encode())
    assert insertion_index(root, "zeta", "ToySettings", toy) == 0
    insert_in_schema_order(root, etree.Element(md("zeta")), "ToySettings", toy)
    assert names(root) == ["zeta", "alpha"]
    batch = [etree.Element(md("fullName")) for _ in range(2)]
    insert_all_in_schema_order(root, batch, "ToySettings", toy)
    assert names(root) == ["fullName", "fullName", "zeta", "alpha"]
    fresh = parse_xml(f'<ToySettings xmlns="{MD_NS}"><alpha>a</alpha></ToySettings>'.encode())
    ensure_child(fresh, "zeta", "ToySettings", toy)
    assert names(fresh) == ["zeta", "alpha"]
    with pytest.raises(SchemaOrderError, match="no type 'ToySettings'"):
        insertion_index(fresh, "zeta", "ToySettings")


def region(*children: str) -> etree._Element:
    body = "".join(f"<{name}>x</{name}>" for name in children)
    return parse_xml(f'<flexiPageRegions xmlns="{MD_NS}">{body}</flexiPageRegions>'.encode())


def test_a_pre_49_region_orders_component_instances_where_item_instances_stand():
    # Before API 49.0 a FlexiPageRegion held componentInstances at the position of today's
    # itemInstances: a new one goes after the last of them, a new mode after them too.
    old = region("componentInstances", "componentInstances", "mode", "name", "type")
    insert_in_schema_order(old, etree.Element(md("componentInstances")), "FlexiPageRegion")
    assert names(old) == [
        "componentInstances",
        "componentInstances",
        "componentInstances",
        "mode",
        "name",
        "type",
    ]
    assert insertion_index(region("componentInstances", "name"), "mode", "FlexiPageRegion") == 1
    assert insertion_index(region("itemInstances", "name"), "mode", "FlexiPageRegion") == 1


def test_the_legacy_name_belongs_to_its_own_type_only():
    with pytest.raises(SchemaOrderError, match="no child element 'componentInstances'"):
        insertion_index(settings(), "componentInstances", "SecuritySettings")
