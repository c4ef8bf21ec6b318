"""Merge: add the setup's section and ranges to existing layouts and settings, or remove them."""
