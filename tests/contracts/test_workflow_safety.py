"""Rules every workflow under .github/workflows/ keeps, so that each is safe to copy.

- least privilege: a `permissions:` block that grants no write;
- a secret is named only in the `env:` of the step that uses it (a step running
  totango-sf), never in a workflow's or job's env, a `with:`, an `if:` or a script, and
  never all at once (`toJSON(secrets)`); a script never expands it;
- no `${{ }}` inside a run script (values reach scripts through env: no injection);
- every `--yes` (deploying to production) runs in a job behind a fixed GitHub
  environment, one that docs/ci.md says to protect with required reviewers;
- a pull request from a fork gets no secrets: the steps that would need them are
  skipped, a step that runs says why, and the offline plan and validate still run;
- no trigger that hands secrets to a fork's code (`pull_request_target`, `workflow_run`);
- actions are GitHub's own, pinned to a major version or a commit;
- the project's own `./dev test` runs on pull requests and pushes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.github_actions import (
    condition_holds,
    evaluate,
    interpolate,
    load_workflow,
    step_name,
)
from tests.support.paths import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
DOCS = REPO_ROOT / "docs" / "ci.md"
SECRET_REFERENCE = re.compile(r"\bsecrets\s*[.\[]", re.IGNORECASE)
WHOLE_SECRETS = re.compile(r"\bsecrets\b(?!\s*[.\[])", re.IGNORECASE)
PROTECTED_ENVIRONMENTS = {"totango-production"}
FORK_PULL_REQUEST = {
    "event_name": "pull_request",
    "repository": "team/setup",
    "ref": "refs/pull/8/merge",
    "actor": "outsider",
    "event": {"pull_request": {"head": {"repo": {"full_name": "outsider/setup"}}}},
}


def names(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def strings(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Every string in a workflow (keys too), with where it is."""
    found: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append(((*path, key, "<key>"), str(key)))
            found += strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += strings(value, (*path, index))
    elif isinstance(node, str):
        found.append((path, node))
    return found


def expressions(text: str) -> list[str]:
    return re.findall(r"\$\{\{(.*?)\}\}", text, flags=re.DOTALL)


def steps(workflow: dict[str, Any]):
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, job, step


def secret_env(step: dict[str, Any]) -> set[str]:
    return {k for k, v in (step.get("env") or {}).items() if SECRET_REFERENCE.search(str(v))}


def test_there_are_the_workflows_these_rules_are_about():
    assert {"totango-sf.yml", "totango-fleet.yml", "tests.yml"} <= set(names(WORKFLOWS))


@pytest.mark.parametrize("path", WORKFLOWS, ids=names(WORKFLOWS))
def test_every_workflow_has_least_privilege_permissions(path):
    workflow = load_workflow(path)
    assert isinstance(workflow.get("permissions"), dict), "permissions: missing or write-all"
    blocks = [workflow["permissions"]]
    blocks += [job["permissions"] for job in workflow["jobs"].values() if "permissions" in job]
    for block in blocks:
        assert isinstance(block, dict), block  # never read-all / write-all
        assert set(block.values()) <= {"read", "none"}, block
    assert workflow["permissions"].get("contents") == "read"


@pytest.mark.parametrize("path", WORKFLOWS, ids=names(WORKFLOWS))
def test_every_secret_is_in_the_env_of_the_one_step_that_uses_it(path):
    workflow = load_workflow(path)
    for where, text in strings(workflow):
        for expression in expressions(text):
            assert not WHOLE_SECRETS.search(expression), (where, text)  # toJSON(secrets) & co
        if SECRET_REFERENCE.search(text) and expressions(text):
            # jobs.<job>.steps.<n>.env.<NAME>, nothing else
            assert len(where) == 6 and where[0] == "jobs" and where[2] == "steps", where
            assert where[4] == "env" and where[5] != "<key>", where
    for _, _, step in steps(workflow):
        held = secret_env(step)
        if not held:
            continue
        script = step.get("run", "")
        # The step that uses a secret is one that runs totango-sf against an org...
        assert "totango-sf" in script and "--org" in script, step_name(step)
        # ...and hands it on through the environment only: no $NAME in its script.
        for name in held:
            assert not re.search(rf"\$\{{?{name}\b", script), (step_name(step), name)


@pytest.mark.parametrize("path", WORKFLOWS, ids=names(WORKFLOWS))
def test_no_expression_is_pasted_into_a_run_script(path):
    for _, _, step in steps(load_workflow(path)):
        assert "${{" not in step.get("run", ""), step_name(step)


@pytest.mark.parametrize("path", WORKFLOWS, ids=names(WORKFLOWS))
def test_every_production_deploy_with_yes_waits_for_a_protected_environment(path):
    docs = DOCS.read_text(encoding="utf-8")
    for job_name, job, step in steps(load_workflow(path)):
        script = " ".join(step.get("run", "").replace("\\\n", " ").split())
        if not re.search(r"--yes\b", script):
            continue
        environment = job.get("environment")
        name = environment.get("name") if isinstance(environment, dict) else environment
        assert name in PROTECTED_ENVIRONMENTS, (job_name, step_name(step), environment)
    for name in PROTECTED_ENVIRONMENTS:
        assert f"`{name}`" in docs and "required reviewers" in docs


def test_the_recipes_do_deploy_with_yes_somewhere():
    """The rule above is not vacuous: both recipes hold a --yes deploy."""
    holders = {
        path.name
        for path in WORKFLOWS
        for _, _, step in steps(load_workflow(path))
        if "--yes" in step.get("run", "")
    }
    assert holders == {"totango-sf.yml", "totango-fleet.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=names(WORKFLOWS))
def test_no_trigger_runs_a_forks_code_with_secrets(path):
    triggers = load_workflow(path)["on"]
    triggers = [triggers] if isinstance(triggers, str) else list(triggers)
    assert not {"pull_request_target", "workflow_run"} & set(triggers)


def fork_context(workflow: dict[str, Any]) -> dict[str, Any]:
    # A fork's run: no secrets at all.
    return {"github": FORK_PULL_REQUEST, "secrets": {}, "vars": {}, "inputs": {}, "needs": {}}


@pytest.mark.parametrize("path", WORKFLOWS, ids=names(WORKFLOWS))
def test_a_fork_pull_request_skips_the_steps_that_need_secrets_and_says_why(path):
    workflow = load_workflow(path)
    if "pull_request" not in workflow["on"]:
        pytest.skip("not run for pull requests")
    context = fork_context(workflow)
    for job_name, job in workflow["jobs"].items():
        if not condition_holds(job.get("if"), context, succeeded=True):
            continue
        env: dict[str, str] = {}
        for layer in (workflow.get("env") or {}, job.get("env") or {}):
            for key, value in layer.items():
                env[key] = interpolate(value, {**context, "env": env})
        running, skipped = [], []
        for step in job["steps"]:
            runs = condition_holds(step.get("if"), {**context, "env": env}, succeeded=True)
            (running if runs else skipped).append(step)
        for step in running:
            assert not secret_env(step), (job_name, step_name(step))
            assert "--org" not in step.get("run", ""), (job_name, step_name(step))
        if any(secret_env(step) for step in skipped):
            reasons = [s for s in running if "echo" in s.get("run", "")]
            assert any("fork" in s["run"] and "no secrets" in s["run"] for s in reasons), job_name
            commands = " ".join(s.get("run", "") for s in running)
            assert "totango-sf plan" in commands and "totango-sf validate" in commands


def test_actions_are_githubs_own_and_pinned():
    for path in WORKFLOWS:
        for _, _, step in steps(load_workflow(path)):
            if "uses" in step:
                action, _, version = step["uses"].partition("@")
                assert action.startswith("actions/"), (path.name, action)
                assert re.fullmatch(r"v\d+|[0-9a-f]{40}", version), (path.name, step["uses"])


def test_the_projects_own_tests_run_on_pull_requests_and_pushes():
    found = []
    for path in WORKFLOWS:
        workflow = load_workflow(path)
        if {"pull_request", "push"} <= set(workflow["on"]):
            found += [
                path.name
                for _, _, step in steps(workflow)
                if step.get("run", "").strip() == "./dev test"
            ]
    assert found == ["tests.yml"]


# -- the expression reader the rules above rely on --------------------------------------


def test_expressions_read_as_github_reads_them():
    context = {
        "github": FORK_PULL_REQUEST,
        "secrets": {"TOTANGO_FLEET_SANDBOXES": "s"},
        "matrix": {"secret": "TOTANGO_FLEET_SANDBOXES", "group": "sandboxes"},
        "inputs": {"check_only": False},
        "needs": {"deploy": {"result": "skipped"}},
    }
    assert evaluate("secrets[matrix.secret]", context) == "s"
    assert evaluate("secrets[format('TOTANGO_FLEET_{0}', 'SANDBOXES')]", context) == "s"
    assert evaluate("secrets.MISSING", context) is None
    assert evaluate("github.event_name == 'PULL_REQUEST'", context) is True  # case-blind
    assert evaluate("github.actor != 'dependabot[bot]' && 'yes' || 'no'", context) == "yes"
    assert evaluate("!inputs.check_only", context) is True
    assert evaluate("fromJSON('{\"a\": [1, 2]}').a[1]", context) == 2
    assert interpolate("x-${{ matrix.group }}-${{ inputs.check_only }}", context) == (
        "x-sandboxes-false"
    )
    fork = "github.event.pull_request.head.repo.full_name == github.repository"
    assert interpolate("${{ " + fork + " }}", context) == "false"
    assert condition_holds("needs.deploy.result != 'skipped'", context, True) is False
    assert condition_holds("always() && !inputs.check_only", context, False) is True
    assert condition_holds(None, context, False) is False  # success() by default
    assert condition_holds("${{ !inputs.check_only }}", context, True) is True
