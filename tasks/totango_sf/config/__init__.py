"""Config: YAML in, a validated model out, with Salesforce's naming and IP-range rules."""
