"""Apply the setup to a local project, for teams whose pipeline deploys from git.

Works on an sfdx project (``sfdx-project.json``, ``*-meta.xml``) or a Metadata API
folder (``package.xml``, ``layouts/*.layout``, ``settings/Security.settings``).
Everything is computed and validated first; files are written only when all of
them pass, so a bad merge never leaves the project half-edited.

The project is input we do not control (a repo, a colleague's branch), so it is
read defensively: a malformed ``sfdx-project.json``, ``package.xml``, object,
layout or settings file is refused naming the file; package directories must
lie inside the project; nothing is written through a symlink; and in a Metadata
API folder only the top-level ``layouts/`` and ``settings/`` are patched, a
nested copy such as ``zz_backup/layouts/`` is reported and left alone.

What apply made is recorded in the project's ledger (``source_ledger``): only a section
or range listed there is ours, to update, or to remove once the config drops it; a
"Totango" section or range an admin made by hand is left as it is, and the run says so.

Real repositories hold files retrieved at older API versions, with elements today's
schema lacks. A merge is judged by the errors it adds: errors a file already had are
reported as warnings (``file:line``) and the file is still written; only an error our
change introduces refuses the run. Lines the merge does not change are written back
byte for byte (``text_splice``), so the git diff shows our change and nothing else.
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.errors import BadInput
from tasks.totango_sf.merge.layout import LayoutPatchError
from tasks.totango_sf.merge.layout_ownership import SectionPlan, plan_section, take_out_section
from tasks.totango_sf.merge.record_page_plan import plan_record_pages
from tasks.totango_sf.merge.security import (
    SecurityPatchError,
    add_ip_ranges,
    hand_made_ranges,
    ip_ranges_in,
    owned_stale_ranges,
    range_key,
    remove_ip_ranges,
)
from tasks.totango_sf.merge.source_ledger import (
    LEDGER_FILE,
    LedgerUnreadable,
    SourceLedger,
    read_ledger,
)
from tasks.totango_sf.merge.text_splice import splice
from tasks.totango_sf.merge.widget import widget_section_for
from tasks.totango_sf.metadata.components import Component, mdapi_files, source_files
from tasks.totango_sf.metadata.file_set import one_writer_at_a_time, write_all
from tasks.totango_sf.metadata.order import insert_in_schema_order
from tasks.totango_sf.metadata.package_xml import package_xml
from tasks.totango_sf.metadata.paths import UnsafePath, no_symlink_between
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import load_schema
from tasks.totango_sf.metadata.validation import (
    FileProblem,
    SchemaValidationError,
    is_metadata_file,
    validate_file,
)
from tasks.totango_sf.metadata.xml import canonical_bytes, md
from tasks.totango_sf.render.plan import build_plan

ProjectFormat = Literal["source", "mdapi"]
Change = Literal["created", "updated", "patched", "unchanged"]

LAYOUT_SUFFIX = {"source": ".layout-meta.xml", "mdapi": ".layout"}
# Files the record-page plan reads, by the Metadata API folder and suffix it knows them by.
RECORD_PAGE_FILES = {
    "flexipages": {"source": ".flexipage-meta.xml", "mdapi": ".flexipage"},
    "applications": {"source": ".app-meta.xml", "mdapi": ".app"},
    "objects": {"source": ".object-meta.xml", "mdapi": ".object"},
}
SECURITY_FILE = {"source": "Security.settings-meta.xml", "mdapi": "Security.settings"}


class ApplySourceError(BadInput):
    """The folder is not a project this command can edit."""


class PlaceholderRangesError(ApplySourceError):
    """The config still holds the documentation IP list, and the user did not allow it."""


PLACEHOLDER_REFUSAL = (
    "trusted_ip_ranges.addresses still holds the documentation placeholders"
    " (RFC 5737/3849); replace them with Totango's published IP list, or pass"
    " --allow-placeholders to write them anyway"
)


@dataclass(frozen=True)
class FileChange:
    path: str
    change: Change
    detail: str = ""


@dataclass
class ApplyResult:
    project_format: ProjectFormat
    changes: list[FileChange]
    warnings: list[str] = field(default_factory=list)
    # The repository's own API version (sourceApiVersion or package.xml's version).
    project_api_version: str | None = None
    # Schema errors the files had before the merge: reported, not refused.
    existing_problems: list[FileProblem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.change != "unchanged" for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.project_format,
            "changed": self.changed,
            "files": [c.__dict__ for c in self.changes],
            "project_api_version": self.project_api_version,
            "existing_schema_errors": [
                {"path": p.path, "line": p.line, "message": p.message}
                for p in self.existing_problems
            ],
            "warnings": self.warnings,
        }


def detect_format(root: Path) -> ProjectFormat:
    if (root / "sfdx-project.json").exists():
        return "source"
    if (root / "package.xml").exists() or (root / "layouts").is_dir():
        return "mdapi"
    raise ApplySourceError(
        "neither an sfdx project (no sfdx-project.json) nor a Metadata API folder"
        " (no package.xml or layouts/)"
    )


def _read_project_file(root: Path) -> Any:
    path = root / "sfdx-project.json"
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise ApplySourceError("sfdx-project.json is not UTF-8 text") from None
    except ValueError as exc:
        raise ApplySourceError(f"sfdx-project.json is not valid JSON: {exc}") from None
    except OSError as exc:
        raise ApplySourceError(f"sfdx-project.json cannot be read: {exc.strerror}") from None


def package_dirs(root: Path) -> list[Path]:
    """The package directories of sfdx-project.json, the default one first.

    Each must be a relative path that stays inside the project once symlinks are
    resolved: the command writes only inside the folder it was given.
    """
    project = _read_project_file(root)
    entries = project.get("packageDirectories") if isinstance(project, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ApplySourceError(
            "sfdx-project.json: packageDirectories must be a non-empty list of"
            ' {"path": ...} entries'
        )
    inside = root.resolve()
    dirs: list[tuple[bool, Path]] = []
    for index, entry in enumerate(entries):
        where = f"sfdx-project.json: packageDirectories[{index}]"
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not path.strip():
            raise ApplySourceError(f"{where}.path must be a non-empty string")
        candidate = root / path
        if Path(path).is_absolute() or not candidate.resolve().is_relative_to(inside):
            raise ApplySourceError(f"{where}.path {path!r} is outside the project")
        dirs.append((not entry.get("default"), candidate))
    return [d for _, d in sorted(dirs, key=lambda pair: pair[0])]


def default_package_dir(root: Path) -> Path:
    dirs = package_dirs(root)
    if not dirs:
        raise ApplySourceError("sfdx-project.json lists no packageDirectories")
    return dirs[0] / "main" / "default"


def search_roots(root: Path, project_format: ProjectFormat) -> list[Path]:
    """Where existing layouts and settings live: package dirs, or the mdapi folder."""
    if project_format == "mdapi":
        return [root]
    return [d for d in package_dirs(root) if d.is_dir()]


def layout_name(path: Path, project_format: ProjectFormat) -> str:
    return path.name.removesuffix(LAYOUT_SUFFIX[project_format])


# In a Metadata API folder each type has one folder at the top (layouts/, settings/);
# the same names deeper down are copies (backups, other packages) a deploy of this
# folder would never read.
MDAPI_FOLDER = {
    ".layout": "layouts",
    "Security.settings": "settings",
    ".flexipage": "flexipages",
    ".app": "applications",
    ".object": "objects",
}


def _is_mdapi_place(root: Path, path: Path, pattern: str) -> bool:
    folder = next(v for k, v in MDAPI_FOLDER.items() if pattern.endswith(k))
    return path.parent == root / folder


def _walk(base: Path, pattern: str) -> list[Path]:
    """Files under ``base`` matching ``pattern``; a symlinked folder is refused, not followed."""
    found = []
    for parent, dirs, names in os.walk(base, followlinks=False):
        for name in dirs:
            if Path(parent, name).is_symlink():
                raise ApplySourceError(
                    f"{Path(parent, name)} is a symlink to a folder; apply neither reads"
                    " nor writes through symlinks"
                )
            if fnmatch.fnmatchcase(name, pattern):
                raise ApplySourceError(f"{Path(parent, name)} is a folder, not a metadata file")
        found += [Path(parent, n) for n in names if fnmatch.fnmatchcase(n, pattern)]
    return sorted(found)


def find_files(
    root: Path, project_format: ProjectFormat, pattern: str, ignored: list[str] | None = None
) -> list[Path]:
    """Files matching ``pattern``; a duplicate or misplaced copy goes to ``ignored``."""
    found = [p for base in search_roots(root, project_format) for p in _walk(base, pattern)]
    kept: list[Path] = []
    names: set[str] = set()
    for path in sorted(found, key=lambda p: len(p.parts)):
        misplaced = project_format == "mdapi" and not _is_mdapi_place(root, path, pattern)
        if misplaced or path.name in names:
            if ignored is not None:
                ignored.append(str(path.relative_to(root)))
            continue
        names.add(path.name)
        kept.append(path)
    return sorted(kept)


def find_layouts(
    root: Path, project_format: ProjectFormat, ignored: list[str] | None = None
) -> dict[str, Path]:
    found = find_files(root, project_format, f"*{LAYOUT_SUFFIX[project_format]}", ignored)
    return {layout_name(p, project_format): p for p in found}


def merge_object_fields(existing: bytes, fields_file: bytes) -> bytes:
    """Put our ``fields`` into an existing .object file, replacing same-named ones."""
    root = parse_xml(existing)
    by_name = {f.findtext(md("fullName")): f for f in root.findall(md("fields"))}
    for new in parse_xml(fields_file).findall(md("fields")):
        current = by_name.get(new.findtext(md("fullName")))
        if current is not None:
            current.getparent().replace(current, new)
        else:
            insert_in_schema_order(root, new, "CustomObject")
    return canonical_bytes(root)


def merge_package_xml(existing: bytes | None, members: list[tuple[str, str]], api: str) -> bytes:
    pairs = list(members)
    version = api
    if existing:
        root = parse_xml(existing)
        version = root.findtext(md("version")) or api
        for types in root.findall(md("types")):
            name = types.findtext(md("name")) or ""
            pairs += [(name, m.text or "") for m in types.findall(md("members"))]
    return package_xml(pairs, version)


def _component_files(
    components: list[Component], root: Path, project_format: ProjectFormat
) -> dict[Path, bytes]:
    if project_format == "source":
        base = default_package_dir(root)
        prefix = "force-app/main/default/"
        return {
            base / rel.removeprefix(prefix): data for rel, data in source_files(components).items()
        }
    files: dict[Path, bytes] = {}
    for rel, data in mdapi_files(components).items():
        target = root / rel
        if rel.startswith("objects/") and target.exists():
            data = _read_xml(root, target, merge_object_fields, data)
        files[target] = data
    return files


def _read_xml(root: Path, path: Path, merge: Any, argument: Any) -> bytes:
    """``merge(current bytes, argument)``; any unreadable or malformed file names itself."""
    return bytes(_read_with(root, path, merge, argument))


def _read_with(root: Path, path: Path, merge: Any, *arguments: Any) -> Any:
    """``merge(current bytes, *arguments)``, whatever it returns; errors name the file."""
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    try:
        return merge(path.read_bytes(), *arguments)
    except (LayoutPatchError, SecurityPatchError) as exc:
        raise ApplySourceError(f"{shown}: {exc}") from None
    except etree.XMLSyntaxError as exc:
        raise ApplySourceError(f"{shown} is not well-formed metadata XML: {exc}") from None
    except OSError as exc:
        raise ApplySourceError(f"{shown} cannot be read: {exc.strerror or exc}") from None


def desired_files(
    config: TotangoConfig, root: Path, project_format: ProjectFormat
) -> tuple[dict[Path, bytes], dict[Path, str], list[str]]:
    """Every file's wanted content, what each patch does, and warnings."""
    plan = build_plan(config)
    warnings = list(plan.warnings)
    files = _component_files(plan.components, root, project_format)
    details = {path: "" for path in files}
    members = [c.key for c in plan.components]

    ignored: list[str] = []
    layouts = find_layouts(root, project_format, ignored)
    ledger = _ledger(root)
    ours = SourceLedger()
    for pattern in config.unmatched_layout_patterns(layouts):
        warnings.append(f"no layout in {root} matches widget.layouts entry {pattern!r}")
    matching = config.matching_layouts(layouts)
    for name, object_name in matching.items():
        rel = layouts[name].relative_to(root).as_posix()
        section = widget_section_for(config, object_name)
        layout_plan: SectionPlan = _read_with(
            root, layouts[name], plan_section, section, ledger.sections.get(rel)
        )
        files[layouts[name]] = layout_plan.layout
        details[layouts[name]] = layout_plan.note
        if layout_plan.action == "leave":
            warnings.append(f"{rel}: {layout_plan.note}")
        elif layout_plan.record is not None:
            ours.sections[rel] = layout_plan.record
            if layout_plan.record.origin == "created":
                details[layouts[name]] = f"section '{section.label}' with page {section.page}"
        members.append(("Layout", name))
    by_rel = {path.relative_to(root).as_posix(): path for path in layouts.values()}
    for rel, record in sorted(ledger.sections.items()):
        path = by_rel.get(rel)
        if rel in ours.sections or path is None or path in files:
            continue
        # Ours, on a layout widget.layouts no longer selects: taken out, as recorded.
        out, outcome, note = _read_with(root, path, take_out_section, record)
        files[path] = out
        details[path] = (
            f"removed our section {record.label!r}: the layout is no longer in widget.layouts"
        )
        warnings += [f"{rel}: {note}"] if note else []
        members.append(("Layout", layout_name(path, project_format)))

    pages, page_warnings = _record_pages(config, root, project_format, plan.components, ignored)
    warnings += page_warnings
    for path, (name, data, detail) in pages.items():
        files[path] = data
        details[path] = detail
        members.append(("FlexiPage", name))

    security = find_files(root, project_format, SECURITY_FILE[project_format], ignored)
    ranges = config.trusted_ip_ranges.ranges()
    if ranges and not security:
        warnings.append(
            "no Security.settings in the project: trusted IP ranges are not applied here"
            " (a deploy to an org merges them with the org's current ranges)"
        )
    for path in security:
        rel = path.relative_to(root).as_posix()
        owned = ledger.ranges.get(rel, [])
        merged, stale, kept = _read_with(root, path, _merge_ranges, ranges, owned)
        files[path] = merged
        ours.ranges[rel] = kept
        details[path] = f"{len(ranges)} trusted IP range(s) ensured" + (
            f"; removed {len(stale)} stale range(s) apply had added: "
            + ", ".join(str(r) for r in stale)
            if stale
            else ""
        )
        hand = _read_with(root, path, hand_made_ranges, config.trusted_ip_ranges.description, owned)
        warnings += [
            f"{rel}: found an existing range described {r.description!r} made by hand:"
            f" leaving it ({r.start}-{r.end})"
            for r in hand
        ]
        members.append(("Settings", "Security"))

    ledger_path = root / LEDGER_FILE
    if ledger_path.exists() or not ours.empty:
        files[ledger_path] = ours.to_bytes()
        details[ledger_path] = "what apply made here; keep it in version control"

    if project_format == "mdapi":
        package = root / "package.xml"
        if package.exists():
            files[package] = _read_xml(
                root, package, lambda data, m: merge_package_xml(data, m, config.api_version),
                members,
            )  # fmt: skip
        else:
            files[package] = merge_package_xml(None, members, config.api_version)
        details[package] = "members added"
    warnings += [
        f"{rel}: a second copy, or outside the folders a deploy reads; left unchanged"
        for rel in ignored
    ]
    return files, details, warnings


def _ledger(root: Path) -> SourceLedger:
    path = root / LEDGER_FILE
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ApplySourceError(f"{LEDGER_FILE} must be a plain file")
    try:
        return read_ledger(path.read_bytes() if path.exists() else None)
    except LedgerUnreadable as exc:
        raise ApplySourceError(str(exc)) from None
    except OSError as exc:
        raise ApplySourceError(f"{LEDGER_FILE} cannot be read: {exc.strerror}") from None


def _merge_ranges(
    data: bytes, ranges: list[Any], owned: list[tuple[str, str, str]]
) -> tuple[bytes, list[Any], list[tuple[str, str, str]]]:
    """The settings with our ranges ensured and our stale ones (per the ledger) removed;
    the ranges removed; the ranges of ours afterwards (the ledger's, and the new ones)."""
    stale = owned_stale_ranges(data, ranges, owned)
    merged = add_ip_ranges(remove_ip_ranges(data, stale), ranges)
    had = {range_key(r) for r in ip_ranges_in(data)}
    now = [range_key(r) for r in ip_ranges_in(merged)]
    kept = [key for key in now if key in set(owned) or key not in had]
    return merged, stale, kept


def project_api_version(root: Path, project_format: ProjectFormat) -> str | None:
    """``sourceApiVersion`` of sfdx-project.json, or the ``version`` of package.xml."""
    try:
        if project_format == "source":
            project = json.loads((root / "sfdx-project.json").read_text(encoding="utf-8"))
            version = project.get("sourceApiVersion") if isinstance(project, dict) else None
            return str(version) if version else None
        package = root / "package.xml"
        if package.exists():
            return parse_xml(package.read_bytes()).findtext(md("version"))
    except (ValueError, OSError):
        return None
    return None


def _messages(problems: list[FileProblem]) -> set[str]:
    # Line numbers move with every insert; the messages are what must not grow.
    return {p.message for p in problems}


def judge(
    originals: dict[Path, bytes | None], files: dict[Path, bytes], root: Path
) -> list[FileProblem]:
    """Errors the files had before (to report); raises when the merge adds one."""
    schema = load_schema()
    existing: list[FileProblem] = []
    added: list[FileProblem] = []
    for path, data in files.items():
        if not is_metadata_file(path.name):
            continue
        rel = str(path.relative_to(root))
        original = originals.get(path)
        before = validate_file(rel, original, schema) if original is not None else []
        after = validate_file(rel, data, schema)
        existing += before
        added += [p for p in after if p.message not in _messages(before)]
    if added:
        raise SchemaValidationError(added)
    return existing


def _well_formed(data: bytes, _: Any) -> bytes:
    parse_xml(data)
    return data


def _project_api_version(root: Path, project_format: ProjectFormat, default: str) -> str:
    """The version the project's files are written for: package.xml, sfdx-project.json."""
    try:
        if project_format == "mdapi" and (root / "package.xml").exists():
            return parse_xml((root / "package.xml").read_bytes()).findtext(md("version")) or default
        if project_format == "source":
            project = json.loads((root / "sfdx-project.json").read_text(encoding="utf-8"))
            return str(project.get("sourceApiVersion") or default)
    except (ValueError, OSError):
        pass
    return default


def _record_pages(
    config: TotangoConfig,
    root: Path,
    project_format: ProjectFormat,
    new: list[Component],
    ignored: list[str],
) -> tuple[dict[Path, tuple[str, bytes, str]], list[str]]:
    """Record pages of the project that get the widget component: path -> (name, file, what)."""
    paths: dict[str, Path] = {}
    found: dict[str, bytes] = {}
    for folder, suffixes in RECORD_PAGE_FILES.items():
        suffix = suffixes[project_format]
        for path in find_files(root, project_format, f"*{suffix}", ignored):
            rel = f"{folder}/{path.name.removesuffix(suffix)}{suffixes['mdapi']}"
            paths[rel] = path
            # Read through the same door as layouts: unreadable or malformed names itself.
            found[rel] = _read_xml(root, path, _well_formed, None)
    if not any(rel.startswith("flexipages/") for rel in found):
        return {}, []
    version = _project_api_version(root, project_format, config.api_version)
    pinned = config.model_copy(update={"api_version": version})
    shipped = [c.full_name for c in new if c.type == "ApexPage"]
    plan = plan_record_pages(pinned, found, shipped, local_project=True)
    changes = {}
    for name, data in plan.merged.items():
        widget = plan.widgets[name]
        changes[paths[f"flexipages/{name}.flexipage"]] = (
            name,
            data,
            f"record page component with page {widget.page}",
        )
    return changes, list(plan.warnings)


def check_writable(root: Path, paths: list[Path]) -> None:
    """Every target inside ``root`` and reached without a symlink; else refuse them all."""
    for path in paths:
        try:
            no_symlink_between(root, path)
        except UnsafePath as exc:
            raise ApplySourceError(str(exc)) from None


def _differs(path: Path, data: bytes) -> bool:
    return path.is_symlink() or not path.exists() or path.read_bytes() != data


def apply_to_source(
    config: TotangoConfig, root: Path, allow_placeholders: bool = False
) -> ApplyResult:
    project_format = detect_format(root)
    # Runs on one project take turns: the second reads what the first wrote.
    with one_writer_at_a_time(root):
        return _merge_and_write(config, root, project_format, allow_placeholders)


def _merge_and_write(
    config: TotangoConfig,
    root: Path,
    project_format: ProjectFormat,
    allow_placeholders: bool,
) -> ApplyResult:
    files, details, warnings = desired_files(config, root, project_format)
    # After reading the project, so a malformed project file is named first.
    if config.trusted_ip_ranges.uses_placeholders and not allow_placeholders:
        raise PlaceholderRangesError(PLACEHOLDER_REFUSAL)
    check_writable(root, [p for p, data in files.items() if _differs(p, data)])
    originals = {path: path.read_bytes() if path.exists() else None for path in files}
    reformatted = []
    for path, original in originals.items():
        if original is None or path.name == LEDGER_FILE:
            continue
        spliced = splice(original, canonical_or_none(original), files[path])
        files[path] = spliced.data
        if not spliced.preserved:
            reformatted.append(str(path.relative_to(root)))
    existing = judge(originals, files, root)
    warnings += [
        f"{p}: already in the file before apply (valid at the repository's API version?)"
        for p in existing
    ]
    warnings += [f"{rel}: rewritten in Salesforce's format" for rel in reformatted]
    version = project_api_version(root, project_format)
    if version and version != config.api_version:
        source = "sourceApiVersion" if project_format == "source" else "package.xml version"
        warnings.append(
            f"the project's {source} is {version} but api_version is {config.api_version}:"
            f" files are merged and checked against the {config.api_version} schema, so"
            f" elements that API {version} had and {config.api_version} lacks are reported,"
            " not refused"
        )
    changes = []
    changed: dict[Path, bytes] = {}
    for path, data in sorted(files.items()):
        before = originals[path]
        rel = str(path.relative_to(root))
        if before == data:
            changes.append(FileChange(rel, "unchanged"))
            continue
        kind: Change = "created" if before is None else ("patched" if details[path] else "updated")
        changes.append(FileChange(rel, kind, details[path]))
        changed[path] = data
    write_all(changed, originals)
    return ApplyResult(project_format, changes, warnings, version, existing)


def canonical_or_none(data: bytes) -> bytes:
    """The canonical form a merge starts from; the data itself when it does not parse."""
    try:
        return canonical_bytes(data)
    except etree.XMLSyntaxError:
        return data
