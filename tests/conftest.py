"""Shared pytest setup.

Importing cumulusci registers a synthetic ``tasks`` package; importing ours first
keeps the real one in ``sys.modules`` (see tasks/__init__.py).
"""

import tasks  # noqa: F401
