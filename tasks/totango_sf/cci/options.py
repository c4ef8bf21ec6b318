"""Typed task options in CumulusCI's ``CCIOptions`` style, with types and defaults shown.

Each task declares a nested ``Options`` model: CumulusCI parses and type-checks the
options before the task runs and refuses unknown ones with ``TaskOptionsError``.
CumulusCI 4.10's ``cci task info`` prints only a description and the defaults set in
``cumulusci.yml``: it reads an option's ``type`` key, which ``CCIOptions`` never fills,
and ignores the model's default. ``TotangoOptions`` fills both in, so that
``cci task info`` shows each option's type and default with no hand-kept copy.
"""

from __future__ import annotations

from inspect import signature
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from cumulusci.utils.options import CCIOptions, CCIOptionType, Field


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, CCIOptionType):
        # The parsed type (List[str]) says more to a user than the parser's class name.
        parser: Any = annotation
        parsed = signature(parser.from_str).return_annotation
        return str(parsed).replace("typing.", "").replace("List", "list")
    if get_origin(annotation) is Literal:
        return " | ".join(str(a) for a in get_args(annotation))
    for simple in (bool, int, float, str, Path):
        # pydantic's constrained types (ConstrainedFloatValue) subclass the plain one.
        if isinstance(annotation, type) and issubclass(annotation, simple):
            return simple.__name__
    return getattr(annotation, "__name__", str(annotation))


class TotangoOptions(CCIOptions):
    """Base of every Totango task's options."""

    @classmethod
    def as_task_options(cls) -> dict[str, dict[str, Any]]:
        options: dict[str, dict[str, Any]] = super().as_task_options()
        for name, model_field in cls.__fields__.items():
            entry = options[name]
            entry["type"] = _type_name(model_field.outer_type_)
            default = model_field.field_info.default
            if not model_field.required and default is not None:
                shown = str(default).lower() if isinstance(default, bool) else default
                entry["description"] = f"{entry['description']} Default: {shown}."
        return options


class ConfigOptions(TotangoOptions):
    """The setup config and its org overlay, as the command line reads them."""

    config: Path | None = Field(
        None,
        description="Setup config YAML, relative to the project that runs the task."
        " Default: orgconfig/totango.yml.",
    )
    config_org: str | None = Field(
        None,
        description="Overlay orgconfig/<config_org>.yml over the config. Org tasks"
        " default to the name of the org they run on, as `totango-sf --org` does.",
    )


class TimeoutOptions(TotangoOptions):
    timeout: float = Field(
        1800, gt=0, description="Seconds before the deploy is canceled and reported unknown."
    )
