"""Where the checkout, its test data and the shared test data beside it are."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"

# Shared test data lives beside the checkout; a user's clone has none, and the tests
# that need it skip with SHARED_ABSENT (or a reason of their own).
SHARED = REPO_ROOT.parent / "shared"
V66_WSDL = SHARED / "oracles" / "metadata-v66.wsdl"
CORPUS = SHARED / "corpus"
SHARED_ABSENT = "../shared is absent (it holds the corpus and the v66 schema oracle)"
