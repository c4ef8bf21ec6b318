"""CumulusCI tasks for the offline parts: plan, apply to a local project, validate.

They call the same functions as the command line. Options are typed ``Options``
models (``cci/options.py``), so bad options raise ``TaskOptionsError`` before
anything runs and ``cci task info`` shows each option's type and default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from cumulusci.core.exceptions import TaskOptionsError
from cumulusci.utils.options import Field, ListOfStringsOption

from tasks.totango_sf.cci.options import ConfigOptions, TotangoOptions
from tasks.totango_sf.cci.project import TotangoTask
from tasks.totango_sf.metadata.paths import UnsafePath


class TotangoPlan(TotangoTask):
    task_docs = """
    Renders the Totango setup package from the config, validates every file against
    the Metadata API schema and writes it to ``out`` (``package/`` plus the layout and
    settings fragments under ``patches/``). Needs no org.
    """
    salesforce_task = False

    class Options(ConfigOptions):
        out: Path = Field(Path("build/totango"), description="Output folder.")
        format: Literal["mdapi", "source"] = Field(
            "mdapi", description="mdapi (Metadata API folder) or source (sfdx)."
        )

    parsed_options: Options

    def _run(self) -> None:
        from tasks.totango_sf.render.plan import build_plan, plan_files, write_files

        plan = build_plan(self._load_totango_config())
        files = plan_files(plan, self.parsed_options.format)
        try:
            write_files(files, self.parsed_options.out)
        except UnsafePath as exc:  # the out folder holds files this task did not write
            raise TaskOptionsError(f"Option 'out': {exc}") from None
        for row in plan.rows():
            self.logger.info(f"{row['action']:7} {row['type']:14} {row['name']}: {row['summary']}")
        for warning in plan.warnings:
            self.logger.warning(warning)
        self.logger.info(f"Wrote {len(files)} schema-valid files to {self.parsed_options.out}")
        self.return_values = plan.to_json()


class TotangoApplySource(TotangoTask):
    task_docs = """
    Writes the Totango setup into a local project in place: new components, the
    widget section merged into matching layouts, the trusted ranges merged into
    Security.settings. Works on sfdx projects and Metadata API folders.
    """
    salesforce_task = False

    class Options(ConfigOptions):
        source_dir: Path = Field(..., description="Project folder to edit.")
        allow_placeholders: bool = Field(
            False, description="Write the documentation IP list (RFC 5737/3849) anyway."
        )

    parsed_options: Options

    def _run(self) -> None:
        from tasks.totango_sf.merge.source_dir import (
            ApplySourceError,
            PlaceholderRangesError,
            apply_to_source,
        )

        source_dir = self.parsed_options.source_dir
        if not source_dir.is_dir():
            raise TaskOptionsError(f"Option 'source_dir': {source_dir} is not a directory")
        try:
            result = apply_to_source(
                self._load_totango_config(),
                source_dir,
                allow_placeholders=self.parsed_options.allow_placeholders,
            )
        except PlaceholderRangesError as exc:
            raise TaskOptionsError(str(exc)) from None
        except ApplySourceError as exc:
            raise TaskOptionsError(f"Option 'source_dir': {exc}") from None
        for warning in result.warnings:
            self.logger.warning(warning)
        for change in result.changes:
            self.logger.info(f"{change.change:9} {change.path} {change.detail}")
        self.return_values = result.to_json()


class TotangoValidate(TotangoTask):
    task_docs = """
    Validates metadata files or folders against the Metadata API schema and fails
    with one ``file:line: problem`` line per error.
    """
    salesforce_task = False

    class Options(TotangoOptions):
        paths: ListOfStringsOption = Field(..., description="Comma-separated files or folders.")
        fail_on_error: bool = Field(True, description="Fail the task on errors.")

    parsed_options: Options

    def _run(self) -> None:
        from tasks.totango_sf.metadata.validation import (
            SchemaValidationError,
            collect_metadata_files,
            validate_files,
        )

        paths = [Path(p) for p in self.parsed_options.paths if p]
        if not paths:
            raise TaskOptionsError("Option 'paths' names no file or folder")
        try:
            files = collect_metadata_files(paths)
        except FileNotFoundError as exc:
            raise TaskOptionsError(f"Option 'paths': no such file or folder {exc}") from None
        problems = validate_files(files)
        for problem in problems:
            self.logger.error(str(problem))
        self.logger.info(f"{len(files)} file(s) checked, {len(problems)} problem(s)")
        self.return_values = {"checked": len(files), "problems": [str(p) for p in problems]}
        if problems and self.parsed_options.fail_on_error:
            raise SchemaValidationError(problems)
