"""totango-sf: the Totango-in-Salesforce setup as code.

CumulusCI's project config runs ``sys.modules.setdefault("tasks", ...)`` and then
``tasks.__path__ = []`` so that it can point ``tasks`` at a project's folder. When
this package is imported first (the CLI, pytest), that assignment would cut it off
from its own submodules; the module class below keeps our folder on ``__path__``.
"""

from __future__ import annotations

import sys
import types

_OWN_PATH = list(__path__)


class _PackageKeepingItsPath(types.ModuleType):
    def __setattr__(self, name: str, value: object) -> None:
        if name == "__path__" and isinstance(value, list):
            value[:0] = [p for p in _OWN_PATH if p not in value]
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _PackageKeepingItsPath
