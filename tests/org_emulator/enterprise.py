"""An enterprise-size org for the emulator, sized by arguments and built from real files.

Real orgs are far bigger than the seed: hundreds of profiles, dozens of record types per
object, hundreds of layouts, thousands of Lightning pages, a thousand custom fields on
Account and hundreds of trusted ranges. ``build_enterprise_state`` seeds the usual org
(``seed.build_state``) and adds, on top:

- layouts: copies of the corpus's real Account, Lead and Opportunity layouts
  (``../shared/corpus/layouts``), unchanged, under numbered names;
- Lightning pages: copies of the corpus's real record pages (``corpus/flexipages``):
  current and pre-49.0 formats, Dynamic Forms and Record Detail pages. A share is
  assigned to the configured objects in an app (app defaults and app + record type +
  profile assignments), the rest is unassigned or belongs to objects the setup does
  not configure (Contact, Case, custom objects), as in real orgs where most pages
  concern other objects. Only pages that an API 63.0 deploy accepts are assigned (the
  Visualforce pages they show are added to the org, available in Lightning);
- profiles: the corpus's real Admin profiles (their user permissions, class and page
  accesses), each with a layout assignment per object and record type and field
  permissions for every custom field;
- record types, list views and validation rules in the objects' files, and custom
  fields on each object (Text, Number, Checkbox, Picklist, Date, LongTextArea, formula);
- trusted IP ranges in Security.settings, descriptions from the corpus's real ranges.

The corpus is only read here; without ``../shared`` callers skip (``corpus_folder``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.org_emulator import catalog
from tests.org_emulator.flexipage_rules import check_flexipage, schema_problems
from tests.org_emulator.seed import build_state
from tests.org_emulator.state import MD_NS, OrgState

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
OBJECTS = ("Account", "Lead", "Opportunity")
# Objects whose pages an org holds beside the configured ones.
OTHER_OBJECTS = ("Contact", "Case", "Campaign", "Project__c", "Invoice__c")
APP = "Enterprise_Sales"
_M = f"{{{MD_NS}}}"


@dataclass(frozen=True)
class EnterpriseSize:
    profiles: int = 300
    record_types: int = 50  # per configured object
    layouts: int = 70  # per configured object
    flexipages: int = 2000
    fields: int = 1000  # on Account; a quarter of it on Lead and Opportunity
    ip_ranges: int = 300
    list_views: int = 40  # per configured object
    validation_rules: int = 25  # per configured object
    assigned_share: float = 0.05  # of the pages of the configured objects

    def describe(self) -> str:
        return (
            f"{self.profiles} profiles, {self.record_types} record types and"
            f" {self.layouts} layouts per object, {self.flexipages} FlexiPages,"
            f" {self.fields} fields on Account, {self.ip_ranges} trusted ranges"
        )


def corpus_folder() -> Path | None:
    """The real-metadata corpus, or None where ``../shared`` is absent."""
    return CORPUS if (CORPUS / "layouts").is_dir() else None


def build_enterprise_state(
    size: EnterpriseSize, corpus: Path | None = None, flavour: str = "sandbox"
) -> OrgState:
    corpus = corpus or corpus_folder()
    if corpus is None:
        raise FileNotFoundError("the corpus (../shared/corpus) is absent")
    state = build_state(flavour)
    fields = {obj: _field_names(obj, size.fields if obj == "Account" else size.fields // 4)
              for obj in OBJECTS}  # fmt: skip
    record_types = {obj: [f"RT_{i:03d}" for i in range(size.record_types)] for obj in OBJECTS}
    for obj in OBJECTS:
        _seed_object(state, obj, fields[obj], record_types[obj], size)
    layouts = _seed_layouts(state, corpus, size.layouts)
    profiles = _seed_profiles(state, corpus, size.profiles, layouts, record_types, fields)
    _seed_flexipages(state, corpus, size, profiles, record_types)
    _seed_ip_ranges(state, corpus, size.ip_ranges)
    state.metadata_version = 0
    return state


# -- objects -----------------------------------------------------------------------

FIELD_SHAPES = (
    "<type>Text</type><length>255</length>",
    "<type>Number</type><precision>18</precision><scale>2</scale>",
    "<defaultValue>false</defaultValue><type>Checkbox</type>",
    "<type>Picklist</type><valueSet><restricted>true</restricted><valueSetDefinition>"
    "<sorted>false</sorted><value><fullName>Gold</fullName><default>false</default>"
    "<label>Gold</label></value><value><fullName>Silver</fullName><default>false</default>"
    "<label>Silver</label></value></valueSetDefinition></valueSet>",
    "<type>Date</type>",
    "<length>32768</length><type>LongTextArea</type><visibleLines>3</visibleLines>",
    "<formula>TEXT(CreatedDate)</formula><type>Text</type><unique>false</unique>",
)


def _field_names(obj: str, count: int) -> list[str]:
    return [f"Ent_{obj[:3]}_{i:04d}__c" for i in range(count)]


def _field_xml(name: str, index: int) -> bytes:
    shape = FIELD_SHAPES[index % len(FIELD_SHAPES)]
    label = name.removesuffix("__c").replace("_", " ")
    return (
        f'<fields xmlns="{MD_NS}"><fullName>{name}</fullName>'
        f"<description>Enterprise field {index}</description><externalId>false</externalId>"
        f"<inlineHelpText>Kept by the {label} process</inlineHelpText><label>{label}</label>"
        f"<required>false</required><trackHistory>false</trackHistory>"
        f"<trackTrending>false</trackTrending>{shape}</fields>"
    ).encode()


def _seed_object(
    state: OrgState, obj: str, fields: list[str], record_types: list[str], size: EnterpriseSize
) -> None:
    path = f"objects/{obj}.object"
    base = (state.component("CustomObject", obj) or {}).get(path)
    root = parse_xml(base) if base else etree.Element(f"{_M}CustomObject", nsmap={None: MD_NS})
    parts = []
    for i in range(size.list_views):
        parts.append(
            f"<listViews><fullName>Ent_View_{i:03d}</fullName><columns>NAME</columns>"
            f"<columns>OWNER.ALIAS</columns><filterScope>Everything</filterScope><filters>"
            f"<field>CREATED_DATE</field><operation>equals</operation><value>LAST_N_DAYS:{i + 1}"
            f"</value></filters><label>Enterprise view {i}</label></listViews>"
        )
    for i, name in enumerate(record_types):
        parts.append(
            f"<recordTypes><fullName>{name}</fullName><active>true</active>"
            f"<description>Business unit {i}</description><label>{name.replace('_', ' ')}</label>"
            "</recordTypes>"
        )
    for i in range(size.validation_rules):
        parts.append(
            f"<validationRules><fullName>Ent_Rule_{i:03d}</fullName><active>true</active>"
            f"<errorConditionFormula>ISBLANK(Name) &amp;&amp; {i} &gt; 0</errorConditionFormula>"
            f"<errorMessage>Rule {i} refuses this record</errorMessage></validationRules>"
        )
    wrapper = parse_xml(f'<CustomObject xmlns="{MD_NS}">{"".join(parts)}</CustomObject>'.encode())
    root.extend(list(wrapper))
    state.put("CustomObject", obj, {path: etree.tostring(root, xml_declaration=True,
                                                         encoding="UTF-8")})  # fmt: skip
    for i, name in enumerate(fields):
        state.put("CustomField", f"{obj}.{name}", {"": _field_xml(name, i)})


# -- layouts -----------------------------------------------------------------------


def _corpus_files(corpus: Path, folder: str, pattern: str) -> list[Path]:
    return sorted(p for p in (corpus / folder).iterdir() if re.search(pattern, p.name))


def _seed_layouts(state: OrgState, corpus: Path, per_object: int) -> dict[str, list[str]]:
    """Copies of the corpus's real layouts; object -> every layout name (seeded ones first)."""
    names: dict[str, list[str]] = {}
    for obj in OBJECTS:
        real = _corpus_files(corpus, "layouts", rf"__{obj}-")
        own = [n for n in state.names("Layout") if n.startswith(f"{obj}-")]
        made = []
        for i in range(max(per_object - len(own), 0)):
            source = real[i % len(real)]
            name = f"{obj}-Enterprise Layout {i:03d}"
            path = catalog.file_path("Layout", name)
            state.put("Layout", name, {path: source.read_bytes()})
            made.append(name)
        names[obj] = own + made
    return names


# -- profiles ----------------------------------------------------------------------

_REGENERATED = ("fieldPermissions", "layoutAssignments", "recordTypeVisibilities",
                "objectPermissions")  # fmt: skip


def _seed_profiles(
    state: OrgState,
    corpus: Path,
    count: int,
    layouts: dict[str, list[str]],
    record_types: dict[str, list[str]],
    fields: dict[str, list[str]],
) -> list[str]:
    bases = []
    for source in _corpus_files(corpus, "profiles", r"\.profile"):
        root = parse_xml(source.read_bytes())
        bases.append(
            [
                c
                for c in root
                if isinstance(c.tag, str) and etree.QName(c).localname not in _REGENERATED
            ]  # fmt: skip
        )
    field_block = "".join(
        f"<fieldPermissions><editable>{str(i % 3 == 0).lower()}</editable>"
        f"<field>{obj}.{name}</field><readable>true</readable></fieldPermissions>"
        for obj in OBJECTS
        for i, name in enumerate(fields[obj])
    )
    names = []
    for p in range(count):
        name = f"Enterprise Profile {p:03d}"
        assignments = []
        visibilities = []
        for obj in OBJECTS:
            own = layouts[obj]
            assignments.append(f"<layoutAssignments><layout>{escape(own[p % len(own)])}"
                               "</layout></layoutAssignments>")  # fmt: skip
            for r, record_type in enumerate(record_types[obj]):
                layout = own[(p + r) % len(own)]
                assignments.append(
                    f"<layoutAssignments><layout>{escape(layout)}</layout>"
                    f"<recordType>{obj}.{record_type}</recordType></layoutAssignments>"
                )
                visibilities.append(
                    f"<recordTypeVisibilities><default>{str(r == 0).lower()}</default>"
                    f"<recordType>{obj}.{record_type}</recordType><visible>true</visible>"
                    "</recordTypeVisibilities>"
                )
        generated = parse_xml(
            f'<Profile xmlns="{MD_NS}">{field_block}{"".join(assignments)}'
            f"{''.join(visibilities)}</Profile>".encode()
        )
        children = [*bases[p % len(bases)], *generated]
        # The Profile sequence is alphabetical: a stable sort keeps each group's order.
        children.sort(key=lambda c: etree.QName(c).localname)
        root = etree.Element(f"{_M}Profile", nsmap={None: MD_NS})
        for child in children:
            root.append(_copy(child))
        path = catalog.file_path("Profile", name)
        state.put("Profile", name, {path: etree.tostring(root, xml_declaration=True,
                                                         encoding="UTF-8")})  # fmt: skip
        names.append(name)
    return names


def _copy(element: etree._Element) -> etree._Element:
    return parse_xml(etree.tostring(element))


# -- record pages --------------------------------------------------------------------


@dataclass(frozen=True)
class _CorpusPage:
    data: bytes
    sobject: str
    deployable: bool  # an API 63.0 deploy of it, with our component, would be accepted


def _page_sources(state: OrgState, corpus: Path) -> list[_CorpusPage]:
    pages = []
    for source in _corpus_files(corpus, "flexipages", r"\.flexipage"):
        data = source.read_bytes()
        root = parse_xml(data)
        if (root.findtext(f"{_M}type") or "").strip() != "RecordPage":
            continue
        for name in _visualforce_pages(root):
            _add_visualforce_page(state, name)
        problems = schema_problems(data, "63.0") + check_flexipage(state, data, "63.0")
        pages.append(_CorpusPage(data, (root.findtext(f"{_M}sobjectType") or "").strip(),
                                 not problems))  # fmt: skip
    return pages


def _visualforce_pages(root: etree._Element) -> list[str]:
    found = []
    for component in root.iter(f"{_M}componentInstance", f"{_M}componentInstances"):
        if (component.findtext(f"{_M}componentName") or "").strip() != "flexipage:visualforcePage":
            continue
        for prop in component.findall(f"{_M}componentInstanceProperties"):
            if (prop.findtext(f"{_M}name") or "").strip() == "pageName":
                found.append((prop.findtext(f"{_M}value") or "").strip())
    return [name for name in found if name]


def _add_visualforce_page(state: OrgState, name: str) -> None:
    if state.has("ApexPage", name):
        return
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ApexPage xmlns="{MD_NS}">'
        "<apiVersion>63.0</apiVersion><availableInTouch>true</availableInTouch>"
        f"<confirmationTokenRequired>false</confirmationTokenRequired><label>{name}</label>"
        "</ApexPage>\n"
    ).encode()
    path = catalog.file_path("ApexPage", name)
    state.put("ApexPage", name, {path: b"<apex:page/>", f"{path}-meta.xml": meta})


def _with_object(data: bytes, sobject: str, label: str) -> bytes:
    root = parse_xml(data)
    for tag, text in (("sobjectType", sobject), ("masterLabel", label)):
        element = root.find(f"{_M}{tag}")
        if element is not None:
            element.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _seed_flexipages(
    state: OrgState,
    corpus: Path,
    size: EnterpriseSize,
    profiles: list[str],
    record_types: dict[str, list[str]],
) -> None:
    """Pages of the configured objects (a share assigned) and of other objects."""
    sources = _page_sources(state, corpus)
    deployable = [s for s in sources if s.deployable]
    ours = size.flexipages * 2 // 5  # of the configured objects; the rest concern others
    assigned = max(int(ours * size.assigned_share), 1) if size.flexipages else 0
    overrides = []
    cycle = itertools.cycle(sources)
    for i in range(size.flexipages):
        pick = i < assigned and deployable
        source = deployable[i % len(deployable)] if pick else next(cycle)
        sobject = OBJECTS[i % len(OBJECTS)] if i < ours else OTHER_OBJECTS[i % len(OTHER_OBJECTS)]
        name = f"Ent_{sobject.removesuffix('__c')}_Page_{i:04d}"
        data = _with_object(source.data, sobject, f"{sobject} page {i}")
        state.put("FlexiPage", name, {catalog.file_path("FlexiPage", name): data})
        if i < assigned:
            overrides.append(_override(i, name, sobject, profiles, record_types[sobject]))
    if overrides:
        app = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomApplication xmlns="{MD_NS}">'
            f"{''.join(o for o in overrides if '<profile>' not in o)}"
            "<formFactors>Large</formFactors><label>Enterprise Sales</label>"
            "<navType>Standard</navType>"
            f"{''.join(o for o in overrides if '<profile>' in o)}"
            "<tabs>standard-Account</tabs><uiType>Lightning</uiType></CustomApplication>\n"
        ).encode()
        state.put("CustomApplication", APP, {catalog.file_path("CustomApplication", APP): app})


def _override(
    index: int, page: str, sobject: str, profiles: list[str], record_types: list[str]
) -> str:
    """The first page of each object is the app default; the others go to a profile and
    a record type each."""
    if index < len(OBJECTS):
        return (
            f"<actionOverrides><actionName>View</actionName><content>{page}</content>"
            "<formFactor>Large</formFactor><skipRecordTypeSelect>false</skipRecordTypeSelect>"
            f"<type>Flexipage</type><pageOrSobjectType>{sobject}</pageOrSobjectType>"
            "</actionOverrides>"
        )
    record_type = record_types[index % len(record_types)] if record_types else None
    profile = profiles[index % len(profiles)] if profiles else "Admin"
    rt = f"<recordType>{sobject}.{record_type}</recordType>" if record_type else ""
    return (
        f"<profileActionOverrides><actionName>View</actionName><content>{page}</content>"
        f"<formFactor>Large</formFactor><pageOrSobjectType>{sobject}</pageOrSobjectType>"
        f"{rt}<type>Flexipage</type><profile>{escape(profile)}</profile>"
        "</profileActionOverrides>"
    )


# -- trusted ranges ---------------------------------------------------------------------


def _seed_ip_ranges(state: OrgState, corpus: Path, count: int) -> None:
    descriptions = []
    for source in _corpus_files(corpus, "security", r"Security"):
        root = parse_xml(source.read_bytes())
        descriptions += [
            (d.text or "").strip() for d in root.iter(f"{_M}description") if (d.text or "").strip()
        ]
    descriptions = descriptions or ["Office"]
    path = catalog.file_path("Settings", "Security")
    root = parse_xml((state.component("Settings", "Security") or {})[path])
    access = root.find(f"{_M}networkAccess")
    if access is None:
        access = etree.SubElement(root, f"{_M}networkAccess")
    for i in range(count):
        # /28s in documentation-free public space, 16 addresses each: far under the
        # reported (unconfirmed) total of 16,777,216 IPv4 addresses.
        a, b = 23 + i // 4096, (i // 16) % 256
        c = (i % 16) * 16
        ranges = etree.SubElement(access, f"{_M}ipRanges")
        etree.SubElement(ranges, f"{_M}description").text = descriptions[i % len(descriptions)]
        etree.SubElement(ranges, f"{_M}end").text = f"{a}.{b}.{c}.15"
        etree.SubElement(ranges, f"{_M}start").text = f"{a}.{b}.{c}.0"
    state.put("Settings", "Security", {path: etree.tostring(root, xml_declaration=True,
                                                            encoding="UTF-8")})  # fmt: skip
