"""The org a command acts on when ``--org`` is left out, and the names completion offers.

As with ``cci`` and ``sf``: CumulusCI's default org (``cci org default NAME``) first, then
the sf CLI's ``target-org`` (``sf config set target-org NAME``: the project's
``.sf/config.json``, else the user's ``~/.sf/config.json``; ``SF_TARGET_ORG`` wins over
both, as it does for sf). The org picked is named on stderr, so ``--json`` keeps stdout to
its document. Nothing here contacts an org.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from tasks.totango_sf.cli.output import err, fail, styled
from tasks.totango_sf.errors import EXIT_BAD_INPUT

NO_ORG = (
    "no org given: pass --org NAME (or -o NAME), or set a default with"
    " `cci org default NAME` or `sf config set target-org NAME`"
)


def cumulusci_default_org() -> str | None:
    """CumulusCI's default org of this project, or None (no project, no keychain, none set)."""
    try:
        from tasks.totango_sf.salesforce.connection import shared_runtime

        name, _ = shared_runtime().keychain.get_default_org()
    except Exception:  # noqa: BLE001 - no project, no keychain: there is no default
        return None
    return str(name) if name else None


def _sf_config_files(start: Path) -> list[Path]:
    """sf's config files, nearest first: each folder's ``.sf/config.json`` up to the root,
    then the user's own."""
    folders = [start, *start.parents]
    files = [folder / ".sf" / "config.json" for folder in folders]
    return [*files, Path.home() / ".sf" / "config.json"]


def sf_target_org(start: Path | None = None) -> str | None:
    """sf's ``target-org``: ``SF_TARGET_ORG``, else the nearest config file that sets it."""
    if os.environ.get("SF_TARGET_ORG"):
        return os.environ["SF_TARGET_ORG"]
    for path in _sf_config_files(start or Path.cwd()):
        try:
            value = json.loads(path.read_text(encoding="utf-8")).get("target-org")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(value, str) and value:
            return value
    return None


def default_org() -> tuple[str, str] | None:
    """The default org and where it was set, or None."""
    name = cumulusci_default_org()
    if name:
        return name, "CumulusCI's default org"
    name = sf_target_org()
    if name:
        return name, "sf's target-org"
    return None


def org_or_default(org: str | None, as_json: bool) -> str:
    """``org`` as given, else the default org (named on stderr), else exit 2 saying how."""
    if org:
        return org
    from tasks.totango_sf.salesforce.identifiers import org_name_problem

    found = default_org()
    if found is None:
        fail(NO_ORG, EXIT_BAD_INPUT, as_json)
    name, source = found
    if problem := org_name_problem(name):
        fail(f"{source} {name!r} cannot be used: {problem}", EXIT_BAD_INPUT, as_json)
    err.print(styled(("using org ", "dim"), (name, "bold"), (f" ({source})", "dim")))
    return name


def org_names_for_completion(incomplete: str = "") -> list[str]:
    """Names to complete ``--org`` with: CumulusCI's orgs, then sf's aliases."""
    names: list[str] = []
    # Completion never fails the shell: no keychain is no names from it.
    with contextlib.suppress(Exception):
        from tasks.totango_sf.salesforce.connection import list_org_names

        names += list_org_names()
    names += sf_aliases()
    return [n for n in dict.fromkeys(names) if n.startswith(incomplete)]


def sf_aliases() -> list[str]:
    """The aliases sf keeps in ``~/.sfdx/alias.json`` (its file of aliases), if any."""
    try:
        data = json.loads((Path.home() / ".sfdx" / "alias.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    orgs = data.get("orgs") if isinstance(data, dict) else None
    return sorted(orgs) if isinstance(orgs, dict) else []
