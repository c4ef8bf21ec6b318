"""An org session and a config for the product's own functions, without the command line."""

from __future__ import annotations

from tasks.totango_sf.config.model import TotangoConfig, build_config
from tasks.totango_sf.salesforce.connection import OrgSession, connect


def session_for(emu, monkeypatch, name: str = "emu") -> OrgSession:
    for key, value in emu.env(name).items():
        monkeypatch.setenv(key, value)
    return connect(name)


def config(**overrides) -> TotangoConfig:
    return build_config(overrides)
