"""The Snowfakery sample-data recipe generates rows a scratch org will accept.

Snowfakery writes CSV offline; the rows are checked against the field types
the setup deploys (tasks/totango_sf/config/insights.py) and the standard fields each
object requires.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import pytest
from faker import Faker
from snowfakery import generate_data

from tasks.totango_sf.config.insights import BUILT_IN_FIELDS, HEALTH_FIELD
from tests.support.paths import REPO_ROOT

RECIPE = REPO_ROOT / "datasets" / "totango_insights.recipe.yml"
COUNT = 300
OBJECTS = ("Account", "Lead", "Opportunity")
HEALTH_SHARE = {"Good": 0.55, "Average": 0.30, "Poor": 0.15}
REQUIRED = {
    "Account": ["Name"],
    "Lead": ["LastName", "Company", "Status"],
    "Opportunity": ["Name", "StageName", "CloseDate", "AccountId"],
}
Rows = dict[str, list[dict[str, str]]]


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rows]:
    out = tmp_path_factory.mktemp("sample_data")
    # Snowfakery has no seed option; it draws from the random module and Faker.
    state = random.getstate()
    random.seed(20240501)
    Faker.seed(20240501)
    try:
        generate_data(
            RECIPE,
            output_format="csv",
            output_folder=out,
            user_options={"count": str(COUNT)},
        )
    finally:
        random.setstate(state)
    found: Rows = {}
    for name in OBJECTS:
        with (out / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            found[name] = list(csv.DictReader(handle))
    yield found


def all_rows(rows: Rows) -> Iterator[tuple[str, dict[str, str]]]:
    for name in OBJECTS:
        for row in rows[name]:
            yield name, row


def test_counts_follow_the_count_option(rows: Rows) -> None:
    assert len(rows["Account"]) == COUNT
    assert len(rows["Lead"]) == COUNT
    assert COUNT <= len(rows["Opportunity"]) <= 2 * COUNT


def test_required_standard_fields_are_filled(rows: Rows) -> None:
    for name, fields in REQUIRED.items():
        for row in rows[name]:
            missing = [f for f in fields if not row.get(f)]
            assert not missing, f"{name} row {row['id']} lacks {missing}"


def test_every_opportunity_references_a_generated_account(rows: Rows) -> None:
    account_ids = {row["id"] for row in rows["Account"]}
    orphans = [row["id"] for row in rows["Opportunity"] if row["AccountId"] not in account_ids]
    assert orphans == []


def test_only_catalogue_fields_are_written(rows: Rows) -> None:
    catalogue = {spec["api_name"] for spec in BUILT_IN_FIELDS}
    for name in OBJECTS:
        written = {c for c in rows[name][0] if c.startswith("Totango_")}
        # The health icon is a formula: Salesforce computes it and refuses writes.
        assert written == catalogue - {"Totango_Health_Icon__c"}


def test_values_fit_the_deployed_field_types(rows: Rows) -> None:
    for name, row in all_rows(rows):
        where = f"{name} {row['id']}"
        assert row[HEALTH_FIELD] in HEALTH_SHARE, where
        assert 0 <= float(row["Totango_Engagement__c"]) <= 100, where
        assert -20 <= float(row["Totango_Engagement_Change__c"]) <= 20, where
        assert 0 <= float(row["Totango_License_Utilization__c"]) <= 150, where
        assert int(row["Totango_Active_Users_Last_14_Days__c"]) >= 0, where
        assert row["Totango_Is_Online__c"] in ("True", "False"), where
        assert datetime.fromisoformat(row["Totango_Last_Update__c"]).tzinfo, where
        assert row["Totango_Usage_Frequency__c"] in ("Daily", "Weekly", "Monthly"), where
        assert row["Totango_URL__c"].startswith("https://app.totango.com/#/customer/"), where
        for text_field in ("Totango_Health_Profile__c", "Totango_Insights__c"):
            assert 0 < len(row[text_field]) <= 255, where


def test_insights_are_semicolon_separated_tags(rows: Rows) -> None:
    for name, row in all_rows(rows):
        tags = row["Totango_Insights__c"].split(";")
        assert all(tag and tag == tag.strip() for tag in tags), f"{name} {row['id']}"
        assert len(tags) == len(set(tags))


def test_customer_urls_are_unique(rows: Rows) -> None:
    urls = [row["Totango_URL__c"] for _, row in all_rows(rows)]
    assert len(urls) == len(set(urls))


def test_health_distribution_is_roughly_as_designed(rows: Rows) -> None:
    health = Counter(row[HEALTH_FIELD] for row in rows["Account"])
    for value, share in HEALTH_SHARE.items():
        assert abs(health[value] / COUNT - share) < 0.08, (value, health)


def test_healthier_customers_are_more_engaged(rows: Rows) -> None:
    def mean_engagement(value: str) -> float:
        scores = [
            float(row["Totango_Engagement__c"])
            for _, row in all_rows(rows)
            if row[HEALTH_FIELD] == value
        ]
        return sum(scores) / len(scores)

    assert mean_engagement("Good") > mean_engagement("Average") > mean_engagement("Poor")
