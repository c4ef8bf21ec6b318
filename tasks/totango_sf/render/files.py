"""Jinja2 rendering of every metadata file the toolkit creates.

Autoescape is on for all templates, so labels holding ``<``, ``&`` or ``{{`` come
out as text: values are data, never template source.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

from tasks.totango_sf.config.insights import HEALTH_COLOURS, HEALTH_FIELD
from tasks.totango_sf.config.model import InsightsField, TotangoConfig
from tasks.totango_sf.metadata.components import Component
from tasks.totango_sf.metadata.schema import toolkit_cache_dir
from tasks.totango_sf.metadata.xml import canonical_bytes

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    # Compiling the templates is a tenth of `plan`; jinja2 keys its cache by the
    # template source's checksum, so an edited template is never served stale.
    folder = toolkit_cache_dir() / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


@functools.cache
def template_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        bytecode_cache=_bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_template(name: str, **context: Any) -> bytes:
    return template_environment().get_template(name).render(**context).encode("utf-8")


def render_xml(name: str, **context: Any) -> bytes:
    return canonical_bytes(render_template(name, **context))


def render_field(field: InsightsField) -> bytes:
    return render_xml("custom_field.xml.j2", field=field)


def render_fields(config: TotangoConfig) -> list[Component]:
    fields = config.insights.resolved_fields()
    # A field's file names no object, so each is rendered once for all of them.
    rendered = [(field, render_field(field)) for field in fields]
    components = []
    for object_name in config.insights.objects:
        for field, data in rendered:
            components.append(
                Component(
                    "CustomField",
                    f"{object_name}.{field.api_name}",
                    data,
                    summary=f"{field.label} ({field.type}{', formula' if field.formula else ''})",
                )
            )
    return components


def page_label(page_name: str) -> str:
    return page_name.replace("_", " ")


def render_page(config: TotangoConfig, object_name: str) -> Component:
    fields = config.insights.resolved_fields()
    names = {f.api_name for f in fields}
    page = config.widget.page_for(object_name)
    body = render_template(
        "apex_page.page.j2",
        object_name=object_name,
        fields=[f for f in fields if f.type != "Url"],
        health_field=HEALTH_FIELD if HEALTH_FIELD in names else None,
        health_colours=HEALTH_COLOURS,
        url_field=next((f.api_name for f in fields if f.type == "Url"), None),
    )
    meta = render_xml(
        "apex_page.page-meta.xml.j2",
        api_version=config.api_version,
        object_name=object_name,
        label=page_label(page),
    )
    return Component(
        "ApexPage", page, meta, body, summary=f"widget for {object_name}, {len(fields)} fields"
    )


def render_pages(config: TotangoConfig) -> list[Component]:
    if not config.widget.generate_page:
        return []
    return [render_page(config, obj) for obj in config.insights.objects]


def render_permission_set(config: TotangoConfig) -> Component:
    fields = config.insights.resolved_fields()
    field_names = [f"{obj}.{f.api_name}" for obj in config.insights.objects for f in fields]
    pages = sorted({config.page_reference(obj) for obj in config.insights.objects})
    xml = render_xml(
        "permission_set.xml.j2",
        label=config.permission_set.label,
        field_names=field_names,
        pages=pages,
        tab=config.tab.name if config.tab.enabled else None,
    )
    return Component(
        "PermissionSet",
        config.permission_set.name,
        xml,
        summary=f"read {len(field_names)} fields, {len(pages)} pages"
        + (", tab" if config.tab.enabled else ""),
    )


def render_tab(config: TotangoConfig) -> list[Component]:
    if not config.tab.enabled:
        return []
    xml = render_xml("custom_tab.xml.j2", tab=config.tab)
    return [Component("CustomTab", config.tab.name, xml, summary=f"web tab to {config.tab.url}")]


def render_section_fragment(config: TotangoConfig, object_name: str) -> bytes:
    """A Layout document holding only the widget section for one object."""
    section = {
        "label": config.widget.section_label,
        "page": config.page_reference(object_name),
        "height": config.widget.height,
    }
    return render_xml("layout_section.xml.j2", section=section)


def render_ip_ranges_fragment(config: TotangoConfig) -> bytes:
    """A SecuritySettings document holding only the configured ranges."""
    return render_xml("ip_ranges.xml.j2", ranges=config.trusted_ip_ranges.ranges())


def render_components(config: TotangoConfig) -> list[Component]:
    """Every component the setup creates (layouts and settings are patches, not here)."""
    return [
        *render_fields(config),
        *render_pages(config),
        render_permission_set(config),
        *render_tab(config),
    ]
