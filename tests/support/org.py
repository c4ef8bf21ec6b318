"""An org session and a config for the product's own functions, and the org-step commands
on an app of their own."""

from __future__ import annotations

import typer

from tasks.totango_sf.cli.app import register
from tasks.totango_sf.config.model import TotangoConfig, build_config
from tasks.totango_sf.salesforce.connection import OrgSession, connect


def session_for(emu, monkeypatch, name: str = "emu") -> OrgSession:
    for key, value in emu.env(name).items():
        monkeypatch.setenv(key, value)
    return connect(name)


def config(**overrides) -> TotangoConfig:
    return build_config(overrides)


def cli_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test host for the org-step commands."""

    register(app)
    return app
