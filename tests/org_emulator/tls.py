"""A throwaway certificate authority, so clients talk to the emulator over verified TLS.

simple-salesforce and CumulusCI build every URL as ``https://``; the CA bundle
goes to ``REQUESTS_CA_BUNDLE`` instead of ever turning verification off.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import trustme

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"


def load_or_create_ca(folder: Path) -> trustme.CA:
    """Reuse the CA kept in ``folder`` so a restarted emulator stays trusted."""
    cert, key = folder / CA_CERT, folder / CA_KEY
    if cert.exists() and key.exists():
        return trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())
    ca = trustme.CA(organization_name="totango-sf org emulator (test double)")
    folder.mkdir(parents=True, exist_ok=True)
    ca.cert_pem.write_to_path(str(cert))
    # Whoever holds the key can mint certificates the test clients trust: owner only.
    descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(ca.private_key_pem.bytes())
    os.chmod(key, 0o600)
    return ca


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    return ctx
