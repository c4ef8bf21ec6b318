"""How an org command ends on an error of the org path: through the one verdict.

``org/verdicts.py`` decides each error's exit code, message, data and actions; here
the verdict is shown (the schema problems and diffs it carries, in a table) and the
command ends with its code. No command keeps a chain of ``except`` clauses of its own.
"""

from __future__ import annotations

from typing import Any, NoReturn

from tasks.totango_sf.cli.output import fail, out, print_problems_table


def org_errors() -> tuple[type[Exception], ...]:
    """What ``handle_org_errors`` takes, for an ``except``; the org code loads on first use."""
    from tasks.totango_sf.org.verdicts import handled_errors

    return handled_errors()


def handle_org_errors(
    session: Any, as_json: bool, exc: Exception, with_yes: str | None = None
) -> NoReturn:
    """Turn the deploy path's specific exceptions into exit codes and messages."""
    from tasks.totango_sf.org.verdicts import verdict_of

    secrets = session.secrets if session is not None else ()
    verdict = verdict_of(exc, secrets, session.name if session is not None else "")
    if verdict.problems and not as_json:
        print_problems_table("schema errors (nothing sent)", verdict.problems)
    diffs = verdict.data.get("diffs")
    if diffs and not as_json:
        for diff in diffs.values():
            out.print(diff, soft_wrap=True)
    # ``with_yes``: the same command with --yes, offered when production refused it.
    actions = list(verdict.actions)
    if with_yes and "--yes" in verdict.message:
        actions.append(with_yes)
    fail(verdict.message, verdict.code, as_json, actions=actions, **verdict.data)
