"""The benchmark machinery: suites, the runner, durable storage."""

from bohpo.bench.runner import RunSpec, execute_run, plan_runs, run_suite, trial_cost
from bohpo.bench.storage import RunRecord, Storage, TrialRecord
from bohpo.bench.suites import SUITES, Suite, get_suite

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
