"""Commands whose options are a dataclass: declared once, handed to the body as one value.

typer reads a command's options from its signature. A command with a dozen options would
need a dozen parameters, so here the options are the fields of a frozen dataclass (each
field's ``Annotated`` type carries its ``typer.Option``), and ``options_command`` gives
typer a signature built from those fields while the body receives the dataclass.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar, get_type_hints

Options = TypeVar("Options")


def options_command(options_type: type[Options]) -> Callable[[Callable[[Options], None]], Any]:
    """Decorate ``body(options)`` into a typer command taking each field as an option."""
    hints = get_type_hints(options_type, include_extras=True)
    parameters = [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=field.default,
            annotation=hints[field.name],
        )
        for field in fields(options_type)  # type: ignore[arg-type]
    ]

    def wrap(body: Callable[[Options], None]) -> Any:
        @functools.wraps(body)
        def command(**values: Any) -> None:
            body(options_type(**values))

        command.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in parameters}
        del command.__wrapped__  # typer must read the built signature, not the body's
        return command

    return wrap
