"""Where a Totango task's relative paths point, also when another project runs it.

A team's own CumulusCI project can run these tasks through ``sources:``
(``cci flow run totango:totango_setup``). CumulusCI then runs a source's task with
the source's checkout as the working directory, so ``orgconfig/totango.yml``,
``.totango/`` and ``build/`` would be read and written inside the source, not in the
team's project. Every Totango task therefore runs in the root of the project that
``cci`` was started in: the nearest folder holding ``cumulusci.yml`` above the
directory CumulusCI recorded as ``working_path``. Templates are found next to the
code (``render/files.py``), wherever the source is checked out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cumulusci.core.exceptions import TaskOptionsError
from cumulusci.core.tasks import BaseTask
from cumulusci.utils import cd

from tasks.totango_sf.config.model import ConfigError, TotangoConfig, load_config
from tasks.totango_sf.state.state_paths import find_project_root


def running_project_root(working_path: str | Path | None) -> Path:
    """The root of the CumulusCI project that ``cci`` runs in (or the start folder)."""
    start = Path(working_path or ".").resolve()
    return find_project_root(start) or start


class TotangoTask(BaseTask):
    """Runs ``_run`` in the running project's root and loads the setup config."""

    parsed_options: Any

    def _run_task(self) -> None:
        with cd(str(running_project_root(getattr(self, "working_path", None)))):
            self._run()

    def _run(self) -> None:
        raise NotImplementedError

    def _config_org(self) -> str | None:
        return self.parsed_options.config_org

    def _load_totango_config(self) -> TotangoConfig:
        from tasks.totango_sf.salesforce.identifiers import org_name_problem

        path = self.parsed_options.config
        config_org = getattr(self.parsed_options, "config_org", None)
        if config_org is not None and (problem := org_name_problem(config_org)):
            # As `totango-sf --org` refuses it: the overlay is orgconfig/<config_org>.yml,
            # and a name such as ../../evil would read a YAML file outside that folder.
            raise TaskOptionsError(f"Option 'config_org': {problem}")
        try:
            return load_config(Path(path) if path else None, self._config_org())
        except ConfigError as exc:
            raise TaskOptionsError(
                f"Invalid Totango config {exc.source}: " + "; ".join(exc.problems)
            ) from None
        except OSError as exc:
            raise TaskOptionsError(f"Option 'config': cannot read {path}: {exc}") from None
