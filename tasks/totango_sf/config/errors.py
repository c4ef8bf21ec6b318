"""The one exception every config problem becomes, so each caller maps it to one exit code."""

from __future__ import annotations

from tasks.totango_sf.errors import BadInput


class ConfigError(BadInput):
    """Bad setup config; ``problems`` are ``key.path: message`` lines."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))
