"""The plan: what the setup creates and patches, built from the config alone.

With an org, the deploy path replaces the patch entries by the merged layouts
and settings it retrieved; offline, patches carry the fragment the merge adds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.errors import local_file_error
from tasks.totango_sf.metadata.components import Component, mdapi_files, source_files
from tasks.totango_sf.metadata.file_set import write_all
from tasks.totango_sf.metadata.package_xml import package_xml_for
from tasks.totango_sf.metadata.paths import check_all, contained, no_symlink_between
from tasks.totango_sf.metadata.validation import require_valid
from tasks.totango_sf.render import out_dir as owned_out
from tasks.totango_sf.render.files import (
    render_components,
    render_ip_ranges_fragment,
    render_section_fragment,
)
from tasks.totango_sf.render.integration import render_integration_permission_set
from tasks.totango_sf.render.reports import render_reports

OutputFormat = Literal["mdapi", "source"]

PLACEHOLDER_WARNING = (
    "trusted_ip_ranges.addresses holds documentation placeholders (RFC 5737/3849);"
    " replace them with Totango's published IP list. Deploys refuse placeholders."
)
NO_INTEGRATION_USER_WARNING = (
    "integration.username is not set: the {permission_set} permission set is deployed but"
    " assigned to nobody, so Totango's integration job cannot write the insights fields"
    " until its connection user has it."
)
NO_PACKAGE_WARNING = (
    "package.version_id is not set; `install` needs the 04t id of the Totango package version."
)


@dataclass(frozen=True)
class Patch:
    """An edit to a file that already exists in the org or project."""

    type: str
    target: str
    summary: str
    fragment: bytes
    fragment_path: str


@dataclass
class Plan:
    config: TotangoConfig
    components: list[Component]
    patches: list[Patch]
    warnings: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, str]]:
        rows = [
            {"type": c.type, "name": c.full_name, "action": c.action, "summary": c.summary}
            for c in self.components
        ]
        rows += [
            {"type": p.type, "name": p.target, "action": "patch", "summary": p.summary}
            for p in self.patches
        ]
        return rows

    def table_rows(self) -> list[dict[str, str]]:
        """Like ``rows`` but with the custom fields of an object on one row."""
        return summarise_fields(self.rows())

    def to_json(self) -> dict[str, Any]:
        return {
            "api_version": self.config.api_version,
            "components": self.rows(),
            "warnings": self.warnings,
        }


def summarise_fields(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    grouped: dict[tuple[str, str], list[dict[str, str]]] = {}
    others = []
    for row in rows:
        if row["type"] == "CustomField":
            grouped.setdefault((row["name"].split(".")[0], row["action"]), []).append(row)
        else:
            others.append(row)
    field_rows = [
        {
            "type": "CustomField",
            "name": f"{obj} ({len(members)} fields)",
            "action": action,
            "summary": ", ".join(r["summary"].split(" (")[0] for r in members),
        }
        for (obj, action), members in grouped.items()
    ]
    return field_rows + others


def plan_warnings(config: TotangoConfig) -> list[str]:
    from tasks.totango_sf.config.ip_limits import totals_warning

    warnings = []
    if config.trusted_ip_ranges.uses_placeholders:
        warnings.append(PLACEHOLDER_WARNING)
    over = totals_warning(config.trusted_ip_ranges.ranges(), "trusted_ip_ranges.addresses")
    if over:
        warnings.append(over)
    if not config.package.version_id:
        warnings.append(NO_PACKAGE_WARNING)
    if not config.integration.username:
        warnings.append(
            NO_INTEGRATION_USER_WARNING.format(permission_set=config.integration.permission_set)
        )
    if not config.widget.generate_page and not config.namespace:
        warnings.append(
            "widget.generate_page is false but namespace is empty: layouts will reference"
            " unprefixed page names, which must already exist in the org."
        )
    return warnings


def layout_patches(config: TotangoConfig) -> list[Patch]:
    patches = []
    for pattern in config.layout_patterns:
        for object_name in config.objects_for_layout_pattern(pattern):
            page = config.page_reference(object_name)
            patches.append(
                Patch(
                    "Layout",
                    pattern,
                    f"add section '{config.widget.section_label}' with page {page}"
                    f" ({config.widget.height}px)",
                    render_section_fragment(config, object_name),
                    f"patches/layouts/{object_name}.section.xml",
                )
            )
    return patches


def settings_patch(config: TotangoConfig) -> list[Patch]:
    ranges = config.trusted_ip_ranges.ranges()
    if not ranges:
        return []
    return [
        Patch(
            "Settings",
            "Security",
            f"add {len(ranges)} trusted IP range(s), keeping the org's existing ones",
            render_ip_ranges_fragment(config),
            "patches/settings/Security.ip-ranges.xml",
        )
    ]


def build_plan(config: TotangoConfig) -> Plan:
    components = [
        *render_components(config),
        render_integration_permission_set(config),
        *render_reports(config),
    ]
    return Plan(
        config, components, layout_patches(config) + settings_patch(config), plan_warnings(config)
    )


def package_files(
    components: list[Component], api_version: str, output_format: OutputFormat
) -> dict[str, bytes]:
    """The deployable files of a package in the chosen format."""
    if output_format == "source":
        return source_files(components)
    files = mdapi_files(components)
    files["package.xml"] = package_xml_for(components, api_version)
    return dict(sorted(files.items()))


def plan_files(plan: Plan, output_format: OutputFormat) -> dict[str, bytes]:
    """Package under ``package/`` and the patch fragments under ``patches/``."""
    files = {
        f"package/{path}": data
        for path, data in package_files(
            plan.components, plan.config.api_version, output_format
        ).items()
    }
    for patch in plan.patches:
        files[patch.fragment_path] = patch.fragment
    return files


def write_files(files: dict[str, bytes], out_dir: Path, force: bool = False) -> list[Path]:
    """Validate every file, then make ``out_dir`` hold them in place of its last run's.

    Nothing is written when one file fails; files this command did not write refuse
    the run unless ``force`` (``out_dir.prepare``); the files land all or none
    (``write_all``).
    """
    require_valid(files)
    check_all(files)
    targets = {contained(out_dir, rel): data for rel, data in files.items()}
    try:
        with owned_out.taking_turns(out_dir):
            owned_out.prepare(out_dir, files, force=force)
            for target in targets:
                no_symlink_between(out_dir, target)
            write_all(targets)
            owned_out.record(out_dir, files)
    except OSError as exc:
        # A folder that cannot be one (under a file, in /proc or /sys, on a read-only
        # disk), or a disk that fills up: one line naming the place, not a traceback.
        raise local_file_error(exc, exc.filename or out_dir, "--out") from None
    return list(targets)
