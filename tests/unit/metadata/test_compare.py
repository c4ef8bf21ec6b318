from tasks.totango_sf.metadata.compare import org_copy_satisfies

NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'
FIELD = (
    f"<CustomField {NS}><fullName>Tier__c</fullName><label>Tier</label><type>Picklist</type>"
    "<valueSet><restricted>true</restricted><valueSetDefinition><sorted>false</sorted>"
    "<value><fullName>Good</fullName></value><value><fullName>Poor</fullName></value>"
    "</valueSetDefinition></valueSet></CustomField>"
)


def test_org_defaults_the_desired_file_never_names_are_ignored():
    org = FIELD.replace("<type>", "<trackFeedHistory>false</trackFeedHistory><type>").encode()
    assert org_copy_satisfies(org, FIELD.encode())


def test_sibling_order_does_not_matter():
    org = FIELD.replace(
        "<value><fullName>Good</fullName></value><value><fullName>Poor</fullName></value>",
        "<value><fullName>Poor</fullName></value><value><fullName>Good</fullName></value>",
    ).encode()
    assert org_copy_satisfies(org, FIELD.encode())


def test_changed_or_extra_or_missing_named_elements_count():
    assert not org_copy_satisfies(FIELD.replace("Tier<", "Level<").encode(), FIELD.encode())
    extra_value = FIELD.replace(
        "</valueSetDefinition>", "<value><fullName>Average</fullName></value></valueSetDefinition>"
    )
    assert not org_copy_satisfies(extra_value.encode(), FIELD.encode())
    assert not org_copy_satisfies(FIELD.encode(), extra_value.encode())
    assert not org_copy_satisfies(FIELD.replace("<label>Tier</label>", "").encode(), FIELD.encode())


def test_unparseable_files_fall_back_to_byte_equality():
    # A file that is not XML (or not well-formed) is compared byte for byte.
    assert org_copy_satisfies(b"not <xml", b"not <xml")
    assert not org_copy_satisfies(b"not <xml", b"not <xml either")
    assert not org_copy_satisfies(FIELD.encode(), b"<CustomField")


def test_empty_and_absent_text_are_the_same():
    wanted = f"<CustomField {NS}><description></description></CustomField>".encode()
    assert org_copy_satisfies(f"<CustomField {NS}><description/></CustomField>".encode(), wanted)
    assert org_copy_satisfies(wanted, f"<CustomField {NS}><description/></CustomField>".encode())
    assert not org_copy_satisfies(
        f"<CustomField {NS}><description>x</description></CustomField>".encode(), wanted
    )
