"""The setup config: YAML files, per-org overlays, and the validated model.

Every problem is reported as a ``ConfigError`` naming the file, the key path and
the bad value, before anything is rendered or sent.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tasks.totango_sf.config import insights as insights_catalogue
from tasks.totango_sf.config.errors import ConfigError
from tasks.totango_sf.config.ip_ranges import (
    BROAD_PREFIX,
    IpRange,
    IpRangeError,
    merge_ranges,
    parse_address_spec,
)
from tasks.totango_sf.config.names import (
    api_name_problem,
    custom_suffixed_name_problem,
    label_problem,
    object_name_problem,
    object_stem,
)
from tasks.totango_sf.config.schema_version import shipped_schema_version
from tasks.totango_sf.config.xml_text import xml_text_problems
from tasks.totango_sf.config.yaml_loader import read_yaml_mapping

DEFAULT_CONFIG_PATH = Path("orgconfig/totango.yml")

FieldType = Literal["Picklist", "Text", "Checkbox", "DateTime", "Date", "Percent", "Url", "Number"]


class _Strict(BaseModel):
    # strict: YAML's ``true`` is not a height of 1 px, nor ``1`` or ``"yes"`` a boolean;
    # a value of the wrong YAML type is refused instead of coerced.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _check(problem: str | None, value: str) -> str:
    if problem:
        raise ValueError(problem)
    return value


def _valid_object(value: str) -> str:
    return _check(object_name_problem(value), value)


def _valid_api_name(value: str) -> str:
    return _check(api_name_problem(value), value)


def _valid_address(value: str) -> str:
    try:
        parse_address_spec(value)
    except IpRangeError as exc:
        raise ValueError(str(exc)) from None
    return value


def _label_of_at_most(length: int) -> AfterValidator:
    return AfterValidator(lambda value: _check(label_problem(value, length), value))


ObjectName = Annotated[str, AfterValidator(_valid_object)]
ApiName = Annotated[str, AfterValidator(_valid_api_name)]
LongApiName = Annotated[str, AfterValidator(lambda v: _check(api_name_problem(v, 80), v))]
FieldApiName = Annotated[str, AfterValidator(lambda v: _check(custom_suffixed_name_problem(v), v))]
Label40 = Annotated[str, _label_of_at_most(40)]
Label80 = Annotated[str, _label_of_at_most(80)]
AddressSpec = Annotated[str, AfterValidator(_valid_address)]
NESTED_PATH_MARK = "@path "


class CreateRecordPageConfig(_Strict):
    """``widget.create_record_page``: ``true``/``false``, or this mapping.

    Assigning the created page as the org default changes the record page every
    user of the object sees (outside app and profile assignments), so it is a
    separate, explicit key and never implied by creating the page.
    """

    enabled: bool = Field(True, description="Create the page (implied by the mapping form).")
    assign_org_default: bool | list[ObjectName] = Field(
        False,
        description=(
            "Make the created page the org default record page (Lightning Experience"
            " desktop) of every object it is created for (true), or of the listed objects."
            " Changes what every user of the object sees where no app or profile"
            " assignment applies."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return {"enabled": value}
        if not isinstance(value, Mapping | CreateRecordPageConfig):
            raise ValueError("must be true, false or a mapping with assign_org_default")
        return value

    @field_validator("assign_org_default", mode="before")
    @classmethod
    def _assign(cls, value: Any) -> Any:
        # One clear message instead of one per member of the union.
        if not isinstance(value, bool | list):
            raise ValueError("must be true, false or a list of object API names")
        return value

    @model_validator(mode="after")
    def _needs_page(self) -> CreateRecordPageConfig:
        if self.assign_org_default and not self.enabled:
            raise ValueError(
                f"{NESTED_PATH_MARK}assign_org_default: no page is created (enabled is false),"
                " so there is none to assign"
            )
        if self.assign_org_default == []:
            raise ValueError(
                f"{NESTED_PATH_MARK}assign_org_default: an empty list assigns nothing: use false"
            )
        return self

    def assigns(self, object_name: str) -> bool:
        """Whether the page created for ``object_name`` becomes its org default."""
        if isinstance(self.assign_org_default, list):
            return self.enabled and object_name in self.assign_org_default
        return self.enabled and self.assign_org_default

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return {"anyOf": [{"type": "boolean"}, handler(core_schema)]}


class WidgetConfig(_Strict):
    """The "Totango" section holding a Visualforce page on each layout."""

    page: ApiName = Field(
        "Totango_Account_Insights",
        description="Visualforce page for Account; other objects use Totango_<Object>_Insights.",
    )
    # Factories here are lambdas, never the builtins dict or list: pydantic reads a
    # factory's signature, and a builtin's is parsed from text with tokenize, whose
    # first use compiles one very large regex (about 3% of an offline plan).
    pages: dict[ObjectName, ApiName] = Field(
        default_factory=lambda: {}, description="Page per object, overriding the default naming."
    )
    section_label: Label80 = Field("Totango", description="Label of the layout section.")
    height: int = Field(290, ge=1, le=2000, description="Height of the page in pixels.")
    layouts: list[str] | None = Field(
        None,
        description=(
            "Layout names or fnmatch globs over '<Object>-<Layout Name>'. Default: the"
            " standard layout of each insights object ('Account-Account Layout', ...;"
            " '<Object>__c-*' for custom objects)."
        ),
    )
    anchor_section: str | None = Field(
        None, description="Insert after the section with this label instead of after the last."
    )
    generate_page: bool = Field(
        True, description="Render our own Visualforce pages instead of using the package's."
    )
    record_pages: Literal["auto", "all", "none"] | list[str] = Field(
        "auto",
        description=(
            "Lightning record pages that get the widget as a Visualforce component: 'auto'"
            " (the assigned pages where the layout section would not show to every user: no"
            " Record Detail component, or some profile or record type gets a layout without"
            " the section), 'all' (every assigned page of the object), 'none', or a list of"
            " page API names or fnmatch globs."
        ),
    )
    record_page_region: str | None = Field(
        None,
        description=(
            "Region, facet or tab title of the record page that holds the component. Default:"
            " the 'sidebar' region, else 'rightsidebar', else 'main', else the last region."
        ),
    )
    record_page_position: Literal["first", "last"] = Field(
        "last", description="Where in that region the component goes: 'first' or 'last'."
    )
    create_record_page: CreateRecordPageConfig = Field(
        default_factory=lambda: CreateRecordPageConfig(enabled=False, assign_org_default=False),
        description=(
            "For an object whose users see the system default record page (which cannot be"
            " retrieved or edited), create a page holding the Record Detail and the widget:"
            " true, false, or a mapping with assign_org_default."
        ),
    )

    @field_validator("record_pages")
    @classmethod
    def _record_pages(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list):
            for pattern in value:
                if not re.fullmatch(r"[A-Za-z0-9_*?\[\]!]+", pattern):
                    raise ValueError(f"{pattern!r} is not a record page API name or glob")
            if not value:
                raise ValueError("an empty list selects no page: use 'none'")
        return value

    @field_validator("layouts")
    @classmethod
    def _layouts(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or []:
            obj, sep, name = pattern.partition("-")
            if not sep or not obj or not name:
                raise ValueError(f"{pattern!r} must look like '<Object>-<Layout Name>'")
        return value

    def page_for(self, object_name: str) -> str:
        if object_name in self.pages:
            return self.pages[object_name]
        if object_name == "Account":
            return self.page
        return f"Totango_{object_stem(object_name)}_Insights"


class InsightsField(_Strict):
    """One custom field; every key may be overridden from the config."""

    api_name: FieldApiName
    label: Label40
    type: FieldType
    description: str = ""
    help_text: str = ""
    length: int | None = Field(None, ge=1, le=255)
    precision: int | None = Field(None, ge=1, le=18)
    scale: int | None = Field(None, ge=0, le=17)
    picklist_values: list[str] = Field(default_factory=lambda: [])
    restricted: bool = False
    default_value: str | None = None
    formula: str | None = None
    enabled: bool = True

    @field_validator("help_text")
    @classmethod
    def _help(cls, value: str) -> str:
        if len(value) > 510:
            raise ValueError("must be at most 510 characters")
        return value

    @model_validator(mode="after")
    def _type_rules(self) -> InsightsField:
        if self.formula:
            return self
        if self.type == "Text" and self.length is None:
            raise ValueError(f"{self.api_name}: a Text field needs length (1-255)")
        if self.type in ("Number", "Percent"):
            if self.precision is None or self.scale is None:
                raise ValueError(f"{self.api_name}: a {self.type} field needs precision and scale")
            if self.scale > self.precision:
                raise ValueError(f"{self.api_name}: scale {self.scale} exceeds precision")
        if self.type == "Checkbox" and self.default_value not in ("true", "false"):
            raise ValueError(f"{self.api_name}: a Checkbox needs default_value 'true' or 'false'")
        if self.type == "Picklist" and self.restricted and not self.picklist_values:
            raise ValueError(f"{self.api_name}: a restricted picklist needs picklist_values")
        return self


class InsightsConfig(_Strict):
    objects: list[ObjectName] = Field(
        default_factory=lambda: ["Account", "Lead", "Opportunity"],
        description="Objects that receive the Totango Insights fields.",
    )
    fields: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {},
        description="Overrides of the built-in fields by API name; 'enabled: false' drops one.",
    )

    @field_validator("objects")
    @classmethod
    def _objects(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one object is needed")
        if len(set(value)) != len(value):
            raise ValueError("objects are listed twice")
        return value

    @model_validator(mode="after")
    def _fields_build(self) -> InsightsConfig:
        for name, spec in self._field_specs().items():
            try:
                InsightsField(**spec)
            except ValidationError as exc:
                first = exc.errors()[0]
                key = ".".join(str(p) for p in first["loc"])
                where = f"fields.{name}" + (f".{key}" if key else "")
                message = str(first["msg"]).removeprefix("Value error, ")
                raise ValueError(f"{NESTED_PATH_MARK}{where}: {message}") from None
        return self

    def _field_specs(self) -> dict[str, dict[str, Any]]:
        by_name = {f["api_name"]: dict(f) for f in insights_catalogue.BUILT_IN_FIELDS}
        for name, override in self.fields.items():
            by_name[name] = {**by_name.get(name, {}), **override, "api_name": name}
        return by_name

    def resolved_fields(self) -> list[InsightsField]:
        """The catalogue with overrides applied, in catalogue order, then new ones."""
        fields = [InsightsField(**spec) for spec in self._field_specs().values()]
        return [f for f in fields if f.enabled]


class TrustedIpRangesConfig(_Strict):
    description: str = Field("Totango", description="Description stored on each range.")
    addresses: list[AddressSpec] = Field(
        # Documentation addresses (RFC 5737 / RFC 3849): placeholders that the
        # toolkit refuses to send to an org until Totango's real list replaces them.
        default_factory=lambda: [
            "192.0.2.10",
            "198.51.100.0/28",
            "203.0.113.20-203.0.113.29",
            "2001:db8:7a:1::/64",
        ],
        description="Single IPs, 'a-b' ranges or CIDRs, IPv4 or IPv6.",
    )
    allow_broad: bool = Field(
        False, description="Allow ranges broader than a /16 (IPv4) or a /48 (IPv6)."
    )

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return _check(label_problem(value, 255) if value else None, value)

    @model_validator(mode="after")
    def _no_broad_ranges(self) -> TrustedIpRangesConfig:
        ranges = self.ranges()
        # The org-wide totals are unconfirmed: ``plan`` warns (config/ip_limits.py).
        if self.allow_broad:
            return self
        # The merged result, not each entry: two adjacent /16s become a /15.
        for rng in ranges:
            if not rng.is_broad:
                continue
            parts = [
                f"[{i}] {spec!r}"
                for i, spec in enumerate(self.addresses)
                if rng.covers(parse_address_spec(spec))
            ]
            prefix = BROAD_PREFIX[rng.family]
            made_of = f" (merged from {', '.join(parts)})" if len(parts) > 1 else ""
            where = parts[0].split(" ", 1)[0] if len(parts) == 1 else ""
            raise ValueError(
                f"{NESTED_PATH_MARK}addresses{where}: {rng} spans {rng.size:,}"
                f" addresses{made_of}, more than a /{prefix}; a broad trusted range turns"
                " off login challenges for everyone in it. Set"
                " trusted_ip_ranges.allow_broad: true if this is intended"
            )
        return self

    def ranges(self) -> list[IpRange]:
        """The configured ranges, with duplicates and overlaps merged."""
        return merge_ranges(parse_address_spec(s, self.description) for s in self.addresses)

    @property
    def uses_placeholders(self) -> bool:
        return any(r.is_documentation for r in self.ranges())


class ConnectedAppConfig(_Strict):
    name: str = Field("TotangoApp", description="Connected app installed by the package.")
    gateway: str = Field("Totango Gateway", description="OAuth app to install from OAuth Usage.")
    admin_approved: bool = Field(True, description="Require 'Admin approved users'.")
    profiles: list[str] = Field(
        default_factory=lambda: ["Standard User"], description="Profiles given the app."
    )


class TabConfig(_Strict):
    enabled: bool = True
    name: ApiName = Field("Totango", description="API name of the web tab.")
    label: Label40 = Field("Totango", description="Tab label.")
    url: str = Field("https://app.totango.com/", description="Address the web tab opens.")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https://[^\s/$.?#][^\s]*$", value):
            raise ValueError("must be an https:// address")
        return value


class PermissionSetConfig(_Strict):
    name: LongApiName = Field("Totango_Insights", description="API name of the permission set.")
    label: Label80 = Field("Totango Insights", description="Label of the permission set.")
    profiles: list[str] = Field(
        default_factory=lambda: ["Standard User", "System Administrator"],
        description="Active users of these profiles are assigned the permission set.",
    )


class IntegrationConfig(_Strict):
    """Totango's connection user, which the outbound integration job writes the fields as."""

    username: str | None = Field(
        None,
        description=(
            "Salesforce username of Totango's connection user; it is assigned the"
            " integration permission set. Unset: plan and doctor warn."
        ),
    )
    permission_set: LongApiName = Field(
        "Totango_Integration", description="API name of the integration permission set."
    )
    permission_set_label: Label80 = Field(
        "Totango Integration", description="Label of the integration permission set."
    )

    @field_validator("username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        # A Salesforce username has the form of an email address.
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("must be a Salesforce username (name@example.com)")
        return value


class PackageConfig(_Strict):
    version_id: str | None = Field(None, description="04t id of the Totango package version.")
    security_type: Literal["FULL", "NONE", "PUSH"] = Field(
        "FULL", description="FULL is 'Grant access to all users'."
    )

    @field_validator("version_id")
    @classmethod
    def _version_id(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"04t[A-Za-z0-9]{12}([A-Za-z0-9]{3})?", value):
            raise ValueError("is not a package version id (04t + 12 or 15 characters)")
        return value


class ReportsConfig(_Strict):
    enabled: bool = Field(True, description="Ship the 'Accounts by Totango Health' report.")
    folder: ApiName = Field("Totango_Reports", description="API name of the report folder.")


class TotangoConfig(_Strict):
    """The whole Totango setup for one org."""

    namespace: str = Field("", description="Managed package prefix; '' for none.")
    api_version: str = Field(
        "63.0",
        description=(
            "Metadata API version for retrieve and deploy; must be the version of the"
            " schema the toolkit validates against (63.0)."
        ),
    )
    widget: WidgetConfig = Field(default_factory=WidgetConfig)  # type: ignore[arg-type]
    insights: InsightsConfig = Field(default_factory=InsightsConfig)
    trusted_ip_ranges: TrustedIpRangesConfig = Field(default_factory=TrustedIpRangesConfig)  # type: ignore[arg-type]
    connected_app: ConnectedAppConfig = Field(default_factory=ConnectedAppConfig)  # type: ignore[arg-type]
    tab: TabConfig = Field(default_factory=TabConfig)  # type: ignore[arg-type]
    permission_set: PermissionSetConfig = Field(default_factory=PermissionSetConfig)  # type: ignore[arg-type]
    package: PackageConfig = Field(default_factory=PackageConfig)  # type: ignore[arg-type]
    integration: IntegrationConfig = Field(default_factory=IntegrationConfig)  # type: ignore[arg-type]
    reports: ReportsConfig = Field(default_factory=ReportsConfig)  # type: ignore[arg-type]

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if value and (problem := api_name_problem(value, 15)):
            raise ValueError(problem)
        return value

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        if not re.fullmatch(r"[1-9][0-9]\.0", value):
            raise ValueError("must look like '63.0'")
        shipped = shipped_schema_version()
        if value != shipped:
            raise ValueError(
                f"the toolkit validates every file against the Metadata API {shipped} schema"
                f" (simple-salesforce's metadata.wsdl), so it deploys only API {shipped};"
                f" {value} files would be checked against the wrong schema"
            )
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> TotangoConfig:
        fields = self.insights.resolved_fields()
        names = [f.api_name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{NESTED_PATH_MARK}insights.fields: duplicate API names")
        if self.integration.permission_set == self.permission_set.name:
            raise ValueError(
                f"{NESTED_PATH_MARK}integration.permission_set: must differ from"
                " permission_set.name (one grants read, the other edit)"
            )
        if self.widget.generate_page:
            for pattern in self.layout_patterns:
                obj = pattern.partition("-")[0]
                if not any(ch in obj for ch in "*?[") and obj not in self.insights.objects:
                    raise ValueError(
                        f"{NESTED_PATH_MARK}widget.layouts: {pattern!r} is a layout of {obj},"
                        " which is not in insights.objects, so there is no page to show on it"
                    )
        assigned = self.widget.create_record_page.assign_org_default
        for obj in assigned if isinstance(assigned, list) else []:
            if obj not in self.insights.objects:
                raise ValueError(
                    f"{NESTED_PATH_MARK}widget.create_record_page.assign_org_default: {obj} is"
                    " not in insights.objects, so no record page is created for it"
                )
        return self

    def page_reference(self, object_name: str) -> str:
        """How a layout names the widget page: ``ns__Page`` for a managed page."""
        page = self.widget.page_for(object_name)
        if self.namespace and not self.widget.generate_page:
            return f"{self.namespace}__{page}"
        return page

    @property
    def layout_patterns(self) -> list[str]:
        if self.widget.layouts is not None:
            return self.widget.layouts
        return [
            f"{obj}-*" if obj.endswith("__c") else f"{obj}-{obj} Layout"
            for obj in self.insights.objects
        ]

    def matching_layouts(self, layout_names: Iterable[str]) -> dict[str, str]:
        """Layout full name -> the object whose page it shows, for every glob match.

        With generated pages, a layout of an object outside insights.objects is
        skipped: there is no page for it to show.
        """
        names = sorted(layout_names)
        matched: dict[str, str] = {}
        for pattern in self.layout_patterns:
            for name in (n for n in names if fnmatch.fnmatchcase(n, pattern)):
                object_name = name.split("-", 1)[0]
                if object_name in self.insights.objects or not self.widget.generate_page:
                    matched.setdefault(name, object_name)
        return matched

    def unmatched_layout_patterns(self, layout_names: Iterable[str]) -> list[str]:
        names = list(layout_names)
        return [
            p for p in self.layout_patterns if not any(fnmatch.fnmatchcase(n, p) for n in names)
        ]

    def objects_for_layout_pattern(self, pattern: str) -> list[str]:
        obj = pattern.partition("-")[0]
        return [o for o in self.insights.objects if fnmatch.fnmatchcase(o, obj)]


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; any other value in the overlay replaces the base's."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_yaml(path: Path) -> dict[str, Any]:
    return read_yaml_mapping(path)


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _describe(error: Mapping[str, Any]) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    where = _key_path(tuple(error["loc"]))
    if message.startswith(NESTED_PATH_MARK):
        nested, _, message = message.removeprefix(NESTED_PATH_MARK).partition(": ")
        joiner = "" if nested.startswith("[") or where == "(top level)" else "."
        where = nested if where == "(top level)" else f"{where}{joiner}{nested}"
        return f"{where}: {message}"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    bad = error.get("input")
    shown = json.dumps(bad, default=str) if not isinstance(bad, Mapping) else None
    if shown is not None and len(shown) < 120 and shown not in message:
        return f"{where}: {message} (got {shown})"
    return f"{where}: {message}"


def build_config(data: Mapping[str, Any], source: str = "<config>") -> TotangoConfig:
    if problems := xml_text_problems(dict(data)):
        raise ConfigError(source, problems)
    try:
        return TotangoConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [_describe(e) for e in exc.errors()]) from None


def overlay_name_problem(org_name: str) -> str | None:
    """Why ``org_name`` cannot name an overlay beside the config (it would leave that
    folder, or is no file name at all); None when it can."""
    if any(c in org_name for c in "/\\") or any(ord(c) < 0x20 or c == "\x7f" for c in org_name):
        return f"{org_name!r} holds a path separator or a control character"
    if org_name.startswith("."):
        return f"{org_name!r} starts with '.'"
    return None


def overlay_path(config_path: Path, org_name: str) -> Path:
    """``orgconfig/<org>.yml`` beside the config; a name that would leave that folder
    (``../../evil``) is a ConfigError, never read."""
    if problem := overlay_name_problem(org_name):
        raise ConfigError(
            str(config_path), [f"org overlay name: {problem}; it names <org>.yml beside the config"]
        )
    return config_path.parent / f"{org_name}.yml"


def load_config(config_path: Path | None = None, org_name: str | None = None) -> TotangoConfig:
    """The base YAML (optional when it is the default path) plus the org's overlay."""
    path = config_path or DEFAULT_CONFIG_PATH
    data: dict[str, Any] = {}
    if config_path is not None or path.exists():
        data = read_yaml(path)
    sources = [str(path)]
    if org_name:
        overlay = overlay_path(path, org_name)
        if overlay.exists():
            data = deep_merge(data, read_yaml(overlay))
            sources.append(str(overlay))
    return build_config(data, " + ".join(sources))


def config_json_schema() -> dict[str, Any]:
    """The config's JSON Schema, committed as schemas/config.schema.json for editors."""
    # pydantic writes draft 2020-12; saying so lets editors and validators pick the dialect.
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **TotangoConfig.model_json_schema(),
    }
