from pathlib import Path

import pytest

from tasks.totango_sf.config.model import ConfigError, build_config, deep_merge, load_config


def problems_of(data) -> list[str]:
    with pytest.raises(ConfigError) as info:
        build_config(data)
    return info.value.problems


def test_defaults_reproduce_the_seed_article():
    cfg = build_config({})
    assert cfg.widget.page == "Totango_Account_Insights"
    assert cfg.widget.section_label == "Totango"
    assert cfg.widget.height == 290
    assert cfg.layout_patterns == [
        "Account-Account Layout",
        "Lead-Lead Layout",
        "Opportunity-Opportunity Layout",
    ]
    assert cfg.insights.objects == ["Account", "Lead", "Opportunity"]
    assert cfg.connected_app.name == "TotangoApp"
    assert cfg.connected_app.profiles == ["Standard User"]
    assert cfg.api_version == "63.0"
    labels = [f.label for f in cfg.insights.resolved_fields()]
    for label in [
        "Account Health",
        "Health Icon",
        "Health Profile",
        "Is Online",
        "Last Update",
        "License Utilization",
        "URL",
        "Usage Frequency",
        "Active Users Last 14 Days",
        "Engagement",
        "Engagement Change",
        "Insights",
    ]:
        assert label in labels
    health = next(f for f in cfg.insights.resolved_fields() if f.label == "Account Health")
    assert health.type == "Picklist" and health.restricted
    assert health.picklist_values == ["Good", "Average", "Poor"]


def test_default_ip_list_is_documentation_only_and_flagged():
    cfg = build_config({})
    assert cfg.trusted_ip_ranges.uses_placeholders
    assert all(r.is_documentation for r in cfg.trusted_ip_ranges.ranges())
    real = build_config({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}})
    assert not real.trusted_ip_ranges.uses_placeholders


def test_partial_config_keeps_other_defaults(tmp_path: Path):
    path = tmp_path / "totango.yml"
    path.write_text("widget:\n  height: 400\n")
    cfg = load_config(path)
    assert cfg.widget.height == 400
    assert cfg.widget.section_label == "Totango"


def test_org_overlay_is_deep_merged(tmp_path: Path):
    (tmp_path / "totango.yml").write_text("widget:\n  height: 400\n  section_label: Base\n")
    (tmp_path / "uat.yml").write_text("widget:\n  height: 500\nnamespace: tot\n")
    cfg = load_config(tmp_path / "totango.yml", "uat")
    assert (cfg.widget.height, cfg.widget.section_label, cfg.namespace) == (500, "Base", "tot")
    assert load_config(tmp_path / "totango.yml", "other").widget.height == 400


def test_deep_merge_replaces_lists_and_merges_mappings():
    assert deep_merge({"a": {"b": 1, "c": [1]}}, {"a": {"c": [2]}}) == {"a": {"b": 1, "c": [2]}}


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path):
    path = tmp_path / "broken.yml"
    path.write_text("widget:\n  height: 290\n  layouts: [a, b\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.source == str(path)
    assert "line 4" in info.value.problems[0] or "line 3" in info.value.problems[0]


def test_missing_explicit_file_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yml")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"widget": {"height": 0}}, "widget.height: Input should be greater than or equal to 1"),
        ({"widget": {"height": 2001}}, "widget.height: Input should be less than or equal to 2000"),
        ({"widget": {"heigth": 3}}, "widget.heigth: unknown key"),
        ({"widget": {"page": "Bad Page"}}, "widget.page: may contain only letters"),
        ({"widget": {"page": "A__B"}}, "widget.page: must not contain two consecutive"),
        ({"widget": {"section_label": "  "}}, "widget.section_label: must not be blank"),
        ({"widget": {"layouts": ["NoDash"]}}, "widget.layouts"),
        ({"insights": {"objects": ["Account", "Widget"]}}, "insights.objects[1]: is neither"),
        ({"insights": {"objects": ["My_Obj_c"]}}, "insights.objects[0]"),
        ({"insights": {"objects": ["Bad__Na__me__c"]}}, "insights.objects[0]"),
        (
            {"insights": {"fields": {"Totango_URL__c": {"label": ""}}}},
            "insights.fields.Totango_URL__c.label: must not be blank",
        ),
        (
            {"insights": {"fields": {"Totango_Insights__c": {"length": 300}}}},
            "insights.fields.Totango_Insights__c.length",
        ),
        (
            {"insights": {"fields": {"X_c": {"label": "X", "type": "Text", "length": 5}}}},
            "insights.fields.X_c.api_name: must end with __c",
        ),
        (
            {"insights": {"fields": {"A" * 41 + "__c": {"label": "x", "type": "Checkbox"}}}},
            "must be at most 40 characters",
        ),
        (
            {"insights": {"fields": {"Trailing___c": {"label": "x", "type": "Checkbox"}}}},
            "insights.fields.Trailing___c.api_name",
        ),
        (
            {"insights": {"fields": {"Score__c": {"label": "S", "type": "Number"}}}},
            "needs precision and scale",
        ),
        (
            {"insights": {"fields": {"Flag__c": {"label": "F", "type": "Checkbox"}}}},
            "needs default_value",
        ),
        (
            {
                "insights": {
                    "fields": {"Tier__c": {"label": "T", "type": "Picklist", "restricted": True}}
                }
            },
            "restricted picklist needs picklist_values",
        ),
        ({"trusted_ip_ranges": {"addresses": ["1.2.3"]}}, "trusted_ip_ranges.addresses[0]"),
        (
            {"trusted_ip_ranges": {"addresses": ["8.8.8.8", "10.0.0.9-10.0.0.1"]}},
            "trusted_ip_ranges.addresses[1]: range start 10.0.0.9 is after its end",
        ),
        (
            {"trusted_ip_ranges": {"addresses": ["10.0.0.1-2001:db8::1"]}},
            "not the same IP family",
        ),
        (
            {"trusted_ip_ranges": {"addresses": ["0.0.0.0/6"], "allow_broad": True}},
            "wider than Salesforce allows",
        ),
        (
            {"trusted_ip_ranges": {"addresses": ["2001::/31"], "allow_broad": True}},
            "wider than Salesforce allows",
        ),
        ({"trusted_ip_ranges": {"addresses": ["10.0.0.0/15"]}}, "more than a /16"),
        ({"tab": {"url": "http://insecure.example"}}, "tab.url: must be an https:// address"),
        ({"tab": {"label": "x" * 41}}, "tab.label: must be at most 40 characters"),
        ({"package": {"version_id": "033000000000001"}}, "package.version_id"),
        ({"api_version": "63"}, "api_version: must look like '63.0'"),
        ({"namespace": "bad ns"}, "namespace"),
        ({"widget": {"layouts": ["Case-Case Layout"]}}, "not in insights.objects"),
    ],
)
def test_every_error_names_the_key_path(data, expected):
    problems = problems_of(data)
    assert any(expected in p for p in problems), problems


def test_bad_value_is_shown():
    problems = problems_of({"widget": {"height": 5000}})
    assert "5000" in problems[0]


def test_broad_range_allowed_with_opt_in_and_overlaps_merged():
    cfg = build_config(
        {
            "trusted_ip_ranges": {
                "addresses": ["10.0.0.0/15", "10.0.0.7", "10.1.0.0-10.1.0.20", "10.0.0.7"],
                "allow_broad": True,
            }
        }
    )
    assert [str(r) for r in cfg.trusted_ip_ranges.ranges()] == ["10.0.0.0-10.1.255.255"]


def test_field_overrides_and_disabling():
    cfg = build_config(
        {
            "insights": {
                "fields": {
                    "Totango_Health_Profile__c": {"label": "Profile", "length": 100},
                    "Totango_Health_Icon__c": {"enabled": False},
                    "Totango_Tier__c": {"label": "Tier", "type": "Text", "length": 20},
                }
            }
        }
    )
    fields = {f.api_name: f for f in cfg.insights.resolved_fields()}
    assert fields["Totango_Health_Profile__c"].label == "Profile"
    assert fields["Totango_Health_Profile__c"].length == 100
    assert fields["Totango_Health_Profile__c"].type == "Text"
    assert "Totango_Health_Icon__c" not in fields
    assert fields["Totango_Tier__c"].length == 20


def test_custom_objects_are_allowed_and_get_their_own_page():
    cfg = build_config({"insights": {"objects": ["Account", "Renewal__c"]}})
    assert cfg.widget.page_for("Renewal__c") == "Totango_Renewal_Insights"
    assert cfg.widget.page_for("Account") == "Totango_Account_Insights"
    assert cfg.layout_patterns == ["Account-Account Layout", "Renewal__c-*"]


def test_namespace_prefixes_package_pages_only():
    managed = build_config({"namespace": "totango", "widget": {"generate_page": False}})
    assert managed.page_reference("Account") == "totango__Totango_Account_Insights"
    own = build_config({"namespace": "totango"})
    assert own.page_reference("Account") == "Totango_Account_Insights"
