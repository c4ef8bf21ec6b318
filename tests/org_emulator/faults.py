"""Faults on demand: each rule matches call kinds and fires by count or seeded chance."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from tests.org_emulator.apex_tests import FailingTest
from tests.org_emulator.deploy_engine import ForcedFailure

# Fault names the server understands for any call kind.
# "drop" closes the connection before the call is handled; "lost" handles it (a deploy
# starts, a row is inserted) and then closes the connection, so the client never
# learns that the org accepted it.
HTTP_FAULTS = {
    "latency",
    "http_500",
    "http_503",
    "drop",
    "lost",
    "invalid_session",
    "request_limit",
    "move_instance",
}


@dataclass
class FaultRule:
    name: str
    kinds: frozenset[str]  # {"*"} matches every call
    remaining: int | None = 1  # None: unlimited
    probability: float | None = None
    params: dict = field(default_factory=dict)
    fired: int = 0


class Faults:
    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.stuck_polls = 0  # extra InProgress polls for the next deploy(s)
        self.component_failures: list[ForcedFailure] = []
        self.malformed_retrieves = 0
        # (call kinds, calls left, callback): run as a matching call arrives, before
        # it is handled; tests use it to interrupt a client at an exact point.
        self.hooks: list[list] = []
        self.failing_tests: list[FailingTest] = []

    def on_call(self, kinds: str | tuple[str, ...], callback, count: int = 1) -> None:
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        with self._lock:
            self.hooks.append([frozenset(kinds), count, callback])

    def take_hooks(self, kind: str) -> list:
        fired = []
        with self._lock:
            for hook in self.hooks:
                if hook[1] > 0 and ("*" in hook[0] or kind in hook[0]):
                    hook[1] -= 1
                    fired.append(hook[2])
        return fired

    def seed(self, seed: int) -> None:
        self._random.seed(seed)

    def add(
        self,
        name: str,
        kinds: str | tuple[str, ...] = "*",
        *,
        count: int | None = 1,
        probability: float | None = None,
        **params,
    ) -> FaultRule:
        if name not in HTTP_FAULTS:
            raise ValueError(f"unknown fault {name!r}; choose from {sorted(HTTP_FAULTS)}")
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        rule = FaultRule(name, frozenset(kinds), count, probability, params)
        with self._lock:
            self._rules.append(rule)
        return rule

    # Friendly spellings of the rules above.
    def latency(self, seconds: float, kinds="*", count=None, probability=None) -> FaultRule:
        return self.add("latency", kinds, count=count, probability=probability, seconds=seconds)

    def http_error(self, status: int = 503, kinds="*", count=1, probability=None) -> FaultRule:
        return self.add(f"http_{status}", kinds, count=count, probability=probability)

    def drop_connection(self, kinds="*", count=1, probability=None) -> FaultRule:
        return self.add("drop", kinds, count=count, probability=probability)

    def lose_answer(self, kinds="*", count=1, probability=None) -> FaultRule:
        """The call is carried out, then its answer is lost (the connection drops)."""
        return self.add("lost", kinds, count=count, probability=probability)

    def expire_session(self, kinds="*") -> FaultRule:
        """The session expires before the next matching call (once): refresh to go on."""
        return self.add("invalid_session", kinds, count=1)

    def move_instance(self, kinds="*") -> FaultRule:
        """Before the next matching call the org moves to ``https://localhost:<port>``.

        Its sessions end, and the token refresh answers with the new instance URL
        ("OAuth 2.0 Refresh Token Flow": the response carries ``instance_url``);
        REST calls to the old host are then refused as an invalid session.
        """
        return self.add("move_instance", kinds, count=1)

    def request_limit(self, kinds="*", count=1, probability=None) -> FaultRule:
        return self.add("request_limit", kinds, count=count, probability=probability)

    def stuck_deploy(self, polls: int) -> None:
        """The next deploy stays InProgress for ``polls`` more status checks."""
        self.stuck_polls = polls

    def fail_component(self, type_name: str, full_name: str, problem: str) -> None:
        self.component_failures.append(ForcedFailure(type_name, full_name, problem))

    def fail_apex_test(self, class_name: str, method: str, message: str) -> None:
        """One of the org's own Apex test methods fails whenever a deploy runs it."""
        self.failing_tests.append(FailingTest(class_name, method, message))

    def malformed_retrieve(self, count: int = 1) -> None:
        self.malformed_retrieves = count

    def add_spec(self, spec: str) -> None:
        """``KIND:CALL:COUNT`` as the command line takes it (COUNT ``*``: every matching call).

        KIND is a fault above, or ``stuck`` (the next deploy needs COUNT more polls);
        CALL is a call kind (``deploy``,
        ``checkDeployStatus``, ``query``, ``tooling_query``, ...) or ``*``.
        """
        parts = spec.split(":")
        if len(parts) != 3:
            raise ValueError(f"--fault {spec!r}: expected KIND:CALL:COUNT")
        name, kind, count_text = parts
        if count_text == "*":
            count = None
        elif count_text.isdigit() and int(count_text) > 0:
            count = int(count_text)
        else:
            raise ValueError(f"--fault {spec!r}: COUNT must be a positive number or *")
        if name == "stuck":
            self.stuck_deploy(count or 10**9)
            return
        if name not in HTTP_FAULTS:
            raise ValueError(
                f"--fault {spec!r}: unknown KIND {name!r}; choose from"
                f" {', '.join(sorted(HTTP_FAULTS | {'stuck'}))}"
            )
        self.add(name, kind or "*", count=count)

    def adopt(self, other: Faults) -> None:
        """Take over the rules parsed before the server existed."""
        with self._lock:
            self._rules.extend(other._rules)
        self.stuck_polls = max(self.stuck_polls, other.stuck_polls)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.hooks.clear()
        self.stuck_polls = 0
        self.component_failures.clear()
        self.malformed_retrieves = 0
        self.failing_tests.clear()

    def take(self, kind: str) -> list[FaultRule]:
        """The rules that fire for this call; consumes counts."""
        fired = []
        with self._lock:
            for rule in self._rules:
                if "*" not in rule.kinds and kind not in rule.kinds:
                    continue
                if rule.remaining is not None and rule.remaining <= 0:
                    continue
                if rule.probability is not None and self._random.random() >= rule.probability:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                rule.fired += 1
                fired.append(rule)
        return fired
