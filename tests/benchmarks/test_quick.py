"""The quick benchmark script runs end to end on a tiny setting and reports sensible regrets."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_quick() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bohpo_quick_benchmark", ROOT / "benchmarks" / "quick.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_quick_benchmark_prints_and_writes_its_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quick = _load_quick()
    out = tmp_path / "quick.md"
    args = ["--seeds", "2", "--budget", "8", "--problems", "branin,hartmann3", "--searchers", "grid,random,sobol"]
    args += ["--workers", "1"]  # in this process: a test must not fork a process that runs torch
    assert quick.main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = [line for line in printed.splitlines() if line.startswith("| branin") or line.startswith("| hartmann3")]
    assert len(rows) == 2 * 3  # two problems x (grid, random, sobol)
    assert "--budget 8" in out.read_text() and rows[0] in out.read_text()


def test_regret_is_best_minus_optimum() -> None:
    quick = _load_quick()
    cell = quick.run_cell("branin", "random", [0, 1], 5)
    optimum = quick.PROBLEMS["branin"].optimum
    assert cell.regret == pytest.approx([b - optimum for b in cell.best])
    assert all(r >= 0 for r in cell.regret)


def test_unknown_names_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    quick = _load_quick()
    with pytest.raises(SystemExit) as exit_info:
        quick.main(["--searchers", "nope"])
    assert exit_info.value.code == 2 and "unknown searcher 'nope'" in capsys.readouterr().err
