"""``totango_fleet_deploy``: the Totango deploy on many orgs from one cci task.

Teams that drive everything through CumulusCI get what ``totango-sf deploy --org A
--org B`` does: each org with its own config overlay, connection and snapshot, a
few at a time, one org's failure never stopping the others. Every config is read
and checked before any org is touched. The log has one short line per stage
change, prefixed with the org; ``return_values`` holds each org's result.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

from cumulusci.core.exceptions import CumulusCIFailure, TaskOptionsError
from cumulusci.core.tasks import BaseTask
from cumulusci.core.utils import process_bool_arg, process_list_arg

from tasks.totango_sf.cci.offline import CONFIG_OPTION


class TotangoFleetDeployFailed(CumulusCIFailure):
    """At least one org of the fleet did not end deployed and in sync."""


class TotangoFleetDeploy(BaseTask):
    task_docs = """
    Deploys the Totango setup to every org in ``orgs`` (names or globs over the
    keychain's org names), ``parallel`` at a time, each with its own
    ``orgconfig/<org>.yml`` overlay. Production orgs need ``yes: True``.

    Example::

        cci task run totango_fleet_deploy -o orgs "uat-*,prod" -o parallel 8 -o yes True
    """
    task_options = {
        **CONFIG_OPTION,
        "orgs": {
            "description": "Comma-separated org names or globs (uat-*) from CumulusCI's keychain.",
            "required": True,
        },
        "parallel": {"description": "Orgs worked on at once. Default: 4."},
        "check_only": {"description": "Validate only on every org (no change)."},
        "yes": {"description": "Required when any org is a production org."},
        "timeout": {"description": "Seconds before each org's deploy is canceled. Default: 1800."},
    }
    salesforce_task = False

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        self.patterns = [p.strip() for p in process_list_arg(self.options["orgs"]) if p.strip()]
        if not self.patterns:
            raise TaskOptionsError("orgs must name at least one org")
        self.parallel = self._positive("parallel", 4, int)
        self.timeout = self._positive("timeout", 1800.0, float)
        self.check_only = self._bool("check_only")
        self.yes = self._bool("yes")

    def _bool(self, name: str) -> bool:
        value = self.options.get(name) or False
        try:
            return bool(process_bool_arg(value))
        except TypeError:
            raise TaskOptionsError(f"{name} must be true or false, not {value!r}") from None

    def _positive(self, name: str, default: float, kind: type) -> Any:
        raw = self.options.get(name, default)
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            raise TaskOptionsError(f"{name} must be a positive number, not {raw!r}") from None
        if not value > 0:
            raise TaskOptionsError(f"{name} must be a positive number, not {raw!r}")
        return value

    def _org_names(self) -> list[str]:
        known = sorted(self.project_config.keychain.list_orgs())
        names: list[str] = []
        for pattern in self.patterns:
            matched = [n for n in known if fnmatch.fnmatchcase(n, pattern)]
            if not matched and not any(ch in pattern for ch in "*?["):
                matched = [pattern]  # a plain name: let the connection say if it is unknown
            if not matched:
                raise TaskOptionsError(f"orgs: {pattern!r} matches no org in the keychain")
            names += [n for n in matched if n not in names]
        return names

    def _configs(self, orgs: list[str]) -> dict[str, Any]:
        from tasks.totango_sf.org.deploy import PLACEHOLDER_REFUSAL
        from tasks.totango_sf.steps.fleet import fleet_configs, placeholder_orgs

        path = self.options.get("config")
        configs, problems = fleet_configs(Path(path) if path else None, orgs)
        if problems:
            raise TaskOptionsError(
                "Invalid Totango config; no org was touched: " + "; ".join(problems)
            )
        placeholders = placeholder_orgs(configs)
        if placeholders:
            raise TaskOptionsError(f"{PLACEHOLDER_REFUSAL} (config of: {', '.join(placeholders)})")
        return configs

    def _run_task(self) -> None:
        from tasks.totango_sf.org import deploy as flow
        from tasks.totango_sf.org.connection import connect, redact
        from tasks.totango_sf.steps.fleet import run_fleet

        orgs = self._org_names()
        configs = self._configs(orgs)

        def job(org: str, lane: Any) -> Any:
            lane.stage("connecting")
            session = connect(org)
            lane.stage("retrieving")

            def progress(p: Any) -> None:
                lane.deploy_started(p.deploy_id)
                lane.stage(f"{p.status} {min(p.deployed, p.total)}/{p.total} components")

            return flow.deploy(
                session,
                configs[org],
                check_only=self.check_only,
                yes=self.yes,
                timeout=self.timeout,
                progress=progress,
            )

        run = run_fleet(
            orgs,
            job,
            self.parallel,
            on_change=lambda board: self.logger.info(f"[{board.org}] {board.stage}"),
        )
        results: dict[str, Any] = {}
        failed: list[str] = []
        for outcome in run.outcomes:
            if outcome.result is not None:
                results[outcome.org] = outcome.result.to_json()
                ok = outcome.result.ok
            else:
                message = redact(f"{type(outcome.error).__name__}: {outcome.error}")
                if outcome.stopped_before_start:
                    message = "interrupted before this org was touched"
                results[outcome.org] = {
                    "ok": False,
                    "error": message,
                    "deploy_id": outcome.deploy_id,
                }
                ok = False
            self.logger.info(f"[{outcome.org}] {'ok' if ok else 'FAILED'} ({outcome.elapsed:.1f}s)")
            if not ok:
                failed.append(outcome.org)
        self.return_values = {"orgs": results, "failed": failed}
        if failed or run.interrupted:
            raise TotangoFleetDeployFailed(
                f"{len(failed)} of {len(orgs)} org(s) failed: {', '.join(failed) or 'interrupted'}"
            )
