"""``totango-sf plan``: what the setup would change, offline or read from an org.

Two plans, two names: the offline plan (``render/plan.py`` ``build_plan``) renders the
package from the config alone; the org plan (``org/org_plan.py`` ``plan_against_org``,
an ``OrgPlan``) reads the org and diffs, as deploy would. Neither sends anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from tasks.totango_sf.cli.option_sets import options_command
from tasks.totango_sf.cli.options import (
    AdoptOption,
    ConfigOption,
    JsonOption,
    OrgOption,
    completer,
)
from tasks.totango_sf.cli.org_errors import handle_org_errors, org_errors
from tasks.totango_sf.cli.org_tables import component_rows, print_diffs
from tasks.totango_sf.cli.output import (
    fail,
    out,
    print_component_table,
    print_problems_table,
    print_result,
    print_warnings,
    styled,
)
from tasks.totango_sf.cli.progress import ObservedSession, reading
from tasks.totango_sf.cli.record_pages import print_record_pages
from tasks.totango_sf.cli.session import connect_or_exit, load_config_or_exit
from tasks.totango_sf.errors import EXIT_BAD_INPUT, EXIT_DEPLOY_FAILED, EXIT_DRIFT


@dataclass(frozen=True)
class PlanOptions:
    """The options of `totango-sf plan`."""

    config: ConfigOption = None
    org: OrgOption = None
    out_dir: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Where to write the package.")
    ] = Path("build/totango")
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="mdapi|source",
            autocompletion=completer(("mdapi", "source")),
            help="mdapi (Metadata API folder with package.xml) or source (sfdx).",
        ),
    ] = "mdapi"
    diff: Annotated[
        bool, typer.Option("--diff", help="With --org: the unified XML diff of each change.")
    ] = False
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode",
            help="With --org: exit 3 when changes are pending, 0 when in sync (as Terraform).",
        ),
    ] = False
    force: Annotated[
        bool, typer.Option("--force", help="Let --out replace files this command did not write.")
    ] = False
    as_json: JsonOption = False
    adopt: AdoptOption = False


@options_command(PlanOptions)
def plan_command(options: PlanOptions) -> None:
    """Render and validate the setup package and show what it would change.

    Offline unless --org is given. Writes the package to OUT/package and the
    layout and settings fragments that the merge adds to OUT/patches. With --org it
    reads the org and diffs; it never deploys, not even check-only.
    """
    as_json, org = options.as_json, options.org
    if options.output_format not in ("mdapi", "source"):
        fail(f"--format must be 'mdapi' or 'source', not {options.output_format!r}", 2, as_json)
    if (options.diff or options.detailed_exitcode or options.adopt) and not org:
        option = (
            "--diff" if options.diff else "--detailed-exitcode" if options.detailed_exitcode
            else "--adopt"
        )  # fmt: skip
        fail(f"{option} compares with an org: add --org NAME", EXIT_BAD_INPUT, as_json)
    if not org:
        from tasks.totango_sf.metadata.schema import start_loading_toolkit_schema

        start_loading_toolkit_schema()
    cfg = load_config_or_exit(options.config, org, as_json)
    if org:
        _show_org_plan(cfg, org, options)
        return
    _write_offline_plan(cfg, options.out_dir, options.output_format, options.force, as_json)


def _write_offline_plan(
    cfg: Any, out_dir: Path, output_format: str, force: bool, as_json: bool
) -> None:
    """``totango-sf plan``: the offline plan (``render/plan.py``), rendered and written."""
    from tasks.totango_sf.errors import LocalFileError
    from tasks.totango_sf.metadata.paths import UnsafePath
    from tasks.totango_sf.metadata.validation import SchemaValidationError
    from tasks.totango_sf.render.plan import build_plan, plan_files, write_files

    offline_plan = build_plan(cfg)
    files = plan_files(offline_plan, output_format)  # type: ignore[arg-type]
    try:
        write_files(files, out_dir, force=force)
    except SchemaValidationError as exc:
        print_problems_table("schema errors (nothing written)", exc.problems)
        fail("the rendered package is not schema-valid", EXIT_DEPLOY_FAILED, as_json)
    except UnsafePath as exc:  # OutDirRefused among them
        fail(str(exc), EXIT_BAD_INPUT, as_json)
    except LocalFileError as exc:  # --out cannot be a folder, or the disk is full
        fail(str(exc), exc.exit_code, as_json)
    document = {
        **offline_plan.to_json(),
        "out_dir": str(out_dir),
        "format": output_format,
        "files": sorted(files),
        "validated": len(files),
    }
    if as_json:
        print_result(document)
        return
    print_component_table(offline_plan.table_rows(), "Totango setup plan (offline)")
    out.print(
        styled(
            f"Wrote {len(files)} files to ",
            (str(out_dir), "bold"),
            f" ({output_format}); all passed Metadata API schema validation.",
        )
    )
    print_warnings(offline_plan.warnings)


def _show_org_plan(cfg: Any, org: str, options: PlanOptions) -> None:
    """``totango-sf plan --org``: the org plan (``org/org_plan.py``); changes nothing.

    It reads the org and shows what deploy would do. No check-only deploy: the diff is
    between the org's retrieved files and the merge. ``detailed`` exits 3 (drift) when
    changes are pending, as Terraform's ``-detailed-exitcode`` distinguishes "changes
    present" from success. ``--adopt``: the plan of ``deploy --adopt`` (sections and
    ranges made by hand become ours).
    """
    as_json, out_dir, diff = options.as_json, options.out_dir, options.diff
    session = connect_or_exit(org, as_json)
    from tasks.totango_sf.org.org_plan import plan_against_org
    from tasks.totango_sf.render.plan import write_files

    if options.output_format != "mdapi":
        fail(
            "plan --org writes a Metadata API package; use --format mdapi", EXIT_BAD_INPUT, as_json
        )
    try:
        with reading(f"plan {org}") as say:
            org_plan = plan_against_org(ObservedSession(session, say), cfg, options.adopt)
        package = {f"package/{p}": d for p, d in org_plan.files.items()}
        written = write_files(package, out_dir, force=options.force)
    except org_errors() as exc:
        handle_org_errors(session, as_json, exc)
    code = EXIT_DRIFT if options.detailed_exitcode and not org_plan.state.in_sync else 0
    if as_json:
        document = {
            **org_plan.to_json(with_diff=diff),
            "out_dir": str(out_dir),
            "files": len(written),
        }
        print_result(document, code)
        raise typer.Exit(code)
    print_component_table(component_rows(org_plan.state), f"Totango setup plan for {org}")
    print_record_pages(org_plan.state.record_pages)
    if diff:
        print_diffs(org_plan.state)
    if org_plan.state.in_sync:
        out.print(styled(("in sync", "green"), ": deploy would change nothing."))
    else:
        out.print(
            styled("Wrote the package deploy would send to ", (f"{out_dir}/package", "bold"), ".")
        )
    for problem in org_plan.state.blocking:
        out.print(styled(("deploy would refuse:", "bold red"), " ", problem))
    print_warnings(org_plan.state.warnings)
    raise typer.Exit(code)
