from tasks.components import Component
from tasks.config import TotangoConfig


def render_reports(config: TotangoConfig) -> list[Component]:
    return []
