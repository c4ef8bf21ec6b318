"""Validate a Metadata API deploy zip and apply it to a copy of the org, all or nothing."""

from __future__ import annotations

import copy
import io
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.org_emulator import catalog, field_security, flexipage_rules, org_own_files, rules
from tests.org_emulator.profile_deploy import overlay_profile
from tests.org_emulator.schema_check import Problem, check_document, check_page_markup
from tests.org_emulator.settings_merge import merge_settings
from tests.org_emulator.state import MD_NS, OrgState

_M = f"{{{MD_NS}}}"
DESTRUCTIVE = ("destructiveChangesPre.xml", "destructiveChanges.xml", "destructiveChangesPost.xml")
# Deleting a Lightning page that is in use: the words recorded in SFDO-Tooling/CumulusCI
# issue 136.
ACTIVE_PAGE_DELETE = (
    "You can't delete an active Lightning Page. Open the page in Lightning App Builder and"
    " click Activation to deactivate it."
)


@dataclass
class Message:
    """One DeployMessage (a componentSuccess or componentFailure)."""

    file_name: str
    full_name: str
    component_type: str | None
    success: bool
    problem: str | None = None
    problem_type: str | None = None
    line: int | None = None
    column: int | None = None
    created: bool = False
    changed: bool = False
    deleted: bool = False


@dataclass
class Outcome:
    successes: list[Message] = field(default_factory=list)
    failures: list[Message] = field(default_factory=list)
    total: int = 0
    error_message: str | None = None
    # DeployResult.errorStatusCode with error_message (UNKNOWN_EXCEPTION unless told).
    error_code: str | None = None
    new_state: OrgState | None = None

    @property
    def ok(self) -> bool:
        return not self.failures and self.error_message is None


@dataclass
class Component:
    type_name: str
    full_name: str
    files: dict[str, bytes]
    file_name: str  # the path reported in messages
    field_element: etree._Element | None = None  # for CustomField

    @property
    def key(self) -> tuple[str, str]:
        return (self.type_name, self.full_name)


@dataclass(frozen=True)
class ForcedFailure:
    """A fault: make one component fail with a chosen problem."""

    type_name: str
    full_name: str
    problem: str


def _fail(outcome: Outcome, comp_type, full_name, file_name, problem: Problem | str) -> None:
    if isinstance(problem, str):
        problem = Problem(0, 0, problem)
    outcome.failures.append(
        Message(
            file_name=file_name,
            full_name=full_name,
            component_type=comp_type,
            success=False,
            problem=problem.text,
            problem_type="Error",
            line=problem.line or None,
            column=problem.column or None,
        )
    )


def _read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    if "package.xml" not in files:
        # singlePackage=false zips nest everything under one folder.
        roots = {name.split("/", 1)[0] for name in files if "/" in name}
        if len(roots) == 1:
            root = roots.pop() + "/"
            files = {n[len(root) :]: b for n, b in files.items() if n.startswith(root)}
    return files


def parse_package(data: bytes) -> dict[str, list[str]]:
    root = parse_xml(data)
    members: dict[str, list[str]] = {}
    for types in root.findall(f"{_M}types"):
        name = (types.findtext(f"{_M}name") or "").strip()
        members.setdefault(name, []).extend(
            (m.text or "").strip() for m in types.findall(f"{_M}members")
        )
    return members


def count_components(zip_data: bytes) -> int:
    try:
        files = _read_zip(zip_data)
        listed = parse_package(files["package.xml"])
    except Exception:
        return 0
    return sum(len(v) for v in listed.values())


def run_deploy(
    state: OrgState,
    zip_data: bytes,
    *,
    ignore_warnings: bool = True,
    forced: tuple[ForcedFailure, ...] = (),
) -> Outcome:
    outcome = Outcome()
    try:
        files = _read_zip(zip_data)
    except zipfile.BadZipFile:
        outcome.error_message = "The zip file is not a valid zip archive."
        return outcome
    if "package.xml" not in files:
        _fail(outcome, None, "package.xml", "package.xml", "No package.xml found")
        return outcome
    package_problems = check_document(files["package.xml"], "Package")
    if package_problems:
        for problem in package_problems:
            _fail(outcome, None, "package.xml", "package.xml", problem)
        return outcome
    listed = parse_package(files["package.xml"])
    # The deploy's API version (package.xml <version>) decides version-bound rules.
    version = (parse_xml(files["package.xml"]).findtext(f"{_M}version") or "63.0").strip()
    for type_name in listed:
        if type_name not in catalog.KNOWN_TYPE_NAMES:
            _fail(
                outcome,
                None,
                "package.xml",
                "package.xml",
                f"Unknown type name '{type_name}' specified in package.xml",
            )
    components = _collect(files, outcome)
    _match_package(listed, components, outcome)
    outcome.total = len(components)
    _check_schema(components, outcome, version)
    deletions = _collect_deletions(files, state, outcome, ignore_warnings)
    if outcome.failures:
        return outcome
    view = state.copy_for_deploy()
    created = {c.key: not state.has(*c.key) for c in components.values()}
    for comp in components.values():
        _apply(view, comp)
    for type_name, full_name in deletions:
        view.remove(type_name, full_name)
    _sync_permission_set_records(view, components.values(), deletions)
    field_security.sync_field_permissions(view)
    for comp in components.values():
        for problem in _check_rules(view, comp, version):
            _fail(outcome, comp.type_name, comp.full_name, comp.file_name, problem)
    # destructiveChangesPre is carried out before the components are deployed
    # (Metadata API Developer Guide, "Deleting Components from an Organization"), so
    # what it deletes must be unused in the org as it was before this deploy.
    pre = _pre_deletions(files, deletions)
    before = _without(state, pre) if pre else view
    for type_name, full_name in deletions:
        users_in = before if (type_name, full_name) in pre else view
        users = _users_of(users_in, type_name, full_name)
        if type_name == "FlexiPage" and users:
            # A page an override assigns is an active Lightning page; the org's recorded
            # refusal (SFDO-Tooling/CumulusCI issue 136) names no user.
            _fail(outcome, type_name, full_name, "destructiveChanges.xml", ACTIVE_PAGE_DELETE)
            continue
        for user in users:
            _fail(
                outcome,
                type_name,
                full_name,
                "destructiveChanges.xml",
                f"This {type_name} is referenced elsewhere in salesforce.com. Remove the usage "
                f"and try again. : {user}",
            )
    for force in forced:
        comp = components.get((force.type_name, force.full_name))
        if comp is not None:
            _fail(outcome, comp.type_name, comp.full_name, comp.file_name, force.problem)
        elif (force.type_name, force.full_name) in deletions:
            _fail(
                outcome, force.type_name, force.full_name, "destructiveChanges.xml", force.problem
            )
    if outcome.failures:
        return outcome
    outcome.successes = [
        Message("package.xml", "package.xml", None, True, changed=True),
        *(
            _with_warning(
                Message(
                    c.file_name,
                    c.full_name,
                    c.type_name,
                    True,
                    created=created[c.key],
                    changed=not created[c.key],
                ),
                c,
            )
            for c in components.values()
        ),
        *(Message("destructiveChanges.xml", n, t, True, deleted=True) for t, n in deletions),
    ]
    outcome.new_state = view
    return outcome


def _with_warning(message: Message, comp: Component) -> Message:
    """A deployed component's warning (DeployMessage.problemType Warning), if any."""
    if comp.type_name == "Settings" and comp.full_name == "Security":
        data = next(iter(comp.files.values()), b"")
        warnings = rules.security_settings_warnings(data)
        if warnings:
            message.problem = "; ".join(warnings)
            message.problem_type = "Warning"
    return message


def _collect(files: dict[str, bytes], outcome: Outcome) -> dict[tuple[str, str], Component]:
    components: dict[tuple[str, str], Component] = {}
    for path, data in sorted(files.items()):
        if path == "package.xml" or path in DESTRUCTIVE:
            continue
        entry = catalog.classify(path)
        if entry is None:
            _fail(outcome, None, path, path, "Unknown file type; not a Metadata API file")
            continue
        key = (entry.type_name, entry.full_name)
        comp = components.setdefault(key, Component(*key, {}, path))
        comp.files[path] = data
        if entry.role != "meta":
            comp.file_name = path
        if entry.type_name == "CustomObject":
            _expand_fields(comp, data, components, outcome)
            _expand_children(comp, data, components)
    return components


def _expand_fields(obj: Component, data: bytes, components, outcome: Outcome) -> None:
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError:
        return  # the schema check reports it
    for field_el in root.findall(f"{_M}fields"):
        name = (field_el.findtext(f"{_M}fullName") or "").strip()
        full_name = f"{obj.full_name}.{name}"
        components[("CustomField", full_name)] = Component(
            "CustomField", full_name, {}, obj.file_name, field_element=field_el
        )


def _expand_children(obj: Component, data: bytes, components) -> None:
    """The object's other children (record types, list views, ...) as components of their
    own type, so package.xml may list them; they stay in the object's file."""
    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError:
        return  # the schema check reports it
    for tag, type_name in catalog.CHILD_ELEMENTS.items():
        if type_name == "CustomField":
            continue
        for child in root.findall(f"{_M}{tag}"):
            name = (child.findtext(f"{_M}fullName") or "").strip()
            full_name = f"{obj.full_name}.{name}"
            components[(type_name, full_name)] = Component(type_name, full_name, {}, obj.file_name)


def _listed_as(key: tuple[str, str]) -> tuple[str, str]:
    """package.xml names a folder under the type it holds (a ReportFolder as Report)."""
    type_name, name = key
    return (type_name.removesuffix("Folder"), name) if type_name.endswith("Folder") else key


def _folder_member(type_name: str, member: str) -> str:
    """A folder of an in-folder type (Report, Dashboard) is listed bare (``Totango_Reports``)
    or with a trailing slash (``Totango_Reports/``): Salesforce's sf CLI appends the slash
    "so the metadata API can identify it as a folder" (forcedotcom/source-deploy-retrieve
    pull request 1407, ``constructFullName`` in ``src/collections/componentSet.ts``), and
    real orgs deploy both."""
    info = catalog.TYPES.get(type_name)
    if info is not None and info.in_folder and member.endswith("/"):
        return member.rstrip("/")
    return member


def _match_package(listed: dict[str, list[str]], components, outcome: Outcome) -> None:
    by_listed_key = {_listed_as(k): k for k in components}
    present = set(by_listed_key)
    wanted: set[tuple[str, str]] = set()
    # The member as package.xml spelled it, for the messages.
    spelled: dict[tuple[str, str], str] = {}
    for type_name, members in listed.items():
        for member in members:
            if member == "*":
                wanted |= {k for k in present if k[0] == type_name}
            else:
                key = (type_name, _folder_member(type_name, member))
                wanted.add(key)
                spelled.setdefault(key, member)
    objects_listed = {n for t, n in wanted if t == "CustomObject"}
    for key in sorted(wanted - present):
        if key[0] in catalog.KNOWN_TYPE_NAMES:
            member = spelled.get(key, key[1])
            _fail(
                outcome,
                key[0],
                member,
                "package.xml",
                f"An object '{member}' of type {key[0]} was named in package.xml, "
                "but was not found in zipped directory",
            )
    for listed_key in sorted(present - wanted):
        key = by_listed_key[listed_key]
        comp = components[key]
        if key[0] in catalog.CHILD_TYPES:
            # Children ride along with a listed object; unlisted ones are not deployed.
            if key[1].split(".")[0] not in objects_listed:
                del components[key]
            continue
        if key[0] == "CustomObject" and any(
            t in catalog.CHILD_TYPES and n.startswith(f"{key[1]}.") for t, n in wanted
        ):
            continue  # the .object file only carries listed children
        _fail(
            outcome,
            key[0],
            key[1],
            comp.file_name,
            f"An object '{key[1]}' of type {key[0]} was found in the zipped directory, "
            "but was not named in package.xml",
        )


def _check_schema(components, outcome: Outcome, version: str = "63.0") -> None:
    for comp in list(components.values()):
        if comp.type_name == "CustomField":
            if comp.field_element is not None:
                sobject = comp.full_name.split(".")[0]
                for problem in rules.check_custom_field(sobject, comp.field_element):
                    _fail(outcome, "CustomField", comp.full_name, comp.file_name, problem)
            continue
        for path, data in comp.files.items():
            if comp.type_name == "ApexPage" and not path.endswith("-meta.xml"):
                problems = check_page_markup(data)
            elif comp.type_name == "FlexiPage":
                problems = flexipage_rules.schema_problems(data, version)
            else:
                problems = check_document(data, catalog.root_element(*comp.key))
            for problem in problems:
                _fail(outcome, comp.type_name, comp.full_name, path, problem)
        if comp.type_name == "ApexPage" and len(comp.files) != 2:
            _fail(
                outcome,
                "ApexPage",
                comp.full_name,
                comp.file_name,
                "An ApexPage needs both its .page file and its -meta.xml file",
            )


def _collect_deletions(files, state: OrgState, outcome: Outcome, ignore_warnings: bool):
    deletions = []
    for name in DESTRUCTIVE:
        if name not in files:
            continue
        for listed_type, members in parse_package(files[name]).items():
            for listed in members:
                # A folder is named under the type it holds (Report: Totango_Reports), as
                # in a package.xml (_listed_as, _folder_member).
                type_name, member = listed_type, _folder_member(listed_type, listed)
                folder = f"{listed_type}Folder"
                if not state.has(type_name, member) and state.has(folder, member):
                    type_name = folder
                if "__" in member.split(".")[-1].removesuffix("__c"):
                    _fail(outcome, type_name, member, name, "Cannot delete a managed component")
                elif state.has(type_name, member):
                    deletions.append((type_name, member))
                elif not ignore_warnings:
                    outcome.failures.append(
                        Message(
                            name,
                            member,
                            type_name,
                            False,
                            problem=f"No {type_name} named: {member} found",
                            problem_type="Warning",
                        )
                    )
    return deletions


def _pre_deletions(files, deletions) -> set[tuple[str, str]]:
    if "destructiveChangesPre.xml" not in files:
        return set()
    listed = parse_package(files["destructiveChangesPre.xml"])
    return {(t, n) for t, n in deletions if n in listed.get(t, [])}


def _without(state: OrgState, keys: set[tuple[str, str]]) -> OrgState:
    view = state.copy_for_deploy()
    for key in keys:
        view.remove(*key)
    return view


def _sync_permission_set_records(view: OrgState, components, deletions) -> None:
    """A deployed PermissionSet is also a PermissionSet record (what assignments point at)."""
    by_name = {r["Name"]: r["Id"] for r in view.rows("PermissionSet")}
    for comp in components:
        if comp.type_name == "PermissionSet" and comp.full_name not in by_name:
            label = comp.full_name
            for data in comp.files.values():
                label = parse_xml(data).findtext(f"{_M}label") or label
            view.insert(
                "PermissionSet",
                {
                    "Name": comp.full_name,
                    "Label": label,
                    "IsOwnedByProfile": False,
                    "ProfileId": None,
                    "NamespacePrefix": None,
                    "Type": "Regular",
                },
            )
    for type_name, full_name in deletions:
        if type_name == "PermissionSet" and full_name in by_name:
            view.delete("PermissionSet", by_name[full_name])


def _apply(view: OrgState, comp: Component) -> None:
    if comp.type_name in catalog.CHILD_TYPES and comp.type_name != "CustomField":
        return  # kept in its object's file, which the CustomObject component applies
    if comp.type_name == "CustomField":
        assert comp.field_element is not None
        element = copy.deepcopy(comp.field_element)
        view.put("CustomField", comp.full_name, {"": etree.tostring(element)})
    elif comp.type_name == "CustomObject":
        # Of the object's own settings only the record-page overrides are modelled.
        path = f"objects/{comp.full_name}.object"
        stored = (view.component("CustomObject", comp.full_name) or {}).get(path)
        merged = flexipage_rules.merge_object_overrides(stored, comp.files[path])
        view.put("CustomObject", comp.full_name, {path: merged} if merged else {})
    elif comp.type_name == "Profile":
        path = catalog.file_path("Profile", comp.full_name)
        merged = overlay_profile(view.metadata_xml("Profile", comp.full_name), comp.files[path])
        view.put("Profile", comp.full_name, {path: merged})
    elif comp.type_name == "Settings":
        path = catalog.file_path("Settings", comp.full_name)
        merged = merge_settings(view.metadata_xml("Settings", comp.full_name), comp.files[path])
        view.put("Settings", comp.full_name, {path: merged})
    else:
        view.put(comp.type_name, comp.full_name, comp.files)


def _check_rules(view: OrgState, comp: Component, version: str = "63.0") -> list[Problem]:
    data = next((d for p, d in comp.files.items() if not p.endswith(".page")), b"")
    if comp.type_name == "FlexiPage":
        return [
            *flexipage_rules.check_flexipage(view, data, version),
            *org_own_files.flexipage_problems(view, data),
        ]
    if comp.type_name == "Profile":
        return org_own_files.profile_problems(data)
    if comp.type_name == "CustomObject":
        return flexipage_rules.check_object_overrides(view, comp.full_name, data)
    if comp.type_name == "CustomApplication":
        return flexipage_rules.check_app_overrides(view, data)
    if comp.type_name == "Layout":
        return [
            *rules.check_layout(view, comp.full_name, data),
            *org_own_files.layout_problems(view, data),
        ]
    if comp.type_name == "PermissionSet":
        return rules.check_permission_set(view, data)
    if comp.type_name == "CustomTab":
        return rules.check_tab(view, data)
    if comp.type_name == "Settings" and comp.full_name == "Security":
        return rules.check_security_settings(data)
    if comp.type_name == "CustomField":
        sobject = comp.full_name.split(".")[0]
        if not rules.object_exists(view, sobject):
            return [Problem(0, 0, f"No such sObject type: {sobject}")]
    return []


def _users_of(view: OrgState, type_name: str, full_name: str) -> list[str]:
    """Components that still reference a deleted page or field (Salesforce refuses those)."""
    if type_name == "FlexiPage":
        # An assigned record page is active (ACTIVE_PAGE_DELETE has the org's words).
        return flexipage_rules.overrides_naming(view, full_name)
    if type_name not in ("ApexPage", "CustomField"):
        return []
    needle = (
        f" {full_name} found" if type_name == "ApexPage" else f".{full_name.split('.')[-1]} found"
    )
    users = []
    for layout in view.names("Layout"):
        data = view.metadata_xml("Layout", layout) or b""
        if any(needle in p.text for p in rules.check_layout(view, layout, data)):
            users.append(f"Layout - {layout}")
    for flexipage in view.names("FlexiPage") if type_name == "ApexPage" else []:
        data = view.metadata_xml("FlexiPage", flexipage) or b""
        problems = flexipage_rules.check_flexipage(view, data, "63.0")
        if any(needle in p.text for p in problems):
            users.append(f"FlexiPage - {flexipage}")
    for perm in view.names("PermissionSet"):
        data = view.metadata_xml("PermissionSet", perm) or b""
        if any(needle in p.text for p in rules.check_permission_set(view, data)):
            users.append(f"PermissionSet - {perm}")
    return users
