"""The fleet runner with no org: lanes run side by side, apart, and stop together."""

from __future__ import annotations

import threading
import time

from tasks.totango_sf.steps.fleet import FleetStopped, run_fleet


def test_a_lane_that_raises_does_not_stop_or_touch_the_others():
    def job(org: str, lane):
        lane.stage("working")
        if org == "bad":
            raise RuntimeError("boom")
        time.sleep(0.05)
        return f"{org} done"

    run = run_fleet(["a", "bad", "c", "d"], job, parallel=2)
    results = {o.org: (o.result, type(o.error).__name__ if o.error else None) for o in run.outcomes}
    assert results == {
        "a": ("a done", None),
        "bad": (None, "RuntimeError"),
        "c": ("c done", None),
        "d": ("d done", None),
    }
    assert not run.interrupted


def test_parallel_lanes_overlap_and_each_reports_its_own_stages():
    running, peak, lock = [0], [0], threading.Lock()
    seen: list[tuple[str, str]] = []

    def job(org: str, lane):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        lane.stage(f"stage of {org}")
        time.sleep(0.1)
        with lock:
            running[0] -= 1
        return org

    run = run_fleet(
        [f"o{i}" for i in range(6)],
        job,
        parallel=3,
        on_change=lambda board: seen.append((board.org, board.stage)),
    )
    assert peak[0] == 3
    assert [o.result for o in run.outcomes] == [f"o{i}" for i in range(6)]
    assert all(stage == f"stage of {org}" for org, stage in seen if stage.startswith("stage"))


def test_a_stop_ends_running_lanes_at_their_next_stage_and_never_starts_the_rest():
    stop = threading.Event()
    started = threading.Event()

    def job(org: str, lane):
        lane.deploy_started(f"0Af{org}")
        started.set()
        for _ in range(200):
            lane.stage("polling")  # raises FleetStopped once the flag is set
            time.sleep(0.01)
        return org

    def stopper():
        started.wait(5)
        stop.set()

    threading.Thread(target=stopper).start()
    run = run_fleet(["a", "b", "c"], job, parallel=1, stop=stop)
    first, *rest = run.outcomes
    assert isinstance(first.error, FleetStopped) and first.deploy_id == "0Afa"
    assert all(o.stopped_before_start and o.result is None for o in rest)
