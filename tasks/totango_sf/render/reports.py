"""The "Accounts by Totango Health" report and the folder it ships in.

The report uses the standard ``AccountList`` report type, so no ReportType is
deployed. In that type standard columns have fixed names (``ACCOUNT.NAME``) and
custom fields are ``Account.<Field>__c``. A summary report grouped by health
shows each group's record count and subtotals without custom summary formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

from tasks.totango_sf.config.insights import HEALTH_FIELD
from tasks.totango_sf.config.model import TotangoConfig
from tasks.totango_sf.metadata.components import Component
from tasks.totango_sf.render.files import render_xml

REPORT_NAME = "Accounts_by_Totango_Health"
REPORT_LABEL = "Accounts by Totango Health"
REPORT_OBJECT = "Account"
REPORT_TYPE = "AccountList"
ACCOUNT_NAME_COLUMN = "ACCOUNT.NAME"

# (field, aggregate shown per health group); fields disabled in the config drop out.
_DETAIL_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("Totango_Engagement__c", "Average"),
    ("Totango_License_Utilization__c", "Average"),
    ("Totango_Last_Update__c", None),
)


@dataclass(frozen=True)
class ReportColumn:
    field: str
    aggregate: str | None = None


def report_column(field_api_name: str) -> str:
    return f"{REPORT_OBJECT}.{field_api_name}"


def folder_label(folder: str) -> str:
    return folder.replace("_", " ")


def render_report_folder(config: TotangoConfig) -> Component:
    folder = config.reports.folder
    xml = render_xml("report_folder.xml.j2", label=folder_label(folder))
    return Component(
        "ReportFolder", folder, xml, summary=f"report folder '{folder_label(folder)}', all users"
    )


def render_health_report(config: TotangoConfig) -> Component | None:
    """The report, or None when the fields it groups by are not deployed."""
    if REPORT_OBJECT not in config.insights.objects:
        return None
    fields = {f.api_name: f for f in config.insights.resolved_fields()}
    health = fields.get(HEALTH_FIELD)
    if health is None:
        return None
    columns = [ReportColumn(ACCOUNT_NAME_COLUMN)]
    columns += [
        ReportColumn(report_column(name), aggregate)
        for name, aggregate in _DETAIL_FIELDS
        if name in fields
    ]
    labels = [fields[name].label for name, _ in _DETAIL_FIELDS if name in fields]
    description = (
        f"Accounts grouped by Totango {health.label}, with record counts"
        + (f" and {', '.join(labels)}" if labels else "")
        + "."
    )
    xml = render_xml(
        "report.xml.j2",
        columns=columns,
        description=description,
        grouping=report_column(HEALTH_FIELD),
        label=REPORT_LABEL,
    )
    return Component(
        "Report",
        f"{config.reports.folder}/{REPORT_NAME}",
        xml,
        summary=f"summary report on {REPORT_TYPE} grouped by {health.label}",
    )


def render_reports(config: TotangoConfig) -> list[Component]:
    if not config.reports.enabled:
        return []
    report = render_health_report(config)
    if report is None:
        # An empty folder would be clutter in the org's report list.
        return []
    return [render_report_folder(config), report]
