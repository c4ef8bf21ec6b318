"""The widget section as the layout merge needs it, derived from the config."""

from __future__ import annotations

from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.merge.layout import WidgetSection


def widget_section_for(config: TotangoConfig, object_name: str) -> WidgetSection:
    return WidgetSection(
        label=config.widget.section_label,
        page=config.page_reference(object_name),
        height=config.widget.height,
        anchor_section=config.widget.anchor_section,
    )
