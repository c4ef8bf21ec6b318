"""The emulator as tests and scripts use it: a seeded org behind a running HTTPS server."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from tests.org_emulator.seed import build_state
from tests.org_emulator.server import OrgEmulatorServer
from tests.org_emulator.state import STATE_FILE, OrgState

# CumulusCI encrypts its keychain with this; any 16 characters do for a test double.
CUMULUSCI_TEST_KEY = "0123456789abcdef"


class OrgEmulator(OrgEmulatorServer):
    @classmethod
    def create(
        cls,
        folder: Path | None = None,
        *,
        flavour: str = "sandbox",
        package_installed: bool = False,
        gateway_installed: bool = False,
        namespace: str = "totango",
        package_version: str = "2.14",
        load_existing: bool = True,
        **server_options,
    ) -> OrgEmulator:
        """Load the org saved in ``folder``, or seed a new one of ``flavour``."""
        folder = Path(folder or tempfile.mkdtemp(prefix="org-emulator-"))
        if load_existing and (folder / STATE_FILE).exists():
            state = OrgState.load(folder)
        else:
            state = build_state(
                flavour,
                package_installed=package_installed,
                gateway_installed=gateway_installed,
                namespace=namespace,
                package_version=package_version,
            )
        return cls(state, folder, **server_options)

    # -- connection details ---------------------------------------------------------
    @property
    def refresh_token(self) -> str:
        return self.state.refresh_token

    @property
    def org_id(self) -> str:
        return self.state.org_id

    @property
    def user_id(self) -> str:
        return self.state.user_id

    @property
    def username(self) -> str:
        return self.state.user["Username"]

    @property
    def flavour(self) -> str:
        return self.state.org_flavour

    def org_config_dict(self) -> dict:
        return {
            "instance_url": self.instance_url,
            "login_url": self.instance_url,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "org_id": self.org_id,
            "username": self.username,
            "id": f"{self.instance_url}/id/{self.org_id}/{self.user_id}",
            "sandbox": self.state.org["IsSandbox"],
        }

    def org_config(self, name: str = "emu", keychain=None):
        """A CumulusCI OrgConfig for this org; refreshing its token hits the emulator."""
        from cumulusci.core.config import OrgConfig
        from cumulusci.tests.util import DummyKeychain

        return OrgConfig(self.org_config_dict(), name, keychain=keychain or DummyKeychain())

    def env(self, org_name: str = "emu") -> dict[str, str]:
        """Environment for a ``cci`` / ``totango-sf`` subprocess to use this org by name."""
        integration = self.integration_user() or {}
        return {
            f"CUMULUSCI_ORG_{org_name}": json.dumps(self.org_config_dict()),
            # Totango's connection user, so a script can act as Totango's job does.
            "TOTANGO_INTEGRATION_USERNAME": integration.get("username", ""),
            "TOTANGO_INTEGRATION_ACCESS_TOKEN": integration.get("access_token", ""),
            "CUMULUSCI_KEY": CUMULUSCI_TEST_KEY,
            "REQUESTS_CA_BUNDLE": self.ca_bundle,
            "SSL_CERT_FILE": self.ca_bundle,
        }
