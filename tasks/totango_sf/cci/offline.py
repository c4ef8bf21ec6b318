"""CumulusCI tasks for the offline parts: plan, apply to a local project, validate.

They call the same functions as the command line; options follow CumulusCI's
style and bad options raise ``TaskOptionsError`` before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cumulusci.core.exceptions import TaskOptionsError
from cumulusci.core.tasks import BaseTask
from cumulusci.core.utils import process_bool_arg

from tasks.totango_sf.config.model import ConfigError, TotangoConfig, load_config

CONFIG_OPTION = {
    "config": {
        "description": "Path of the setup config YAML. Default: orgconfig/totango.yml.",
        "required": False,
    },
    "config_org": {
        "description": "Apply the overlay orgconfig/<config_org>.yml. Default: no overlay.",
        "required": False,
    },
}


class TotangoConfigMixin:
    options: dict[str, Any]

    def _load_totango_config(self) -> TotangoConfig:
        path = self.options.get("config")
        try:
            return load_config(Path(path) if path else None, self.options.get("config_org"))
        except ConfigError as exc:
            raise TaskOptionsError(
                f"Invalid Totango config {exc.source}: " + "; ".join(exc.problems)
            ) from None


class TotangoPlan(TotangoConfigMixin, BaseTask):
    task_docs = """
    Renders the Totango setup package from the config, validates every file against
    the Metadata API schema and writes it to ``out`` (``package/`` plus the layout and
    settings fragments under ``patches/``). Needs no org.
    """
    task_options = {
        **CONFIG_OPTION,
        "out": {"description": "Output folder. Default: build/totango.", "required": False},
        "format": {
            "description": "mdapi (Metadata API folder, default) or source (sfdx).",
            "required": False,
        },
    }
    salesforce_task = False

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        self.options["out"] = Path(self.options.get("out") or "build/totango")
        fmt = self.options.get("format") or "mdapi"
        if fmt not in ("mdapi", "source"):
            raise TaskOptionsError(f"Option 'format' must be mdapi or source, not {fmt!r}")
        self.options["format"] = fmt

    def _run_task(self) -> None:
        from tasks.totango_sf.render.plan import build_plan, plan_files, write_files

        plan = build_plan(self._load_totango_config())
        files = plan_files(plan, self.options["format"])
        write_files(files, self.options["out"])
        for row in plan.rows():
            self.logger.info(f"{row['action']:7} {row['type']:14} {row['name']}: {row['summary']}")
        for warning in plan.warnings:
            self.logger.warning(warning)
        self.logger.info(f"Wrote {len(files)} schema-valid files to {self.options['out']}")
        self.return_values = plan.to_json()


class TotangoApplySource(TotangoConfigMixin, BaseTask):
    task_docs = """
    Writes the Totango setup into a local project in place: new components, the
    widget section merged into matching layouts, the trusted ranges merged into
    Security.settings. Works on sfdx projects and Metadata API folders.
    """
    task_options = {
        **CONFIG_OPTION,
        "source_dir": {"description": "Project folder to edit.", "required": True},
    }
    salesforce_task = False

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        source_dir = Path(self.options["source_dir"])
        if not source_dir.is_dir():
            raise TaskOptionsError(f"Option 'source_dir': {source_dir} is not a directory")
        self.options["source_dir"] = source_dir

    def _run_task(self) -> None:
        from tasks.totango_sf.merge.source_dir import ApplySourceError, apply_to_source

        try:
            result = apply_to_source(self._load_totango_config(), self.options["source_dir"])
        except ApplySourceError as exc:
            raise TaskOptionsError(f"Option 'source_dir': {exc}") from None
        for change in result.changes:
            self.logger.info(f"{change.change:9} {change.path} {change.detail}")
        self.return_values = result.to_json()


class TotangoValidate(BaseTask):
    task_docs = """
    Validates metadata files or folders against the Metadata API schema and fails
    with one ``file:line: problem`` line per error.
    """
    task_options = {
        "paths": {"description": "Comma-separated files or folders.", "required": True},
        "fail_on_error": {"description": "Fail the task on errors. Default: true."},
    }
    salesforce_task = False

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        paths = self.options["paths"]
        if isinstance(paths, str):
            paths = [p.strip() for p in paths.split(",") if p.strip()]
        if not paths:
            raise TaskOptionsError("Option 'paths' names no file or folder")
        self.options["paths"] = [Path(p) for p in paths]
        self.options["fail_on_error"] = process_bool_arg(self.options.get("fail_on_error", True))

    def _run_task(self) -> None:
        from tasks.totango_sf.metadata.validation import (
            SchemaValidationError,
            collect_metadata_files,
            validate_files,
        )

        try:
            files = collect_metadata_files(self.options["paths"])
        except FileNotFoundError as exc:
            raise TaskOptionsError(f"Option 'paths': no such file or folder {exc}") from None
        problems = validate_files(files)
        for problem in problems:
            self.logger.error(str(problem))
        self.logger.info(f"{len(files)} file(s) checked, {len(problems)} problem(s)")
        self.return_values = {"checked": len(files), "problems": [str(p) for p in problems]}
        if problems and self.options["fail_on_error"]:
            raise SchemaValidationError(problems)
