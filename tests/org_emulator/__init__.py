"""An emulated Salesforce org for tests: a test double, never imported by the product.

See README.md in this folder for how to run it by hand and point ``cci`` at it.
"""

from tests.org_emulator.emulator import OrgEmulator

__all__ = ["OrgEmulator"]
