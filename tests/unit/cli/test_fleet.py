"""A fleet on the command line with no org: the worst exit code, refused options, the live table."""

from __future__ import annotations

from tasks.totango_sf.cli.fleet import SEVERITY, worst_code
from tests.support.cli import cli, write_config
from tests.support.cli_json import error_of


def test_worst_code_ranks_unknown_and_failures_above_drift():
    assert worst_code([0, 3, 0]) == 3
    assert worst_code([3, 2, 0]) == 2
    assert worst_code([2, 4]) == 4
    assert worst_code([4, 1, 3]) == 1
    assert worst_code([1, 5]) == 5
    assert worst_code([130, 5, 0]) == 5  # a deploy that may still run outranks "not started"
    assert worst_code([130, 1]) == 130
    assert worst_code([]) == 0
    assert SEVERITY[-1] == 0


def test_quick_deploy_and_snapshot_ids_are_refused_for_a_fleet(tmp_path):
    config = write_config(tmp_path)
    quick = cli("deploy", "--org", "a", "--org", "b", "--quick", "0Af000000000001",
                "--config", str(config), "--json")  # fmt: skip
    assert quick.exit_code == 2 and "--quick" in error_of(quick.stdout)["message"]
    snap = cli(
        "rollback", "--org", "a", "--org", "b", "--snapshot", "20260101T120000000000Z", "--json"
    )
    assert snap.exit_code == 2 and "--snapshot" in error_of(snap.stdout)["message"]
    none = cli("verify", "--json")
    assert none.exit_code == 2 and "--org" in error_of(none.stdout)["message"]


def test_a_terminal_gets_a_live_table_with_a_row_per_org():
    import io

    from rich.console import Console

    from tasks.totango_sf.cli.fleet import _fleet_display
    from tasks.totango_sf.steps.fleet import LaneBoard

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    boards = [LaneBoard("alpha", stage="deploying 3/47"), LaneBoard("beta", stage="verifying")]
    with _fleet_display(console, "deploy", ["alpha", "beta"]) as (on_change, poll):
        on_change(boards[0])  # a terminal shows the table, not lines
        poll(boards)
    text = screen.getvalue()
    assert "deploy on 2 org(s)" in text
    assert "alpha" in text and "deploying 3/47" in text and "verifying" in text
    assert "[alpha]" not in text


def test_a_fleet_ranks_an_open_manual_step_just_above_success():
    from tasks.totango_sf.cli.fleet import worst_code

    assert worst_code([0, 7, 0]) == 7
    assert worst_code([7, 3]) == 3 and worst_code([7, 1]) == 1
