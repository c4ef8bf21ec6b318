"""Org: connect, retrieve, deploy and verify against one org, with snapshots for rollback."""
