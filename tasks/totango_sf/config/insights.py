"""The built-in catalogue of Totango Insights fields.

Totango's outbound integration writes these on each mapped object. Types are
chosen so every field is filterable and groupable in reports and usable in
formulas, validation rules and triggers: text instead of long text, numbers
instead of strings for scores.
"""

from __future__ import annotations

from typing import Any

HEALTH_FIELD = "Totango_Account_Health__c"

HEALTH_COLOURS = {"Good": "#2e844a", "Average": "#dd7a01", "Poor": "#ba0517"}

_HEALTH_ICON_FORMULA = (
    "IMAGE(CASE(TEXT(Totango_Account_Health__c),"
    ' "Good", "/img/samples/light_green.gif",'
    ' "Average", "/img/samples/light_yellow.gif",'
    ' "Poor", "/img/samples/light_red.gif",'
    ' "/s.gif"), TEXT(Totango_Account_Health__c), 12, 12)'
)

BUILT_IN_FIELDS: list[dict[str, Any]] = [
    {
        "api_name": HEALTH_FIELD,
        "label": "Account Health",
        "type": "Picklist",
        "picklist_values": ["Good", "Average", "Poor"],
        "restricted": True,
        "description": "Totango health rank of this customer, set by Totango's integration job.",
        "help_text": "Totango account health: Good, Average or Poor.",
    },
    {
        "api_name": "Totango_Health_Icon__c",
        "label": "Health Icon",
        "type": "Text",
        "formula": _HEALTH_ICON_FORMULA,
        "description": "Green, yellow or red light for the Totango account health.",
        "help_text": "Colour icon for the Totango account health.",
    },
    {
        "api_name": "Totango_Health_Profile__c",
        "label": "Health Profile",
        "type": "Text",
        "length": 255,
        "description": "Name of the Totango health profile that produced the health rank.",
        "help_text": "The Totango health profile applied to this customer.",
    },
    {
        "api_name": "Totango_Is_Online__c",
        "label": "Is Online",
        "type": "Checkbox",
        "default_value": "false",
        "description": "True while a user of this customer is active in the product.",
        "help_text": "Whether someone at this customer is online now, per Totango.",
    },
    {
        "api_name": "Totango_Last_Update__c",
        "label": "Last Update",
        "type": "DateTime",
        "description": "When Totango's integration job last wrote these insights.",
        "help_text": "Time of the last Totango insights update.",
    },
    {
        "api_name": "Totango_License_Utilization__c",
        "label": "License Utilization",
        "type": "Percent",
        "precision": 6,
        "scale": 2,
        "description": "Active users as a percentage of licensed seats; may exceed 100.",
        "help_text": "Share of purchased licenses in use, per Totango.",
    },
    {
        "api_name": "Totango_URL__c",
        "label": "URL",
        "type": "Url",
        "description": "Link to this customer's page in Totango.",
        "help_text": "Opens this customer in Totango.",
    },
    {
        "api_name": "Totango_Usage_Frequency__c",
        "label": "Usage Frequency",
        "type": "Text",
        "length": 80,
        "description": "How often this customer uses the product (for example Daily, Weekly).",
        "help_text": "Typical product usage frequency, per Totango.",
    },
    {
        "api_name": "Totango_Active_Users_Last_14_Days__c",
        "label": "Active Users Last 14 Days",
        "type": "Number",
        "precision": 18,
        "scale": 0,
        "description": "Distinct users active in the last 14 days.",
        "help_text": "Number of active users over the last 14 days, per Totango.",
    },
    {
        "api_name": "Totango_Engagement__c",
        "label": "Engagement",
        "type": "Number",
        "precision": 5,
        "scale": 2,
        "description": "Totango engagement score from 0 to 100.",
        "help_text": "Totango engagement score (0-100).",
    },
    {
        "api_name": "Totango_Engagement_Change__c",
        "label": "Engagement Change",
        "type": "Number",
        "precision": 6,
        "scale": 2,
        "description": "Change of the engagement score since the previous period; may be negative.",
        "help_text": "Change in Totango engagement since the previous period.",
    },
    {
        "api_name": "Totango_Insights__c",
        "label": "Insights",
        "type": "Text",
        "length": 255,
        "description": "Totango insight tags, separated by semicolons.",
        "help_text": "Totango tags for this customer, separated by semicolons.",
    },
]
