"""The cut-down schema that plan and deploy validate with judges exactly as the whole one.

Every rendered file, both project formats, and every real layout, setting, profile and
record page in ../shared/corpus gives the same errors, line for line, through the
cut-down schema (built fresh, and read back from its cache) and through the whole WSDL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import (
    TOOLKIT_ROOT_TYPES,
    MetadataSchema,
    bundled_wsdl_path,
    start_loading_toolkit_schema,
)
from tasks.totango_sf.render.plan import build_plan, plan_files
from tests.support.paths import CORPUS

ABSENT = "../shared/corpus is absent (a user's clone): the real-world files are not here"


def fresh_schema(cache: Path, monkeypatch) -> MetadataSchema:
    monkeypatch.setenv("TOTANGO_SF_CACHE", str(cache))
    return MetadataSchema(bundled_wsdl_path())


def rendered_files() -> dict[str, bytes]:
    config = build_config({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}, "test")
    the_plan = build_plan(config)
    files: dict[str, bytes] = {}
    for output_format in ("mdapi", "source"):
        for path, data in plan_files(the_plan, output_format).items():  # type: ignore[arg-type]
            if not path.endswith(".page"):
                files[f"{output_format}/{path}"] = data
    return files


def corpus_files() -> dict[str, bytes]:
    if not CORPUS.is_dir():
        return {}
    return {
        str(p.relative_to(CORPUS)): p.read_bytes()
        for p in sorted(CORPUS.rglob("*"))
        if p.is_file() and p.suffix not in (".tsv", ".md")
    }


def both_verdicts(schema: MetadataSchema, data: bytes) -> tuple[list, list]:
    root = parse_xml(data)
    return schema.validate(root), schema.validate_with_whole_schema(root)


def test_every_rendered_file_gets_the_same_verdict(tmp_path, monkeypatch):
    schema = fresh_schema(tmp_path, monkeypatch)
    files = rendered_files()
    assert len(files) > 40
    for path, data in files.items():
        subset, whole = both_verdicts(schema, data)
        assert subset == whole == [], path


def test_every_corpus_file_gets_the_same_errors(tmp_path, monkeypatch):
    files = corpus_files()
    if not files:
        pytest.skip(ABSENT)
    built = fresh_schema(tmp_path, monkeypatch)
    cached = fresh_schema(tmp_path, monkeypatch)  # a new process would read the cache
    roots_seen = set()
    with_errors = 0
    for path, data in files.items():
        roots_seen.add(parse_xml(data).tag.split("}")[-1])
        subset, whole = both_verdicts(built, data)
        assert subset == whole, path
        assert cached.validate(parse_xml(data)) == whole, path
        with_errors += bool(whole)
    assert {"Layout", "SecuritySettings", "FlexiPage"} <= roots_seen
    assert with_errors > 0  # old-API files: the comparison covers real errors, not only passes


def test_broken_files_of_every_root_type_get_the_same_errors(tmp_path, monkeypatch):
    schema = fresh_schema(tmp_path, monkeypatch)
    ns = "http://soap.sforce.com/2006/04/metadata"
    for root_type in TOOLKIT_ROOT_TYPES:
        data = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<{root_type} xmlns="{ns}">\n'
            f"    <noSuchElement>1</noSuchElement>\n</{root_type}>\n"
        ).encode()
        subset, whole = both_verdicts(schema, data)
        assert subset == whole and subset, root_type


def test_other_roots_still_get_the_whole_schema(tmp_path, monkeypatch):
    schema = fresh_schema(tmp_path, monkeypatch)
    ns = "http://soap.sforce.com/2006/04/metadata"
    profile = f'<Profile xmlns="{ns}"><custom>false</custom></Profile>'.encode()
    assert schema.validate(parse_xml(profile)) == []
    not_metadata = f'<NoSuchType xmlns="{ns}"/>'.encode()
    assert "not a Metadata API type" in schema.validate(parse_xml(not_metadata))[0].message


def test_the_cache_is_keyed_by_the_wsdl_and_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    schema = fresh_schema(tmp_path, monkeypatch)
    schema.validate(parse_xml(rendered_files()["mdapi/package/package.xml"]))
    (cached,) = tmp_path.glob("metadata-*.xsd")
    other_wsdl = tmp_path / "other.wsdl"
    other_wsdl.write_bytes(
        bundled_wsdl_path().read_bytes().replace(b"</definitions>", b"</definitions>\n")
    )
    assert MetadataSchema(other_wsdl)._subset_key() != schema._subset_key()

    cached.write_bytes(b"<not a schema")
    again = fresh_schema(tmp_path, monkeypatch)
    assert again.validate(parse_xml(rendered_files()["mdapi/package/package.xml"])) == []
    assert cached.read_bytes().startswith(b"<?xml")  # rewritten


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    schema = fresh_schema(blocker / "cache", monkeypatch)
    assert schema.validate(parse_xml(rendered_files()["mdapi/package/package.xml"])) == []


def test_the_validator_loaded_on_a_second_thread_is_the_one_validation_uses(tmp_path, monkeypatch):
    schema = fresh_schema(tmp_path, monkeypatch)
    start_loading_toolkit_schema(schema).join()
    loaded = schema.__dict__["_subset_validator"]
    package = parse_xml(rendered_files()["mdapi/package/package.xml"])
    assert schema.validate(package) == []
    assert schema.__dict__["_subset_validator"] is loaded
    assert list(tmp_path.glob("metadata-*.xsd"))  # built and cached by the thread


def test_a_failed_load_on_the_second_thread_is_silent_and_the_first_use_reports_it(
    tmp_path, monkeypatch
):
    uncaught: list = []
    monkeypatch.setattr("threading.excepthook", uncaught.append)
    schema = MetadataSchema(tmp_path / "missing.wsdl")
    start_loading_toolkit_schema(schema).join()
    assert uncaught == []
    assert "_subset_validator" not in schema.__dict__
    with pytest.raises(FileNotFoundError):
        schema.validate(parse_xml(rendered_files()["mdapi/package/package.xml"]))
