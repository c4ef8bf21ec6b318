"""The widget section as the layout merge needs it, derived from the config."""

from __future__ import annotations

from tasks.config import TotangoConfig
from tasks.layout_patch import WidgetSection


def widget_section_for(config: TotangoConfig, object_name: str) -> WidgetSection:
    return WidgetSection(
        label=config.widget.section_label,
        page=config.page_reference(object_name),
        height=config.widget.height,
        anchor_section=config.widget.anchor_section,
    )
