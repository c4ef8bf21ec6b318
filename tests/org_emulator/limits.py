"""The Metadata API's size limits on one retrieve or deploy, as the emulator enforces them.

"You can deploy or retrieve up to 10,000 files at once. The maximum size of the deployed
or retrieved .zip file is 39 MB. If the files are uncompressed in an unzipped folder, the
size limit is 600 MB or 629,145,600 bytes" (Salesforce Developer Limits and Allocations
Quick Reference, "Metadata Limits"). Tests lower these module constants (monkeypatch) to
reach them with small orgs.

Wording of the refusals:
- too many files in a retrieve: "LIMIT_EXCEEDED: Too many files in retrieve call, limit
  is: 10000", errorStatusCode LIMIT_EXCEEDED, status Failed, no zip (recorded in
  tprouvot/Salesforce-Inspector-reloaded issue 741 and forcedotcom/salesforcedx-vscode
  issue 685);
- a deploy request above the SOAP message limit: "Maximum size of request reached.
  Maximum size of request is 52428800 bytes." (the recorded message salto-io/salto's
  Salesforce adapter maps), scaled here to the zip limit in force;
- a retrieve above the size limits, and a deploy above the file limit: no recording
  found; the emulator answers with the LIMIT_EXCEEDED code and the documentation's own
  figures ("The maximum size of the ... retrieved .zip file is 39 MB").
"""

from __future__ import annotations

import io
import zipfile

MAX_FILES = 10_000
MAX_ZIP_BYTES = 39 * 1024 * 1024
MAX_UNZIPPED_BYTES = 600 * 1024 * 1024
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"


def retrieve_problem(file_count: int, unzipped: int, zipped: int) -> str | None:
    """Why a retrieve of this size fails, in the org's words; None when it fits."""
    if file_count > MAX_FILES:
        return f"{LIMIT_EXCEEDED}: Too many files in retrieve call, limit is: {MAX_FILES}"
    if zipped > MAX_ZIP_BYTES:
        return (
            f"{LIMIT_EXCEEDED}: The maximum size of the retrieved .zip file is"
            f" {MAX_ZIP_BYTES} bytes"
        )
    if unzipped > MAX_UNZIPPED_BYTES:
        return (
            f"{LIMIT_EXCEEDED}: The maximum size of the retrieved files, uncompressed, is"
            f" {MAX_UNZIPPED_BYTES} bytes"
        )
    return None


def deploy_problem(zip_data: bytes) -> str | None:
    """Why deploy() refuses this zip, in the org's words; None when it fits."""
    # The SOAP message carries the zip base-64 encoded: 50 MB over 39 MB of zip.
    request_limit = MAX_ZIP_BYTES * 4 // 3
    if len(zip_data) > MAX_ZIP_BYTES:
        return f"Maximum size of request reached. Maximum size of request is {request_limit} bytes."
    try:
        with zipfile.ZipFile(io.BytesIO(zip_data)) as archive:
            entries = [i for i in archive.infolist() if not i.is_dir()]
    except zipfile.BadZipFile:
        return None  # the deploy itself reports an unreadable zip
    if len(entries) > MAX_FILES:
        return f"{LIMIT_EXCEEDED}: Too many files in deploy call, limit is: {MAX_FILES}"
    if sum(i.file_size for i in entries) > MAX_UNZIPPED_BYTES:
        return (
            f"{LIMIT_EXCEEDED}: The maximum size of the deployed files, uncompressed, is"
            f" {MAX_UNZIPPED_BYTES} bytes"
        )
    return None
