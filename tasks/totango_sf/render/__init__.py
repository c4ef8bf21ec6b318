"""Render: turn the validated config into the plan and the metadata files of the package."""
