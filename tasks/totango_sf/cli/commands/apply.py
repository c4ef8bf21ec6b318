"""``totango-sf apply``: the setup written into a local project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tasks.totango_sf.cli.options import ConfigOption, JsonOption
from tasks.totango_sf.cli.output import (
    VERB_COLOUR,
    Column,
    fail,
    out,
    print_problems_table,
    print_result,
    print_table,
    print_warnings,
    styled,
    verb,
)
from tasks.totango_sf.cli.session import load_config_or_exit
from tasks.totango_sf.errors import EXIT_BAD_INPUT, EXIT_DEPLOY_FAILED


def apply_command(
    source_dir: Annotated[
        Path,
        typer.Option(
            "--source-dir", metavar="DIR", help="sfdx project or Metadata API folder to edit."
        ),
    ],
    config: ConfigOption = None,
    allow_placeholders: Annotated[
        bool,
        typer.Option(
            "--allow-placeholders",
            help="Write the documentation IP list (RFC 5737/3849) even though it is a placeholder.",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show what would change; write nothing (the merge runs on a copy)."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write the setup into a local project: new components plus merged layouts and settings.

    Lines the merge does not change keep their bytes (entities, comments, CRLF).
    Schema errors a file already had are warnings; an error the merge adds refuses the run.
    """
    from tasks.totango_sf.merge.source_dir import ApplySourceError, PlaceholderRangesError
    from tasks.totango_sf.metadata.validation import SchemaValidationError

    cfg = load_config_or_exit(config, None, as_json)
    if not source_dir.is_dir():
        fail(f"--source-dir {source_dir} is not a directory", EXIT_BAD_INPUT, as_json)
    try:
        result = _apply(cfg, source_dir, allow_placeholders, dry_run)
    except PlaceholderRangesError as exc:
        fail(str(exc), EXIT_BAD_INPUT, as_json)
    except ApplySourceError as exc:
        fail(f"--source-dir {source_dir}: {exc}", EXIT_BAD_INPUT, as_json)
    except SchemaValidationError as exc:
        if not as_json:
            print_problems_table(
                "schema errors the merge would add (nothing written)", exc.problems
            )
        fail(
            "the merge would add schema errors; nothing was written",
            EXIT_DEPLOY_FAILED,
            as_json,
            problems=[str(p) for p in exc.problems],
        )
    if as_json:
        print_result({**result.to_json(), "dry_run": dry_run})
        return
    changes = [c for c in result.changes if c.change != "unchanged"]
    unchanged = len(result.changes) - len(changes)
    if not changes:
        out.print(
            styled(
                ("nothing to change", "green"),
                f": {source_dir} already holds the setup ({unchanged} file(s) checked)",
            ),
            soft_wrap=True,
        )
        print_warnings(result.warnings)
        return
    rows = [
        [c.path, styled((verb(c.change), VERB_COLOUR.get(verb(c.change), ""))), c.detail]
        for c in changes
    ]
    would = "would change" if dry_run else "changed"
    print_table(
        f"apply to {source_dir} ({result.project_format}){' - dry run' if dry_run else ''}",
        [Column("file", whole=True), Column("change", whole=True), Column("detail")],
        rows,
    )
    tail = f"; {unchanged} file(s) already up to date" if unchanged else ""
    out.print(f"{len(changes)} file(s) {would}{tail}", soft_wrap=True)
    if dry_run:
        out.print("dry run: nothing was written", soft_wrap=True)
    print_warnings(result.warnings)


# Folders a dry run does not copy: never merged into, and possibly large.
_NOT_COPIED = (".git", "node_modules", ".sfdx", ".sf", ".venv", "__pycache__")


def _apply(cfg: Any, source_dir: Path, allow_placeholders: bool, dry_run: bool) -> Any:
    """The merge written into ``source_dir``, or (``dry_run``) into a copy of it."""
    from tasks.totango_sf.merge.source_dir import ApplySourceError, apply_to_source

    if not dry_run:
        return apply_to_source(cfg, source_dir, allow_placeholders=allow_placeholders)
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="totango-apply-") as scratch:
        copy = Path(scratch) / "project"
        shutil.copytree(
            source_dir, copy, symlinks=True, ignore=shutil.ignore_patterns(*_NOT_COPIED)
        )
        try:
            return apply_to_source(cfg, copy, allow_placeholders=allow_placeholders)
        except ApplySourceError as exc:  # name the user's folder, not the copy
            raise ApplySourceError(str(exc).replace(str(copy), str(source_dir))) from None
