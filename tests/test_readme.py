"""The README's example runs as written, and its two commands are the Makefile's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)


def _run_the_block_with(marker: str, tmp_path: Path, *, replace: tuple[str, str] | None = None) -> str:
    """Run the one README block holding ``marker`` (with one text replacement, to keep it cheap) and return what
    it printed; fails if it is not exactly one block or it does not exit cleanly."""
    found = [b for b in _python_blocks() if marker in b]
    assert len(found) == 1, f"{len(found)} README blocks hold {marker!r}"
    block = found[0]
    if replace is not None:
        assert replace[0] in block
        block = block.replace(*replace)
    script = tmp_path / "block.py"
    script.write_text(block)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    blocks = _python_blocks()
    assert blocks, "README.md has no python example"
    script = tmp_path / "example.py"
    script.write_text(blocks[0])
    assert len(blocks[0].strip().splitlines()) <= 12
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "'lr':" in done.stdout  # it printed the best configuration


@pytest.mark.slow
def test_the_readme_nested_cross_validation_runs_as_written(tmp_path: Path) -> None:
    """With a smaller search (6 trials per outer fold) so that it stays cheap; everything else as written."""
    printed = _run_the_block_with("cross_val_score", tmp_path, replace=("n_iter=30", "n_iter=6"))
    accuracy = float(printed.split("nested CV accuracy ")[1].split()[0])
    assert 0.9 < accuracy <= 1.0  # an SVC on breast cancer


def test_the_readme_commands_are_make_targets() -> None:
    readme, makefile = (ROOT / "README.md").read_text(), (ROOT / "Makefile").read_text()
    for target in ("bench", "test"):
        assert re.search(rf"^make {target}\b", readme, flags=re.MULTILINE)
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_readme_conditional_space_example_runs_as_written(tmp_path: Path) -> None:
    assert "'model':" in _run_the_block_with("conditions=", tmp_path)


@pytest.mark.slow
def test_the_readme_model_selection_example_runs_as_written(tmp_path: Path) -> None:
    """With fewer evaluations (12) so that it stays cheap; everything else as written."""
    family, score = _run_the_block_with("families", tmp_path, replace=("n_iter=30", "n_iter=12")).split()
    assert family in {"SVC", "RandomForestClassifier", "LogisticRegression"} and 0.9 < float(score) <= 1.0


def test_the_readme_evolutionary_example_runs_as_written(tmp_path: Path) -> None:
    printed = _run_the_block_with("GeneticAlgorithm(space, seed=0)", tmp_path)
    values = {line.split()[0]: float(line.split()[1]) for line in printed.splitlines()}
    assert set(values) == {"CMAES", "GeneticAlgorithm"}
    assert all(0.0 <= v < 5.0 for v in values.values())  # random search's best after 300: 27 and 39 (seeds 0, 1)


def test_the_readme_pruning_example_runs_as_written(tmp_path: Path) -> None:
    printed = _run_the_block_with("pruner=MedianPruner()", tmp_path)
    best, trained = printed.split()[0], printed.split()[1]
    assert 0.01 <= float(best) < 0.02  # the curve's floor is 0.01 / lr, reached by large learning rates
    assert int(trained) < 20 * 30  # some trials were stopped


def test_the_readme_population_based_training_example_runs_as_written(tmp_path: Path) -> None:
    printed = _run_the_block_with("PopulationBasedTraining(toy.space", tmp_path)
    assert float(printed.split()[0]) < 0.1  # trained apart, the better of the two members ends at 0.8242


def test_the_readme_multi_objective_example_runs_as_written(tmp_path: Path) -> None:
    size, volume = _run_the_block_with("objectives=objectives", tmp_path).split()
    # the feasible front's hypervolume against (error 1, speed 0): 0.97 at most (a dense grid of the feasible square);
    # a sanity bound, not a measure of quality (20 evaluations; benchmarks/multi_objective.py measures that)
    assert int(size) >= 5 and 0.8 < float(volume) <= 0.97
