"""A browser task's failure in ``setup``: its last error line, not the org's state."""

from __future__ import annotations

from tasks.totango_sf.steps.setup import TaskRun, last_error_line


def test_the_last_error_line_is_the_exception_or_the_robot_failure():
    traceback = [
        "Traceback (most recent call last):",
        '  File "cumulusci/utils/git.py", line 80, in parse_repo_url',
        "    owner = parts[-2]",
        "IndexError: list index out of range",
        "",
    ]
    assert last_error_line(traceback) == "IndexError: list index out of range"
    robot = ["Connected App Policy  | FAIL |", "Element 'Edit Policies' not visible", "Output: x"]
    assert last_error_line(robot) == "Connected App Policy  | FAIL |"
    assert last_error_line(["Error: No org named uat", "bye"]) == "Error: No org named uat"
    assert last_error_line(["one", "the last"]) == "the last"
    assert last_error_line([]) == ""


def test_a_runner_may_still_answer_with_an_exit_code():
    from tasks.totango_sf.steps.setup import _task_run

    assert _task_run(3) == TaskRun(3)
    assert _task_run(TaskRun(1, "boom")) == TaskRun(1, "boom")
