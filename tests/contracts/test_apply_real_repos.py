"""``apply --source-dir`` on repositories as teams keep them.

Real files were retrieved at older API versions (elements today's schema lacks), and
hold comments, ``&apos;``/``&quot;`` spellings and CRLF line endings. ``apply`` must
add no schema error, report the ones that were there, and leave every line outside
its change byte-identical, so the team's git diff shows our change only.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tasks.totango_sf.cli.app import app
from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.merge.layout import add_widget_section
from tasks.totango_sf.merge.layout_ownership import SectionPlan, plan_section
from tasks.totango_sf.merge.security import add_ip_ranges
from tasks.totango_sf.merge.source_dir import PlaceholderRangesError, apply_to_source
from tasks.totango_sf.merge.text_splice import splice
from tasks.totango_sf.merge.widget import widget_section_for
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.validation import SchemaValidationError
from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.support.cli_json import error_of, result_of
from tests.support.paths import CORPUS, REPO_ROOT
from tests.support.schemas import oracle_schemas

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repo_habits"
LAYOUT_REL = "force-app/main/default/layouts/Account-Account Layout.layout-meta.xml"
SECURITY_REL = "force-app/main/default/settings/Security.settings-meta.xml"
REAL_IPS = {"trusted_ip_ranges": {"addresses": ["8.8.8.8", "2606:4700::/48"]}}
ABSENT = "../shared/corpus is absent: apply on real repositories needs the shared corpus"
# Every object whose layouts the default setup patches; any layout of theirs is matched.
ALL_LAYOUTS = {"widget": {"layouts": ["Account-*", "Lead-*", "Opportunity-*"]}}


def corpus_rows() -> list:
    """(local file, its name in its own repository) for every file of the corpus."""
    if not CORPUS.is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=ABSENT), id="absent")]
    rows = []
    for manifest in sorted(CORPUS.rglob("MANIFEST.tsv")):
        with manifest.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                local = manifest.parent / row["local_file"]
                if not local.is_file():
                    local = CORPUS / row["local_file"]
                rows.append(pytest.param(local, Path(row["path"]).name, id=local.name))
    return rows


CORPUS_ROWS = corpus_rows()


def folder_for(name: str) -> str:
    for suffix, folder in (
        (".layout", "layouts"),
        (".settings", "settings"),
        (".profile", "profiles"),
        (".flexipage", "flexipages"),
    ):
        if name.removesuffix("-meta.xml").endswith(suffix):
            return folder
    raise AssertionError(f"no folder for {name}")


def project_holding(root: Path, source: Path, name: str) -> Path:
    """A project of the file's own format holding it under its own name; its path."""
    folder = folder_for(name)
    if name.endswith("-meta.xml"):
        (root / "sfdx-project.json").write_text(
            json.dumps({"packageDirectories": [{"path": "force-app", "default": True}]})
        )
        target = root / "force-app" / "main" / "default" / folder / name
    else:
        (root / "package.xml").write_bytes(
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<Package xmlns="http://soap.sforce.com/2006/04/metadata">'
            b"<version>63.0</version></Package>\n"
        )
        target = root / folder / name
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    return target


def removed_and_added(before: bytes, after: bytes) -> tuple[list[bytes], list[bytes]]:
    """The original lines the change removed and the lines it added (all others are equal)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    removed: list[bytes] = []
    added: list[bytes] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, False).get_opcodes():
        if tag != "equal":
            removed += old[i1:i2]
            added += new[j1:j2]
    return removed, added


def assert_only_our_change(original: bytes, written: bytes, expected_canonical: bytes) -> None:
    """The written file means the merge, and every line outside the change is the original's."""
    assert canonical_bytes(written) == expected_canonical
    removed, added = removed_and_added(original, written)
    # Adding a section, ranges or a component removes no line; only an empty element
    # such as <networkAccess/> is opened up to hold what is added.
    assert all(re.fullmatch(rb"<\w+/>", line.strip()) for line in removed), removed
    kept = len(original.splitlines()) - len(removed)
    assert len(written.splitlines()) == kept + len(added)
    if b"\r\n" in original:
        assert all(line.endswith(b"\r\n") for line in added)


def new_error_messages(original: bytes, written: bytes) -> dict[str, set[str]]:
    found = {}
    for schema in oracle_schemas():
        before = {e.message for e in schema.validate_bytes(original)}
        after = {e.message for e in schema.validate_bytes(written)}
        found[str(schema.wsdl_path) if hasattr(schema, "wsdl_path") else repr(schema)] = (
            after - before
        )
    return found


@pytest.mark.parametrize(("source", "name"), CORPUS_ROWS)
def test_apply_on_every_corpus_file(tmp_path: Path, source: Path | None, name: str | None):
    assert source is not None and name is not None
    target = project_holding(tmp_path, source, name)
    original = target.read_bytes()
    config = build_config({**REAL_IPS, **ALL_LAYOUTS})

    result = apply_to_source(config, tmp_path)
    written = target.read_bytes()

    assert all(not new for new in new_error_messages(original, written).values())
    folder = folder_for(name)
    if folder == "layouts":
        object_name = name.split("-", 1)[0]
        merged = add_widget_section(original, widget_section_for(config, object_name))
        assert_only_our_change(original, written, merged)
    elif folder == "settings":
        merged = add_ip_ranges(original, config.trusted_ip_ranges.ranges())
        assert_only_our_change(original, written, merged)
    elif written != original:
        # Record pages get the widget component; the merge is whatever apply computes
        # on the canonical form of the same file, and only our lines differ.
        twin = tmp_path / "canonical-twin"
        twin.mkdir()
        twin_target = project_holding(twin, source, name)
        twin_target.write_bytes(canonical_bytes(original))
        apply_to_source(config, twin)
        assert folder == "flexipages", "apply touched a file it does not own"
        assert_only_our_change(original, written, canonical_bytes(twin_target.read_bytes()))
    # Errors the file had are reported with file:line, not refused.
    for problem in result.existing_problems:
        assert problem.path.endswith(name) and problem.line >= 1
    assert not apply_to_source(config, tmp_path).changed


def test_old_api_errors_are_warnings_and_the_file_is_written(tmp_path: Path):
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    settings = tmp_path / SECURITY_REL
    original = settings.read_bytes()

    result = apply_to_source(build_config(REAL_IPS), tmp_path)

    assert settings.read_bytes() != original
    (problem,) = result.existing_problems
    assert "minPasswordLength" in problem.message
    assert problem.path == SECURITY_REL and problem.line == 26
    assert any(w.startswith(f"{SECURITY_REL}:26:") for w in result.warnings)


def test_the_repository_api_version_is_read_and_compared(tmp_path: Path):
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    result = apply_to_source(build_config(REAL_IPS), tmp_path)
    assert result.project_api_version == "45.0"
    assert any("sourceApiVersion is 45.0 but api_version is 63.0" in w for w in result.warnings)

    project = tmp_path / "sfdx-project.json"
    project.write_text(project.read_text().replace('"45.0"', '"63.0"'))
    same = apply_to_source(build_config(REAL_IPS), tmp_path)
    assert same.project_api_version == "63.0"
    assert not any("sourceApiVersion" in w for w in same.warnings)


def test_package_xml_version_is_the_mdapi_project_version(tmp_path: Path):
    (tmp_path / "layouts").mkdir()
    (tmp_path / "package.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Package xmlns="http://soap.sforce.com/2006/04/metadata"><version>52.0</version>'
        "</Package>\n"
    )
    result = apply_to_source(build_config(REAL_IPS), tmp_path)
    assert result.project_api_version == "52.0"
    assert any("package.xml version is 52.0" in w for w in result.warnings)


def test_untouched_lines_keep_entities_comments_and_crlf(tmp_path: Path):
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    originals = {rel: (tmp_path / rel).read_bytes() for rel in (LAYOUT_REL, SECURITY_REL)}
    config = build_config(REAL_IPS)

    apply_to_source(config, tmp_path)

    layout, settings = (tmp_path / LAYOUT_REL).read_bytes(), (tmp_path / SECURITY_REL).read_bytes()
    for rel, written in ((LAYOUT_REL, layout), (SECURITY_REL, settings)):
        assert b"&apos;" in written and b"&quot;" in written and b"<!--" in written
        assert written.count(b"\n") == written.count(b"\r\n"), f"{rel}: a bare LF line"
    assert b"(Partner's view)" in layout, "a literal apostrophe was respelled"
    section = widget_section_for(config, "Account")
    assert_only_our_change(
        originals[LAYOUT_REL], layout, add_widget_section(originals[LAYOUT_REL], section)
    )
    ranges = config.trusted_ip_ranges.ranges()
    assert_only_our_change(
        originals[SECURITY_REL], settings, add_ip_ranges(originals[SECURITY_REL], ranges)
    )
    _, added = removed_and_added(originals[LAYOUT_REL], layout)
    assert any(b"<label>Totango</label>" in line for line in added)


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_an_error_the_file_had_is_reported_not_refused(tmp_path: Path):
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    layout = tmp_path / LAYOUT_REL
    layout.write_bytes(layout.read_bytes().replace(b"TwoColumnsTopToBottom", b"Sideways", 1))
    result = apply_to_source(build_config(REAL_IPS), tmp_path)
    assert any("Sideways" in p.message for p in result.existing_problems)
    assert b"<label>Totango</label>" in layout.read_bytes()


def test_a_merge_that_adds_an_error_writes_nothing(tmp_path: Path, monkeypatch):
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    before = snapshot(tmp_path)

    def misplacing(data: bytes, section: object, record: object = None) -> SectionPlan:
        plan = plan_section(data, section, record)  # type: ignore[arg-type]
        merged = plan.layout.replace(b"<label>Totango</label>", b"<label>Totango</label><oops/>", 1)
        return replace(plan, layout=merged)

    monkeypatch.setattr("tasks.totango_sf.merge.source_dir.plan_section", misplacing)
    with pytest.raises(SchemaValidationError) as caught:
        apply_to_source(build_config(REAL_IPS), tmp_path)
    # Only the added error is reported; the file's own old-API error is not the reason.
    assert caught.value.problems and all("oops" in p.message for p in caught.value.problems)
    assert snapshot(tmp_path) == before


def test_placeholders_are_refused_unless_allowed(tmp_path: Path):
    shutil.copytree(FIXTURE, tmp_path, dirs_exist_ok=True)
    before = snapshot(tmp_path)
    with pytest.raises(PlaceholderRangesError, match="--allow-placeholders"):
        apply_to_source(build_config({}), tmp_path)
    assert snapshot(tmp_path) == before

    runner = CliRunner()
    refused = runner.invoke(app, ["apply", "--source-dir", str(tmp_path), "--json"])
    assert refused.exit_code == 2
    assert "--allow-placeholders" in error_of(refused.stdout)["message"]
    allowed = runner.invoke(
        app, ["apply", "--source-dir", str(tmp_path), "--allow-placeholders", "--json"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert result_of(allowed.stdout)["changed"] is True


def test_splice_falls_back_to_the_canonical_form_when_lines_do_not_line_up():
    one_line = (
        b'<?xml version="1.0" encoding="UTF-8"?><SecuritySettings'
        b' xmlns="http://soap.sforce.com/2006/04/metadata"><networkAccess/></SecuritySettings>'
    )
    merged = add_ip_ranges(one_line, build_config(REAL_IPS).trusted_ip_ranges.ranges())
    spliced = splice(one_line, canonical_bytes(one_line), merged)
    assert not spliced.preserved and spliced.data == merged
    assert parse_xml(spliced.data) is not None


def corpus_and_fixture_files() -> list[Path]:
    found = sorted(FIXTURE.rglob("*-meta.xml"))
    if CORPUS.is_dir():
        found += sorted(
            p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".tsv", ".md")
        )
    return found


# Text and comments of any shape: quotes, markup characters, whitespace, non-ASCII.
# (An empty element is left out: a parse turns <a></a> into <a/> before CumulusCI sees it.)
_TEXTS = st.text(
    alphabet=st.sampled_from(list("ab '\"<>&;-\n\t\u00e9\u4e2d")), min_size=1, max_size=12
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TEXTS, st.booleans()), min_size=1, max_size=5))
def test_any_text_is_escaped_as_cumulusci_escapes_it(items):
    from cumulusci.utils.xml.salesforce_encoding import serialize_xml_for_salesforce
    from lxml import etree

    from tasks.totango_sf.metadata.xml import INDENT

    ns = "http://soap.sforce.com/2006/04/metadata"
    root = etree.Element(f"{{{ns}}}Layout", nsmap={None: ns})
    for text, as_comment in items:
        if as_comment:
            root.append(etree.Comment(text.replace("--", "- ").rstrip("-") or "x"))
        else:
            etree.SubElement(root, f"{{{ns}}}label").text = text
    ours = canonical_bytes(root, keep_comments=True)
    theirs_root = parse_xml(ours)
    etree.indent(theirs_root, space=INDENT)
    assert ours == serialize_xml_for_salesforce(theirs_root).encode("utf-8")


def test_canonical_form_is_cumulusci_serialize_xml_for_salesforce():
    """Our writer escapes text exactly as CumulusCI (and Salesforce) do: &apos; and &quot;."""
    from cumulusci.utils.xml.salesforce_encoding import serialize_xml_for_salesforce
    from lxml import etree

    from tasks.totango_sf.metadata.xml import INDENT

    files = corpus_and_fixture_files()
    assert files
    for path in files:
        root = parse_xml(canonical_bytes(path.read_bytes()))
        etree.indent(root, space=INDENT)
        theirs = serialize_xml_for_salesforce(root).encode("utf-8")
        assert canonical_bytes(path.read_bytes()) == theirs, path.name
