"""What one Metadata API retrieve or deploy may carry, and how a large read is split.

"You can deploy or retrieve up to 10,000 files at once. The maximum size of the deployed
or retrieved .zip file is 39 MB. If the files are uncompressed in an unzipped folder, the
size limit is 600 MB or 629,145,600 bytes" (Salesforce Developer Limits and Allocations
Quick Reference, "Metadata Limits"; older versions of the Metadata API Developer Guide,
"Deploying and Retrieving Metadata with the Zip File", say 400 MB). "Metadata API
base-64 encodes components after they're compressed. The resulting .zip file can't exceed
50 MB, which is the limit for SOAP messages" (same page). Above them the call fails: a
retrieve ends with "LIMIT_EXCEEDED: Too many files in retrieve call, limit is: 10000"
(recorded in forcedotcom/salesforcedx-vscode issue 685 and tprouvot/Salesforce-Inspector-
reloaded issue 741), a deploy request above 50 MB with "Maximum size of request reached.
Maximum size of request is 52428800 bytes." (salto-io/salto's Salesforce adapter maps that
recorded message).

So:
- a deploy that would pass a limit is refused before anything is sent (``check_deploy``):
  it cannot be split without losing its atomicity, which is the point of one deploy;
- a read that would pass the file limit is split into chunks before it is sent
  (``retrieve_chunks``), and a chunk the org refuses for its size is halved and retried
  (``metadata_api.retrieve_files``); the chunks' files are merged (``merge_file``).

The limits are module constants so that tests can lower them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree

from tasks.totango_sf.errors import BadInput
from tasks.totango_sf.metadata.safe_xml import parse_xml

MAX_FILES = 10_000
# "approximately 39 MB" compressed; 39 MiB base-64 encoded is just under the 50 MB
# (52,428,800 bytes) SOAP message limit.
MAX_ZIP_BYTES = 39 * 1024 * 1024
MAX_UNZIPPED_BYTES = 600 * 1024 * 1024
# The org's limit error code on a retrieve (recorded, see above).
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
# How often a refused chunk may be halved: 2**6 = 64 chunks, far more than any real read.
MAX_SPLITS = 6

# A Profile retrieve holds its layout assignments only for the layouts and record types
# named in the same retrieve, and its field permissions only for the objects and fields
# named there ("The content of a profile returned by Metadata API depends on the content
# requested in the RetrieveRequest message", Metadata API Developer Guide, "Profile"). So
# every chunk that holds profiles carries these members of the read as well.
PROFILE_COMPANIONS = ("Layout", "RecordType", "CustomObject", "CustomField")
# Members that land inside another component's file rather than in a file of their own.
CHILD_TYPES = ("CustomField", "RecordType", "ListView", "ValidationRule", "WebLink")


class PackageTooLarge(BadInput):
    """A deploy that would pass a Metadata API limit: refused before anything is sent."""

    def __init__(self, limit: str, figure: str, allowed: str):
        self.limit, self.figure, self.allowed = limit, figure, allowed
        super().__init__(
            f"the deploy package holds {figure}; one Metadata API deploy takes at most"
            f' {allowed} ({limit}; Metadata API "Metadata Limits"). Nothing was sent.'
            " Deploy fewer components at once: narrow widget.layouts or widget.record_pages"
            " (or insights.objects) and deploy the rest in a second run"
        )

    def verdict_data(self) -> dict[str, object]:
        return {"limit": self.limit, "size": self.figure, "allowed": self.allowed}


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_deploy(file_count: int, unzipped_bytes: int, zip_bytes: int) -> None:
    """Refuse a package above the documented limits, before it is sent."""
    if file_count > MAX_FILES:
        raise PackageTooLarge("files", f"{file_count:,} files", f"{MAX_FILES:,} files")
    if zip_bytes > MAX_ZIP_BYTES:
        raise PackageTooLarge(
            "compressed size", f"a {_mb(zip_bytes)} zip", f"a {_mb(MAX_ZIP_BYTES)} zip"
        )
    if unzipped_bytes > MAX_UNZIPPED_BYTES:
        raise PackageTooLarge(
            "uncompressed size",
            f"{_mb(unzipped_bytes)} uncompressed",
            f"{_mb(MAX_UNZIPPED_BYTES)} uncompressed",
        )


Member = tuple[str, str]


@dataclass
class Chunk:
    """Members of one retrieve; ``companions`` go with every chunk made by splitting it."""

    members: list[Member]
    companions: list[Member] = field(default_factory=list)

    @property
    def all_members(self) -> list[Member]:
        return sorted({*self.members, *self.companions})

    @property
    def files(self) -> int:
        return estimated_files(self.all_members)

    def halves(self) -> list[Chunk]:
        """Two chunks of half the members each, companions in both; [] when indivisible."""
        if len(self.members) < 2:
            return []
        middle = len(self.members) // 2
        return [
            Chunk(self.members[:middle], self.companions),
            Chunk(self.members[middle:], self.companions),
        ]


def estimated_files(members: Iterable[Member]) -> int:
    """Files a retrieve of ``members`` brings back, as far as the names tell.

    A member of its own type is a file; child members (fields, record types) share
    their object's file, counted once per object. A ``*`` counts as one: how many it
    stands for is unknown until the org answers, and the org's own limit check covers it.
    """
    own = {m for m in members if m[0] not in CHILD_TYPES}
    parents = {("CustomObject", m[1].split(".", 1)[0]) for m in members if m[0] in CHILD_TYPES}
    return len(own | parents)


def retrieve_chunks(members: Sequence[Member], max_files: int | None = None) -> list[Chunk]:
    """``members`` in chunks of at most ``max_files`` files (``MAX_FILES`` by default).

    Profiles go in chunks of their own that each carry the read's ``PROFILE_COMPANIONS``
    (a profile's assignments come back only with them); the other members are cut in
    order. One chunk when everything fits, which is the usual case.
    """
    limit = max_files or MAX_FILES
    unique = sorted(set(members))
    profiles = [m for m in unique if m[0] == "Profile"]
    companions = [m for m in unique if profiles and m[0] in PROFILE_COMPANIONS]
    rest = [m for m in unique if m not in profiles and m not in companions]
    if estimated_files(unique) <= limit:
        return [Chunk(unique)]
    chunks = [Chunk(part) for part in _cut(rest, limit)]
    room = max(limit - estimated_files(companions), 1)
    chunks += [Chunk(part, companions) for part in _cut(profiles, room)]
    return chunks


def _cut(members: list[Member], limit: int) -> list[list[Member]]:
    parts: list[list[Member]] = []
    for member in members:
        if not parts or estimated_files([*parts[-1], member]) > limit:
            parts.append([])
        parts[-1].append(member)
    return parts


def merge_file(path: str, first: bytes, second: bytes) -> bytes:
    """One file retrieved by two chunks: the same component, possibly in two parts.

    An object comes back holding only the children a chunk named (its fields, record
    types), or whole when the chunk named the object; the union of both keeps every
    child once, in the order the first file has them. Any other file is the same
    component twice: the first is kept.
    """
    if first == second or not path.endswith(".object"):
        return first
    root = parse_xml(first)
    seen = {_child_key(child) for child in root}
    for child in parse_xml(second):
        key = _child_key(child)
        if key not in seen:
            seen.add(key)
            root.append(copy.deepcopy(child))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _child_key(element: etree._Element) -> tuple[str, str]:
    name = element.findtext("{*}fullName")
    tag = etree.QName(element).localname
    if name is not None:
        return tag, name.strip()
    return tag, etree.tostring(element, encoding="unicode")
