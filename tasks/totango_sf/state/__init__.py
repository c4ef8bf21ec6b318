"""Local run state: snapshots, ownership records, locks and deploy tracking under .totango/."""
