"""Metadata XML: safe parsing, Salesforce's format, schema order, validation, package.xml."""
