"""The Metadata API schemas a merged or rendered file is checked against."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tasks.totango_sf.metadata.schema import MetadataSchema, load_schema
from tests.support.paths import REPO_ROOT, V66_WSDL

SCHEMAS = REPO_ROOT / "schemas"


def oracle_schemas() -> list[MetadataSchema]:
    """The bundled 63.0 schema, plus the official v66 oracle when ../shared is here."""
    schemas = [load_schema()]
    if V66_WSDL.exists():
        schemas.append(load_schema(V66_WSDL))
    return schemas


# The JSON Schemas of every command's --json document (schemas/).


def registry() -> Registry:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry())


def schema_file(command: str) -> str:
    return f"{command.replace(' ', '-')}.result.schema.json"


def check(command: str, stdout: str, exit_code: int) -> dict[str, Any]:
    """The document validates; a result validates against its command's schema."""
    document = json.loads(stdout)
    errors = sorted(validator("envelope.schema.json").iter_errors(document), key=str)
    assert not errors, (command, [e.message for e in errors])
    assert document["status"] == exit_code
    if "result" in document:
        # A fleet run (several --org) has one result shape whatever the command.
        fleet = {"command", "orgs", "summary"} <= set(document["result"])
        name = "fleet.result.schema.json" if fleet else schema_file(command)
        result_errors = list(validator(name).iter_errors(document["result"]))
        assert not result_errors, (command, [f"{e.json_path}: {e.message}" for e in result_errors])
    return document
