"""The benchmark machinery: suites, the runner, durable storage.

Names are imported on first use (PEP 562): the command line reads the suites without loading the runner's torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "RunSpec": "bohpo.bench.runner",
    "execute_run": "bohpo.bench.runner",
    "plan_runs": "bohpo.bench.runner",
    "run_suite": "bohpo.bench.runner",
    "trial_cost": "bohpo.bench.runner",
    "RunRecord": "bohpo.bench.storage",
    "Storage": "bohpo.bench.storage",
    "TrialRecord": "bohpo.bench.storage",
    "SUITES": "bohpo.bench.suites",
    "Suite": "bohpo.bench.suites",
    "get_suite": "bohpo.bench.suites",
}

__all__ = [
    "SUITES",
    "RunRecord",
    "RunSpec",
    "Storage",
    "Suite",
    "TrialRecord",
    "execute_run",
    "get_suite",
    "plan_runs",
    "run_suite",
    "trial_cost",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'bohpo.bench' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


if TYPE_CHECKING:
    from bohpo.bench.runner import RunSpec, execute_run, plan_runs, run_suite, trial_cost
    from bohpo.bench.storage import RunRecord, Storage, TrialRecord
    from bohpo.bench.suites import SUITES, Suite, get_suite
