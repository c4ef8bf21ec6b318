"""Run a command with the CumulusCI org config of each org of one fleet group.

    FLEET_CREDENTIALS=<the group's secret> python3 .github/scripts/fleet_credentials.py \\
        --secret TOTANGO_FLEET_SANDBOXES uat qa staging -- \\
        totango-sf deploy --org uat --org qa --org staging --json

A group's secret (TOTANGO_FLEET_<GROUP>, named by fleet_matrix.py) is one JSON object:
org name -> CumulusCI's environment org config, the JSON that `CUMULUSCI_ORG_<org>`
would hold. The command gets `CUMULUSCI_ORG_<org>` for each org named here and nothing
else of the secret: not FLEET_CREDENTIALS, not the config of an org it does not name.
No value of the secret is ever printed.

When the secret is unset, is not such an object, or lacks one of the orgs, nothing is
run and no org is touched: the error envelope of a refused `--json` run (status 2) goes
to stdout, where the workflow keeps the group's report, so the summary gives the cause
for each org of the group. Exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

VARIABLE = "FLEET_CREDENTIALS"
EXIT_BAD_INPUT = 2


def org_environment(raw: str | None, orgs: list[str], secret: str) -> dict[str, str]:
    """CUMULUSCI_ORG_<org> for each org; ValueError naming the problem, never a value."""
    if not raw or not raw.strip():
        raise ValueError(
            f"the secret {secret} is not set, or not given to this job (a pull request from"
            " a fork gets no secrets)"
        )
    try:
        bundle = json.loads(raw)
    except ValueError:
        bundle = None
    if not isinstance(bundle, dict):
        raise ValueError(f"the secret {secret} is not a JSON object of org name -> org config")
    environment: dict[str, str] = {}
    missing, malformed = [], []
    for org in orgs:
        config: Any = bundle.get(org)
        if isinstance(config, str):  # an org config kept as a JSON string also works
            try:
                config = json.loads(config)
            except ValueError:
                config = None
        if org not in bundle:
            missing.append(org)
        elif not isinstance(config, dict) or not config:
            malformed.append(org)
        else:
            environment[f"CUMULUSCI_ORG_{org}"] = json.dumps(config)
    problems = []
    if missing:
        problems.append(f"has no entry for {', '.join(missing)}")
    if malformed:
        problems.append(f"holds no org config (a JSON object) for {', '.join(malformed)}")
    if problems:
        raise ValueError(f"the secret {secret} {' and '.join(problems)}")
    return environment


def refusal(message: str) -> dict[str, Any]:
    return {
        "status": EXIT_BAD_INPUT,
        "name": "BadInput",
        "message": f"{message}; no org was touched",
        "actions": [],
    }


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: fleet_credentials.py --secret NAME ORG... -- COMMAND...", file=sys.stderr)
        return EXIT_BAD_INPUT
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--secret", required=True, help="the secret's name, for messages")
    parser.add_argument("orgs", nargs="+")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if not command:
        print("error: no command after --", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        credentials = org_environment(os.environ.get(VARIABLE), args.orgs, args.secret)
    except ValueError as exc:
        print(json.dumps(refusal(str(exc)), indent=2))
        print(f"error: {exc}; no org was touched", file=sys.stderr)
        return EXIT_BAD_INPUT
    environment = {k: v for k, v in os.environ.items() if k != VARIABLE}
    environment.update(credentials)
    sys.stdout.flush()
    os.execvpe(command[0], command, environment)  # noqa: S606 (the workflow's own command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
