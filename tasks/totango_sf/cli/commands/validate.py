"""``totango-sf validate``: metadata files checked against the Metadata API schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tasks.totango_sf.cli.options import ConfigOption, JsonOption
from tasks.totango_sf.cli.output import fail, out, print_result, styled
from tasks.totango_sf.cli.session import load_config_or_exit
from tasks.totango_sf.errors import EXIT_BAD_INPUT, EXIT_DEPLOY_FAILED


def validate_command(
    # Hidden from the arguments list, which would print its Python type; the usage line
    # and the text below name it.
    paths: Annotated[list[Path] | None, typer.Argument(metavar="PATH", hidden=True)] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check metadata files against the Metadata API schema (file:line: problem).

    Each PATH is a metadata file or a folder of them.

    Exit codes: 0 every file valid, 1 a file has a problem (as a linter's findings),
    2 bad input (a path that does not exist, a broken --config).
    """
    from tasks.totango_sf.metadata.validation import collect_metadata_files, validate_files

    if not paths:
        fail("missing PATH: name a metadata file or folder", EXIT_BAD_INPUT, as_json)
    load_config_or_exit(config, None, as_json)
    try:
        files = collect_metadata_files(paths)
    except FileNotFoundError as exc:
        fail(f"no such file or folder: {exc}", EXIT_BAD_INPUT, as_json)
    problems = validate_files(files)
    if as_json:
        print_result(
            {
                "checked": len(files),
                "problems": [
                    {"path": p.path, "line": p.line, "message": p.message} for p in problems
                ],
            },
            EXIT_DEPLOY_FAILED if problems else 0,
        )
    else:
        for problem in problems:
            out.print(str(problem), soft_wrap=True)
        verdict = ("invalid", "red") if problems else ("valid", "green")
        out.print(styled(f"{len(files)} file(s) checked, {len(problems)} problem(s): ", verdict))
    if problems:
        # A file that fails the schema is a finding, not bad input: the README's exit
        # codes give 1 to "a rendered file failed schema validation".
        raise typer.Exit(EXIT_DEPLOY_FAILED)
