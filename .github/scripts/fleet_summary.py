"""Merge the fleet jobs' JSON reports into one Markdown summary and one exit code.

    python3 .github/scripts/fleet_summary.py --matrix "$FLEET_MATRIX" reports/ \
        >> "$GITHUB_STEP_SUMMARY"

Each report is the stdout of one `totango-sf deploy --org ... --json` run, named
`<group>.json`; a folder argument stands for every `*.json` file under it. A report
holds one of three documents:

- the fleet envelope (two or more orgs): `{"status": N, "result": {"orgs": [...]}}`,
  one row per org, each with its own `status`;
- the single-org envelope (a group of one org): `{"status": N, "result": {"org": ...}}`;
- an error envelope (refused or failed before any result, for the whole group):
  `{"status": N, "name": ..., "message": ...}`.

An org succeeded only on status 0. Status 5 is "outcome unknown": the deploy may still
run and change the org, so it is reported apart, with its deploy id and the command
that settles it. Any other status is a failure, and so is a report that is missing,
unreadable or not one of the documents above. With `--matrix` (the JSON the matrix job
printed), every org of every group must be accounted for: a group without a report,
or an org its group's report does not name, is a failure.

Exit 0 when every org succeeded, 5 when any org's outcome is unknown, else 1. Only the
standard library is used, so any Python 3 runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OK, FAILED, UNKNOWN = "ok", "FAILED", "UNKNOWN"
EXIT_OUTCOME_UNKNOWN = 5
WHOLE_GROUP = "(whole group)"


@dataclass
class Row:
    group: str
    org: str
    status: int | None  # None: no exit code known (no report, or no status in it)
    detail: str
    deploy_id: str | None = None
    action: str | None = None

    @property
    def outcome(self) -> str:
        if self.status == 0:
            return OK
        if self.status == EXIT_OUTCOME_UNKNOWN:
            return UNKNOWN
        return FAILED


def _status(value: Any) -> int | None:
    # bool is an int to Python, never to a --json document.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else ""


def _settle(org: str, deploy_id: str | None, actions: Any) -> str:
    for action in actions if isinstance(actions, list) else []:
        if isinstance(action, str) and action.startswith("totango-sf status"):
            return action
    command = f"totango-sf status --org {org}"
    return f"{command} --deploy-id {deploy_id}" if deploy_id else command


def _result_detail(result: dict[str, Any]) -> tuple[str, str | None]:
    """A one-line account of a command's result, and its deploy id."""
    deploy = result.get("deploy") if isinstance(result.get("deploy"), dict) else {}
    deploy_id = result.get("deploy_id") or deploy.get("id") or None
    parts = [str(result.get("status") or "done")]
    if deploy_id:
        parts[0] += f" {deploy_id}"
    failures = deploy.get("failures") if isinstance(deploy.get("failures"), list) else []
    if failures and isinstance(failures[0], dict):
        first = failures[0]
        where = " ".join(str(first[k]) for k in ("type", "name") if first.get(k))
        more = f" (+{len(failures) - 1} more)" if len(failures) > 1 else ""
        parts.append(f"{where}: {_first_line(first.get('problem'))}{more}")
    elif deploy.get("error_message"):
        parts.append(_first_line(deploy["error_message"]))
    if result.get("follow_up_error"):
        parts.append(f"follow-up failed: {_first_line(result['follow_up_error'])}")
    verify = result.get("verify")
    if isinstance(verify, dict) and verify.get("in_sync") is False:
        parts.append(f"drift: {len(verify.get('drift') or [])} component(s) differ")
    return "; ".join(parts), (str(deploy_id) if deploy_id else None)


def _row(group: str, org: str, status: int | None, body: dict[str, Any]) -> Row:
    """One org's row from a document (or a fleet row) that holds a result or an error."""
    result = body.get("result")
    if isinstance(result, dict):
        detail, deploy_id = _result_detail(result)
    else:
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        deploy_id = str(data["deploy_id"]) if data.get("deploy_id") else None
        name = body.get("name")
        message = _first_line(body.get("message")) or "no message"
        detail = f"{name}: {message}" if name else message
    if status is None:
        detail = f"no exit status in the report; {detail}"
    row = Row(group, org, status, detail, deploy_id)
    if row.outcome == UNKNOWN:
        row.action = _settle(org, deploy_id, body.get("actions"))
    return row


def rows_of_document(group: str, document: Any, expected: list[str] | None) -> list[Row]:
    """The rows of one group's report; ``expected`` is the group's orgs when known."""
    everyone = expected or [WHOLE_GROUP]
    if not isinstance(document, dict) or "status" not in document:
        return [Row(group, org, None, "not a totango-sf --json document") for org in everyone]
    status = _status(document.get("status"))
    result = document.get("result")
    if not isinstance(result, dict):
        # An error envelope: the run stopped before any org had a result of its own.
        if status == 0:
            return [Row(group, org, None, "status 0 without a result") for org in everyone]
        return [_row(group, org, status, document) for org in everyone]
    if "orgs" not in result:
        org = str(result.get("org") or (expected[0] if expected and len(expected) == 1 else ""))
        found = [_row(group, org or WHOLE_GROUP, status, document)]
    elif not isinstance(result["orgs"], list) or not result["orgs"]:
        return [Row(group, org, status, "the report lists no org") for org in everyone]
    else:
        found = []
        for entry in result["orgs"]:
            if not isinstance(entry, dict) or not entry.get("org"):
                found.append(Row(group, WHOLE_GROUP, None, "an org entry without a name"))
                continue
            found.append(_row(group, str(entry["org"]), _status(entry.get("status")), entry))
        if status != 0 and all(r.status == 0 for r in found):
            found.append(Row(group, WHOLE_GROUP, status, "the report's status is not 0"))
    named = {r.org for r in found}
    for org in expected or []:
        if org not in named:
            found.append(Row(group, org, None, "not in its group's report"))
    return found


def rows_of_report(path: Path, expected: list[str] | None) -> list[Row]:
    group = path.stem
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = "no report" if isinstance(exc, FileNotFoundError) else f"unreadable report: {exc}"
        return [Row(group, org, None, reason) for org in expected or [WHOLE_GROUP]]
    try:
        document = json.loads(text)
    except ValueError as exc:
        reason = f"the report is not JSON ({exc.__class__.__name__}): the job died or printed"
        reason += f" something else; it begins {text.strip()[:60]!r}" if text.strip() else ""
        return [Row(group, org, None, reason) for org in expected or [WHOLE_GROUP]]
    return rows_of_document(group, document, expected)


def report_paths(arguments: list[str]) -> list[Path]:
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        paths += sorted(path.rglob("*.json")) if path.is_dir() else [path]
    return paths


def expected_orgs(matrix_json: str) -> dict[str, list[str]]:
    """Each group's orgs, from the matrix job's output; ValueError when it is not one."""
    matrix = json.loads(matrix_json)
    include = matrix.get("include") if isinstance(matrix, dict) else None
    if not isinstance(include, list) or not include:
        raise ValueError("no group in it")
    groups: dict[str, list[str]] = {}
    for entry in include:
        if not isinstance(entry, dict) or not entry.get("group") or not entry.get("orgs"):
            raise ValueError(f"an entry without group and orgs: {entry!r}")
        groups[str(entry["group"])] = str(entry["orgs"]).split()
    return groups


def collect(arguments: list[str], matrix: dict[str, list[str]] | None) -> list[Row]:
    rows: list[Row] = []
    seen: set[str] = set()
    for path in report_paths(arguments):
        expected = matrix.get(path.stem) if matrix is not None else None
        seen.add(path.stem)
        rows += rows_of_report(path, expected)
    for group, orgs in (matrix or {}).items():
        if group not in seen:
            rows += [Row(group, org, None, "no report: the group's job wrote none") for org in orgs]
    return rows


def exit_code(rows: list[Row]) -> int:
    outcomes = {row.outcome for row in rows}
    if UNKNOWN in outcomes:
        return EXIT_OUTCOME_UNKNOWN
    return 0 if rows and outcomes == {OK} else 1


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def markdown(rows: list[Row], title: str) -> str:
    lines = [f"## {title}", ""]
    if not rows:
        return "\n".join(lines + ["**No report and no org: nothing is known to have run.**", ""])
    lines += ["| group | org | exit | outcome | detail |", "|---|---|---|---|---|"]
    rank = {UNKNOWN: 0, FAILED: 1, OK: 2}  # what needs a look first; report order within
    for row in sorted(rows, key=lambda r: (rank[r.outcome], r.group)):
        cells = [row.group, row.org, "-" if row.status is None else str(row.status)]
        cells += [row.outcome, row.detail]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    counts = {o: sum(1 for r in rows if r.outcome == o) for o in (OK, FAILED, UNKNOWN)}
    lines += [
        "",
        f"**{counts[OK]} of {len(rows)} org(s) succeeded; {counts[FAILED]} failed;"
        f" {counts[UNKNOWN]} outcome unknown.**",
    ]
    unknown = [r for r in rows if r.outcome == UNKNOWN]
    if unknown:
        lines += [
            "",
            "Outcome unknown: these deploys may still run and change their org. They are not"
            " failures and not successes; settle each one before deploying again:",
            "",
        ]
        for row in unknown:
            where = f"deploy {row.deploy_id}" if row.deploy_id else "deploy id not returned"
            lines.append(f"- {row.org} ({where}): `{row.action}`")
    return "\n".join(lines + [""])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="*", help="report files, or folders holding them")
    parser.add_argument(
        "--matrix", help="the matrix job's JSON: every org of every group must be reported"
    )
    parser.add_argument("--title", default="Totango fleet rollout")
    args = parser.parse_args(argv)
    matrix = None
    if args.matrix is not None:
        try:
            matrix = expected_orgs(args.matrix)
        except (ValueError, AttributeError) as exc:
            print(f"## {args.title}\n\n**No fleet matrix ({exc}): the matrix job failed.**\n")
            print(f"error: --matrix is not the matrix job's output: {exc}", file=sys.stderr)
            return 1
    rows = collect(args.reports, matrix)
    print(markdown(rows, args.title))
    code = exit_code(rows)
    failed = [r.org for r in rows if r.outcome == FAILED]
    unknown = [r.org for r in rows if r.outcome == UNKNOWN]
    verdict = f"{len(rows) - len(failed) - len(unknown)} of {len(rows)} org(s) succeeded"
    if failed:
        verdict += f"; failed: {', '.join(failed)}"
    if unknown:
        verdict += f"; outcome unknown: {', '.join(unknown)}"
    print(f"{args.title}: {verdict} (exit {code})", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
