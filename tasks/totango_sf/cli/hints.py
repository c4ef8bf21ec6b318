"""Commands printed as hints, made runnable exactly as printed.

A hint that names ``totango-sf deploy --org uat`` must carry the ``--config`` the user
passed, or running it would act on the default config. The steps (``steps/``) name
commands without knowing the org or the config; these functions complete them.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any


def rerun_command(
    command: str, org: str | None, config: Path | None, *flags: str, **switches: bool
) -> str:
    """A hint that runs as printed: the same org and ``--config``, plus the given switches.

    ``switches`` name boolean options (``allow_manual=True`` -> ``--allow-manual``).
    """
    parts = ["totango-sf", *command.split()]
    if org:
        parts += ["--org", org]
    if config is not None:
        parts += ["--config", str(config)]
    parts += list(flags)
    parts += [f"--{name.replace('_', '-')}" for name, on in switches.items() if on]
    return shlex.join(parts)


# A command named in a hint: ``totango-sf <command> --org <name>`` or ``cci task run <task>
# --org <name>``; NAME stands for the org when the step does not know it.
_HINTED_COMMAND = re.compile(r"(totango-sf [a-z][a-z -]*?) --org ([A-Za-z0-9_.@-]+)")


def runnable_hint(text: str, org: str, config: Path | None) -> str:
    """``text`` with every ``totango-sf ... --org X`` hint made runnable as printed.

    The steps name commands without knowing the org name or the ``--config`` the
    user passed; a hint that drops ``--config`` would act on the default config.
    """

    def complete(match: re.Match[str]) -> str:
        command = f"{match.group(1)} --org {shlex.quote(org)}"
        if config is not None:
            command += f" --config {shlex.quote(str(config))}"
        return command

    return _HINTED_COMMAND.sub(complete, text)


def runnable_hints(document: Any, org: str, config: Path | None) -> Any:
    """Every string of a JSON-ready document passed through ``runnable_hint``."""
    if isinstance(document, str):
        return runnable_hint(document, org, config)
    if isinstance(document, dict):
        return {key: runnable_hints(value, org, config) for key, value in document.items()}
    if isinstance(document, list):
        return [runnable_hints(value, org, config) for value in document]
    return document
