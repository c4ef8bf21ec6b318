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
from cumulusci.utils.options import Field, ListOfStringsOption

from tasks.totango_sf.cci.options import TimeoutOptions, TotangoOptions
from tasks.totango_sf.cci.project import TotangoTask


class TotangoFleetDeployFailed(CumulusCIFailure):
    """At least one org of the fleet did not end deployed and in sync."""


class TotangoFleetDeploy(TotangoTask):
    task_docs = """
    Deploys the Totango setup to every org in ``orgs`` (names or globs over the
    keychain's org names), ``parallel`` at a time, each with its own
    ``orgconfig/<org>.yml`` overlay. Production orgs need ``yes: True``.

    Example::

        cci task run totango_fleet_deploy -o orgs "uat-*,prod" -o parallel 8 -o yes True
    """
    salesforce_task = False

    # No config_org: each org of the fleet gets its own overlay, named after it.
    class Options(TimeoutOptions, TotangoOptions):
        orgs: ListOfStringsOption = Field(
            ...,
            description="Comma-separated org names or globs (``uat-*``) from CumulusCI's keychain.",
        )
        config: Path | None = Field(
            None,
            description="Setup config YAML, relative to the project that runs the task."
            " Default: orgconfig/totango.yml.",
        )
        parallel: int = Field(4, gt=0, description="Orgs worked on at once.")
        check_only: bool = Field(False, description="Validate only on every org (no change).")
        yes: bool = Field(False, description="Required when any org is a production org.")

    parsed_options: Options

    def _init_options(self, kwargs: dict[str, Any]) -> None:
        super()._init_options(kwargs)
        self.patterns = [p for p in self.parsed_options.orgs if p.strip()]
        if not self.patterns:
            raise TaskOptionsError("Option 'orgs' must name at least one org")

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

        configs, problems = fleet_configs(self.parsed_options.config, orgs)
        if problems:
            raise TaskOptionsError(
                "Invalid Totango config; no org was touched: " + "; ".join(problems)
            )
        placeholders = placeholder_orgs(configs)
        if placeholders:
            raise TaskOptionsError(f"{PLACEHOLDER_REFUSAL} (config of: {', '.join(placeholders)})")
        return configs

    def _run(self) -> None:
        from tasks.totango_sf.org import deploy as flow
        from tasks.totango_sf.org.requests import DeployRequest, RunHooks
        from tasks.totango_sf.salesforce.connection import connect, redact
        from tasks.totango_sf.steps.fleet import run_fleet

        options = self.parsed_options
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
                DeployRequest(
                    check_only=options.check_only, yes=options.yes, timeout=options.timeout
                ),
                RunHooks(progress=progress),
            )

        run = run_fleet(
            orgs,
            job,
            options.parallel,
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
