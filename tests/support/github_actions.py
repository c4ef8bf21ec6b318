"""Just enough of GitHub Actions to run this project's workflows in tests.

``evaluate`` reads the expression language (``${{ ... }}``: contexts, literals, ``!``,
``==``, ``!=``, ``<``, ``>``, ``&&``, ``||``, and the functions the workflows use), with
its rules: ``&&``/``||`` give an operand, not a boolean; strings compare case-blind;
a missing property is null. ``JobRunner`` runs a job's steps as the runner does: each
step's ``if`` (``success()`` when it names no status function), the workflow's, job's
and step's ``env`` layered in that order, ``GITHUB_ENV``/``GITHUB_OUTPUT``/
``GITHUB_STEP_SUMMARY`` files, ``continue-on-error``, job outputs, and the artifact
actions against a local folder. Other actions (checkout, setup-python) are no-ops: the
workspace and the interpreter are the test's own.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,])|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
STATUS_FUNCTIONS = ("always", "success", "failure", "cancelled")


def load_workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean true.
    data["on"] = data.pop(True, data.get("on"))
    return data


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip() or 0)
        except ValueError:
            return math.nan
    return math.nan


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    if type(left) is type(right) or (left is None and right is None):
        return bool(left == right)
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return False
    return _number(left) == _number(right)


def as_text(value: Any) -> str:
    """A value as GitHub puts it into a string (``${{ }}`` inside YAML text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2)
    return str(value)


def _member(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        if key is None:
            return None
        wanted = str(key).lower()
        return next((v for k, v in value.items() if str(k).lower() == wanted), None)
    if isinstance(value, list) and isinstance(key, int | float) and not isinstance(key, bool):
        index = int(key)
        return value[index] if 0 <= index < len(value) else None
    return None


def _format(template: str, *args: Any) -> str:
    def fill(match: re.Match[str]) -> str:
        return as_text(args[int(match.group(1))])

    return re.sub(r"\{(\d+)\}", fill, template).replace("{{", "{").replace("}}", "}")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "format": _format,
    "fromjson": lambda text: json.loads(text),
    "tojson": lambda value: json.dumps(value, indent=2),
    "contains": lambda haystack, needle: (
        any(_equal(item, needle) for item in haystack)
        if isinstance(haystack, list)
        else as_text(needle).lower() in as_text(haystack).lower()
    ),
    "startswith": lambda text, prefix: as_text(text).lower().startswith(as_text(prefix).lower()),
    "endswith": lambda text, suffix: as_text(text).lower().endswith(as_text(suffix).lower()),
    "join": lambda items, sep=",": sep.join(as_text(i) for i in items),
}


class _Parser:
    def __init__(self, text: str, context: dict[str, Any], status: dict[str, bool]) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = TOKEN.match(text, position)
            if not match or match.end() == position:
                raise ValueError(f"cannot read {text[position:]!r} in {text!r}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0
        self.context = {k.lower(): v for k, v in context.items()}
        self.status = status

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ValueError(f"expected {value or 'more'} at token {self.index}: {self.tokens}")
        self.index += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()} in {self.tokens}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.equality()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.equality()
            value = right if truthy(value) else value
        return value

    def equality(self) -> Any:
        value = self.comparison()
        while self.peek() in (("op", "=="), ("op", "!=")):
            operator = self.take()[1]
            right = self.comparison()
            value = _equal(value, right) == (operator == "==")
        return value

    def comparison(self) -> Any:
        value = self.unary()
        while self.peek() in (("op", "<"), ("op", ">"), ("op", "<="), ("op", ">=")):
            operator = self.take()[1]
            left, right = _number(value), _number(self.unary())
            value = {"<": left < right, ">": left > right, "<=": left <= right}.get(
                operator, left >= right
            )
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self) -> Any:
        value = self.primary()
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == ".":
                value = _member(value, self.take()[1])
            else:
                key = self.or_()
                self.take("]")
                value = _member(value, key)
        return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text)
        if (kind, text) == ("op", "("):
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ValueError(f"unexpected {text!r} in {self.tokens}")
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if self.peek() == ("op", "("):
            self.take()
            args: list[Any] = []
            while self.peek() != ("op", ")"):
                args.append(self.or_())
                if self.peek() == ("op", ","):
                    self.take()
            self.take(")")
            if lowered in STATUS_FUNCTIONS:
                return self.status[lowered]
            return FUNCTIONS[lowered](*args)
        if lowered not in self.context:
            raise ValueError(f"unknown context {text!r}")
        return self.context[lowered]


def evaluate(
    expression: str, context: dict[str, Any], status: dict[str, bool] | None = None
) -> Any:
    """The value of an expression (with or without its ``${{ }}``)."""
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    states = status or {"always": True, "success": True, "failure": False, "cancelled": False}
    return _Parser(text, context, states).parse()


def interpolate(value: Any, context: dict[str, Any]) -> str:
    """A YAML string with each ``${{ expression }}`` replaced by its value."""
    return re.sub(
        r"\$\{\{(.*?)\}\}", lambda m: as_text(evaluate(m.group(1), context)), as_text(value)
    )


def condition_holds(
    condition: Any, context: dict[str, Any], succeeded: bool, cancelled: bool = False
) -> bool:
    """An ``if:`` (absent: ``success()``; with no status function, ``success() && (...)``)."""
    status = {
        "always": True,
        "success": succeeded and not cancelled,
        "failure": not succeeded,
        "cancelled": cancelled,
    }
    if condition is None:
        return status["success"]
    if isinstance(condition, bool):
        return status["success"] and condition
    text = str(condition).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    if not re.search(r"\b(always|success|failure|cancelled)\s*\(", text):
        text = f"success() && ({text})"
    return truthy(evaluate(text, context, status))


@dataclass
class StepRun:
    name: str
    ran: bool
    code: int = 0
    output: str = ""
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class JobRun:
    result: str  # "success" or "failure"
    steps: list[StepRun]
    outputs: dict[str, str]

    def step(self, name_part: str) -> StepRun:
        return next(s for s in self.steps if name_part in s.name)


def step_name(step: dict[str, Any]) -> str:
    return str(step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0])


@dataclass
class JobRunner:
    """Runs jobs of one workflow in ``workspace`` with ``base_env`` as the runner's env."""

    workflow: dict[str, Any]
    workspace: Path
    base_env: dict[str, str]
    context: dict[str, Any]  # github, inputs, secrets, vars, needs
    artifacts: Path
    skip: Callable[[dict[str, Any]], bool] = lambda step: False
    summary: Path | None = None

    def job_runs(self, job_name: str, needs: dict[str, dict[str, Any]]) -> bool:
        job = self.workflow["jobs"][job_name]
        wanted = job.get("needs") or []
        wanted = [wanted] if isinstance(wanted, str) else wanted
        succeeded = all(needs[n]["result"] == "success" for n in wanted)
        return condition_holds(job.get("if"), {**self.context, "needs": needs}, succeeded)

    def run(
        self,
        job_name: str,
        matrix: dict[str, Any] | None = None,
        needs: dict[str, dict[str, Any]] | None = None,
    ) -> JobRun:
        job = self.workflow["jobs"][job_name]
        context: dict[str, Any] = {**self.context, "needs": needs or {}, "matrix": matrix or {}}
        summary = self.summary or self.workspace / "step_summary.md"
        github_env = self.workspace / ".github_env"
        github_env.write_text("")
        env_context: dict[str, str] = {}
        for layer in (self.workflow.get("env") or {}, job.get("env") or {}):
            for key, value in layer.items():
                env_context[key] = interpolate(value, {**context, "env": env_context})
        steps_context: dict[str, Any] = {}
        runs: list[StepRun] = []
        succeeded = True
        for step in job["steps"]:
            name = step_name(step)
            context_now = {**context, "env": env_context, "steps": steps_context}
            if not condition_holds(step.get("if"), context_now, succeeded) or self.skip(step):
                runs.append(StepRun(name, ran=False))
                continue
            step_env = dict(env_context)
            for key, value in (step.get("env") or {}).items():
                step_env[key] = interpolate(value, {**context_now, "env": step_env})
            code, output, outputs = self._step(step, step_env, context_now, summary, github_env)
            runs.append(StepRun(name, True, code, output, step_env))
            if step.get("id"):
                steps_context[step["id"]] = {"outputs": outputs}
            if code != 0 and not step.get("continue-on-error"):
                succeeded = False
            for line in github_env.read_text().splitlines():
                key, _, value = line.partition("=")
                env_context[key] = value
        outputs = {
            key: interpolate(value, {**context, "steps": steps_context})
            for key, value in (job.get("outputs") or {}).items()
        }
        return JobRun("success" if succeeded else "failure", runs, outputs)

    def _step(
        self,
        step: dict[str, Any],
        env: dict[str, str],
        context: dict[str, Any],
        summary: Path,
        github_env: Path,
    ) -> tuple[int, str, dict[str, str]]:
        if "uses" in step:
            action = step["uses"].partition("@")[0]
            with_ = {k: interpolate(v, context) for k, v in (step.get("with") or {}).items()}
            if action == "actions/upload-artifact":
                return self._upload(with_), "", {}
            if action == "actions/download-artifact":
                return self._download(with_), "", {}
            return 0, "", {}  # checkout, setup-python: the test's workspace and Python
        output_file = self.workspace / ".github_output"
        output_file.write_text("")
        shell = (self.workflow.get("defaults") or {}).get("run", {}).get("shell")
        command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
        if shell != "bash":  # GitHub's default: no pipefail
            command = ["bash", "-e", "-c", step["run"]]
        done = subprocess.run(
            command,
            cwd=self.workspace,
            env={
                **self.base_env,
                **env,
                "GITHUB_ENV": str(github_env),
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_STEP_SUMMARY": str(summary),
            },
            capture_output=True,
            text=True,
            timeout=600,
        )
        outputs = {}
        for line in output_file.read_text().splitlines():
            key, _, value = line.partition("=")
            outputs[key] = value
        return done.returncode, done.stdout + done.stderr, outputs

    def _upload(self, with_: dict[str, str]) -> int:
        target = self.artifacts / with_["name"]
        if target.exists():
            return 1  # artifact names are unique within a run
        found = False
        for line in with_["path"].splitlines():
            source = self.workspace / line.strip()
            if source.is_file():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, target / source.name)
                found = True
            elif source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
                found = True
        if not found and with_.get("if-no-files-found", "warn") == "error":
            return 1
        return 0

    def _download(self, with_: dict[str, str]) -> int:
        names = sorted(p.name for p in self.artifacts.iterdir()) if self.artifacts.exists() else []
        chosen = [n for n in names if fnmatch.fnmatchcase(n, with_.get("pattern", "*"))]
        if not chosen:
            return 1  # no artifact matches: the action fails
        destination = self.workspace / with_.get("path", ".")
        for name in chosen:
            shutil.copytree(self.artifacts / name, destination / name, dirs_exist_ok=True)
        return 0
