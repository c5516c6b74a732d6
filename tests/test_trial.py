"""Trial: plain data that round-trips through a dict."""

from __future__ import annotations

import json

from bohpo.trial import Trial, TrialStatus


def test_trial_round_trips_through_a_json_dict() -> None:
    trial = Trial(
        id=3,
        params={"x": 0.5, "k": 2},
        budget=9.0,
        value=1.25,
        status=TrialStatus.COMPLETE,
        started_at=10.0,
        finished_at=12.5,
        intermediate={1: 3.0, 3: 1.5, 2: 2.0},
        checkpoint=1,
    )
    data = json.loads(json.dumps(trial.to_dict()))
    assert data["status"] == "complete" and data["intermediate"] == [[1, 3.0], [3, 1.5], [2, 2.0]]
    back = Trial.from_dict(data)
    assert back == trial and list(back.intermediate) == [1, 3, 2] and back.last_step == 3


def test_pending_trial_has_no_duration() -> None:
    trial = Trial(id=0, params={"x": 0.1}, started_at=1.0)
    assert trial.status is TrialStatus.PENDING and not trial.is_finished and trial.duration is None
    trial.status, trial.finished_at = TrialStatus.FAILED, 3.5
    assert trial.is_finished and trial.duration == 2.5
