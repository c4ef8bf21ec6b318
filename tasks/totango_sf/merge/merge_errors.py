"""The base of every merge refusal: the org's (or the repository's) file cannot take the patch."""

from __future__ import annotations

from tasks.totango_sf.errors import Failed


class MergeRefused(Failed):
    """A patch cannot be merged into the file it is meant for; nothing was sent or written."""

    def verdict_message(self) -> str:
        return f"cannot merge into the org's file: {self}"
