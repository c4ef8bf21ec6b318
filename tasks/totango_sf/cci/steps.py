"""CumulusCI tasks for the article's non-metadata steps, one per ``totango-sf`` command.

Each is a thin shell over the same functions as the command line: it builds an
``OrgSession`` from the task's org, runs the step, logs one line per row and sets
``return_values`` to the command's JSON document. A failed step raises
``CumulusCIFailure`` so ``cci flow run totango_full_setup`` stops there.
"""

from __future__ import annotations

from cumulusci.core.exceptions import CumulusCIFailure, TaskOptionsError
from cumulusci.utils.options import Field

from tasks.totango_sf.cci.options import ConfigOptions
from tasks.totango_sf.cci.org import TotangoOrgTask


class _OrgStepTask(TotangoOrgTask):
    class Options(ConfigOptions):
        pass


class TotangoOrgId(_OrgStepTask):
    task_docs = """
    Logs the org's 15- and 18-character Organization ID and where to paste it in
    Totango (step 1 of the setup article). Changes nothing.
    """

    def _run(self) -> None:
        from tasks.totango_sf.steps.org_id import read_org_identity

        identity = read_org_identity(self._session())
        self.logger.info(f"Organization ID (15): {identity.id15}")
        self.logger.info(f"Organization ID (18): {identity.id18}")
        self.logger.info(f"Paste it into {identity.paste_into}")
        self.return_values = identity.to_json()


class TotangoDoctor(_OrgStepTask):
    task_docs = """
    Checks the prerequisites and the state of the Totango setup, one line per check
    with a fix for each failure. Fails when a required check fails (with
    ``prerequisites_only: True``, only edition, API and permissions count, so a flow
    can run it before the install). Changes nothing.
    """

    class Options(ConfigOptions):
        prerequisites_only: bool = Field(
            False, description="Fail only on edition, API access and permissions."
        )

    parsed_options: Options

    def _run(self) -> None:
        from tasks.totango_sf.steps.doctor import run_doctor

        report = run_doctor(self._session(), self._load_totango_config(), self.org_config.name)
        for check in report.checks:
            line = f"{check.status:4} {check.name}: {check.detail}"
            (self.logger.info if check.status == "ok" else self.logger.warning)(line)
            if check.status != "ok" and check.fix:
                self.logger.warning(f"     fix: {check.fix}")
        self.return_values = report.to_json()
        passed = report.prerequisites_ok if self.parsed_options.prerequisites_only else report.ok
        if not passed:
            raise CumulusCIFailure("required checks failed; see the fixes above")


class TotangoInstallPackage(_OrgStepTask):
    task_docs = """
    Installs the Totango managed package version ``package.version_id`` from the
    config through a PackageInstallRequest (security type FULL by default), unless
    the same or a newer version is installed. Production needs ``yes: True``.
    """

    class Options(ConfigOptions):
        yes: bool = Field(False, description="Allow installing into a production org.")
        only_if_configured: bool = Field(
            False,
            description="Skip (instead of failing) when package.version_id is not set,"
            " as scratch-org flows do.",
        )

    parsed_options: Options

    def _run(self) -> None:
        from tasks.totango_sf.steps.install import (
            MissingVersionId,
            PackageInstallFailed,
            ProductionNeedsYes,
            install_package,
        )

        config = self._load_totango_config()
        if not config.package.version_id and self.parsed_options.only_if_configured:
            self.logger.info("package.version_id is not set: skipping the package install")
            self.return_values = {"skipped": True}
            return
        try:
            result = install_package(
                self._session(), config, yes=self.parsed_options.yes, progress=self.logger.info
            )
        except (MissingVersionId, ProductionNeedsYes) as exc:
            raise TaskOptionsError(str(exc)) from None
        except PackageInstallFailed as exc:
            raise CumulusCIFailure(str(exc)) from None
        self.return_values = result.to_json()


class TotangoConnectedAppAccess(_OrgStepTask):
    task_docs = """
    Grants the configured profiles access to the Totango connected app (missing
    SetupEntityAccess rows only), or with ``revoke: True`` removes those profiles'
    access. Reports the Permitted Users policy; it never sets it (there is no API).
    """

    class Options(ConfigOptions):
        revoke: bool = Field(False, description="Remove the configured profiles' access.")

    parsed_options: Options

    def _run(self) -> None:
        with self._locked("connected-app"):
            self._change()

    def _change(self) -> None:
        from tasks.totango_sf.steps.connected_app import (
            AccessWriteFailed,
            ConnectedAppNotFound,
            ProfileNotFound,
            grant_profiles,
            policy_label,
            revoke_profiles,
        )

        action = revoke_profiles if self.parsed_options.revoke else grant_profiles
        try:
            result = action(self._session(), self._load_totango_config(), self.org_config.name)
        except (ConnectedAppNotFound, ProfileNotFound, AccessWriteFailed) as exc:
            raise CumulusCIFailure(str(exc)) from None
        for row in result.profiles:
            self.logger.info(f"{row.profile}: {row.action}")
        self.logger.info(f"Permitted Users policy: {policy_label(result.app.admin_approved)}")
        if result.policy_advice:
            self.logger.warning(result.policy_advice)
        for warning in result.warnings:
            self.logger.warning(warning)
        self.return_values = result.to_json()


class TotangoSetup(_OrgStepTask):
    task_docs = """
    Runs the whole setup: doctor, install, deploy, connected app, the browser tasks
    (with ``browser: True``), verify; logs one summary line per step of the article.
    """

    class Options(ConfigOptions):
        browser: bool = Field(False, description="Run the Robot browser tasks.")
        yes: bool = Field(False, description="Allow changing a production org.")

    parsed_options: Options

    def _run(self) -> None:
        from tasks.totango_sf.steps.setup import run_setup

        report = run_setup(
            self._session(),
            self._load_totango_config(),
            self.org_config.name,
            browser=self.parsed_options.browser,
            yes=self.parsed_options.yes,
            progress=self.logger.info,
        )
        for step in report.steps:
            self.logger.info(f"{step.step:3} {step.title}: {step.status} - {step.detail}")
        self.return_values = report.to_json()
        if not report.ok:
            raise CumulusCIFailure("a setup step failed; see the summary above")
