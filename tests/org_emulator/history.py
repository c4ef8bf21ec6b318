"""A record of every call the emulator answered, so tests can count calls and deploys."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Call:
    kind: str  # "deploy", "checkDeployStatus", "retrieve", "query", "token", ...
    method: str
    path: str
    status: int = 200
    # Deploy-family calls: the async id, whether it is a validation, and the outcome
    # (None until the deploy finishes; the entry is updated in place).
    deploy_id: str | None = None
    check_only: bool | None = None
    success: bool | None = None
    detail: dict = field(default_factory=dict)
    fault: str | None = None


class History:
    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def add(self, call: Call) -> Call:
        with self._lock:
            self._calls.append(call)
        return call

    def __iter__(self):
        return iter(list(self._calls))

    def __len__(self) -> int:
        return len(self._calls)

    def __getitem__(self, index):
        return self._calls[index]

    def of(self, *kinds: str) -> list[Call]:
        return [c for c in self._calls if c.kind in kinds]

    def kinds(self) -> list[str]:
        return [c.kind for c in self._calls]

    @property
    def deploys(self) -> list[Call]:
        """Deploy submissions (validations and quick deploys included)."""
        return self.of("deploy", "deployRecentValidation")

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
