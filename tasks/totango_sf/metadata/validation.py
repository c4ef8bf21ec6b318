"""Schema validation of metadata files, one report line per problem."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from tasks.totango_sf.errors import Failed
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import MetadataSchema, load_schema
from tasks.totango_sf.metadata.visualforce import VisualforceError, parse_visualforce

# Extensions of files that hold metadata XML, in both project formats.
METADATA_SUFFIXES = (
    "-meta.xml",
    "package.xml",
    "destructiveChanges.xml",
    ".layout",
    ".settings",
    ".object",
    ".permissionset",
    ".profile",
    ".tab",
    ".report",
    ".reportType",
    ".flexipage",
    ".app",
)


@dataclass(frozen=True)
class FileProblem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class SchemaValidationError(Failed):
    """Files the toolkit was about to write or send fail the Metadata API schema."""

    def __init__(self, problems: list[FileProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def verdict_message(self) -> str:
        return "the package is not schema-valid; nothing was sent"

    def verdict_problems(self) -> list[Any]:
        return list(self.problems)


def is_metadata_file(path: str) -> bool:
    return path.endswith(".page") or path.endswith(METADATA_SUFFIXES)


def validate_file(path: str, data: bytes, schema: MetadataSchema) -> list[FileProblem]:
    if path.endswith(".page"):
        try:
            parse_visualforce(data)
        except VisualforceError as exc:
            return [FileProblem(path, 1, str(exc))]
        return []
    if b"componentInstances>" in data:
        data = legacy_flexipage_as_current(data)
    return [FileProblem(path, e.line, e.message) for e in schema.validate_bytes(data)]


def legacy_flexipage_as_current(data: bytes) -> bytes:
    """A pre-49.0 FlexiPage in today's shape, for the current schema to check the rest.

    Before API 49.0 a region held ``componentInstances`` where today it holds
    ``itemInstances/componentInstance`` (with an ``identifier``, required from
    53.0). Such a file is deployed at its own, older, version; the schema bundled
    here is 63.0, so the old element is mapped onto the new one before checking.
    Line numbers stay those of the original file.
    """
    root = parse_xml(data)
    for legacy in list(root.iter("{*}componentInstances")):
        namespace = etree.QName(legacy).namespace or ""
        legacy.tag = f"{{{namespace}}}componentInstance"
        if legacy.find(f"{{{namespace}}}identifier") is None:
            identifier = legacy.makeelement(f"{{{namespace}}}identifier")
            identifier.text = "legacy"
            name = legacy.find(f"{{{namespace}}}componentName")
            if name is not None:
                name.addnext(identifier)
        item = legacy.makeelement(f"{{{namespace}}}itemInstances")
        legacy.addprevious(item)
        item.append(legacy)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def validate_files(
    files: Mapping[str, bytes], schema: MetadataSchema | None = None
) -> list[FileProblem]:
    schema = schema or load_schema()
    problems: list[FileProblem] = []
    for path, data in files.items():
        if is_metadata_file(path):
            problems += validate_file(path, data, schema)
    return problems


def require_valid(files: Mapping[str, bytes], schema: MetadataSchema | None = None) -> None:
    problems = validate_files(files, schema)
    if problems:
        raise SchemaValidationError(problems)


def collect_metadata_files(paths: Iterable[Path]) -> dict[str, bytes]:
    """Every metadata file under the given files or folders, keyed by its path."""
    files: dict[str, bytes] = {}
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.is_file() and is_metadata_file(found.name):
                    files[str(found)] = found.read_bytes()
        elif path.is_file():
            files[str(path)] = path.read_bytes()
        else:
            raise FileNotFoundError(str(path))
    return files
