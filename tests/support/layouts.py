"""Layout sections as admins make them by hand, put into an emulated org's layouts."""

from __future__ import annotations

from tasks.totango_sf.metadata.xml import canonical_bytes
from tests.org_emulator.seed import SEED

ACCOUNT = "Account-Account Layout"
LEAD = "Lead-Lead Layout"
PAGE = "Totango_Account_Insights"


def item(page: str, height: int = 290) -> str:
    return (
        f"<layoutItems><height>{height}</height><page>{page}</page><showLabel>false</showLabel>"
        "<showScrollbars>false</showScrollbars><width>100%</width></layoutItems>"
    )


def section(label: str, *items: str, edit_heading: str = "true") -> bytes:
    return (
        "<layoutSections><customLabel>true</customLabel><detailHeading>true</detailHeading>"
        f"<editHeading>{edit_heading}</editHeading><label>{label}</label>"
        f"<layoutColumns>{''.join(items)}</layoutColumns><style>OneColumn</style>"
        "</layoutSections>"
    ).encode()


RATING = "<layoutItems><behavior>Edit</behavior><field>Rating</field></layoutItems>"
CUSTOMER_HEALTH = section("Customer Health", RATING, item(PAGE, 200))
# The setup article's manual step: a "Totango" section with the package's page, 290 px.
ARTICLE = section("Totango", item(f"totango__{PAGE}"), edit_heading="false")


def with_section(layout: bytes, extra: bytes) -> bytes:
    """The layout with ``extra`` as its first section, in Salesforce's form."""
    return canonical_bytes(layout.replace(b"<layoutSections>", extra + b"<layoutSections>", 1))


def seed_layout(name: str) -> bytes:
    return (SEED / "layouts" / f"{name}.layout").read_bytes()


def put_section(emulator, name: str, extra: bytes) -> bytes:
    layout = with_section(emulator.state.metadata_xml("Layout", name), extra)
    emulator.state.set_metadata_xml("Layout", name, layout)
    return layout


def layout(emulator, name: str = ACCOUNT) -> bytes:
    return canonical_bytes(emulator.state.metadata_xml("Layout", name))
