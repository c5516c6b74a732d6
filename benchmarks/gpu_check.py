"""The default GP searcher on a CUDA device against the CPU: seconds per ask at large n, and same seed, same trials.

Run where a CUDA device is present (the tests' CUDA cases run with ``pytest -k cuda``):

    python benchmarks/gpu_check.py --out benchmarks/results/gpu_check.md

Two parts, each on both devices in one process, float64 as the searcher's default:

- **Seconds per ask.** ``BayesianOptimizer`` on [0, 1]^d is told n scrambled Sobol points of a smooth multimodal
  function (``overhead.objective``); its first ask (the cold hyperparameter fit, from a subset when n >= 1000) and
  the median of ``--reps`` later asks (each told before the next, warm-started) are timed. The CPU runs with one
  thread, as ``benchmarks/overhead.py`` does.
- **Reproducibility.** Hartmann6 for ``--evals`` evaluations under the GP and the TPE searcher, twice with the same
  seed on the CUDA device: the trials must be identical. The CPU run with that seed is compared too; CUDA's and the
  CPU's floating-point sums differ in their last bits, so trials may part after the initial design, and the report
  says where.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overhead import objective

from bohpo import BayesianOptimizer, Float, Space, minimize
from bohpo.acquisition import ExpectedImprovement
from bohpo.problems import make_problem
from bohpo.surrogates import TPE


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def time_asks(device: str, d: int, n: int, reps: int) -> tuple[float, float]:
    """Seconds of the first ask after n observations, and the median of ``reps`` later asks."""
    space = Space({f"x{i}": Float(0.0, 1.0) for i in range(d)})
    X = torch.quasirandom.SobolEngine(d, scramble=True, seed=d * 1000 + n).draw(n, dtype=torch.float64)
    searcher = BayesianOptimizer(space, seed=0, device=device)
    for x, value in zip(X, objective(X).tolist(), strict=True):
        searcher.tell(dict(zip(space.names, x.tolist(), strict=True)), value)
    seconds = []
    for _ in range(reps + 1):
        _sync(device)
        start = time.perf_counter()
        trial = searcher.ask()
        _sync(device)
        seconds.append(time.perf_counter() - start)
        space.validate(trial.params)
        point = torch.tensor([[trial.params[k] for k in space.names]], dtype=torch.float64)
        searcher.tell(trial, float(objective(point)[0]))
    return seconds[0], statistics.median(seconds[1:])


def trials(device: str, seed: int, evals: int, surrogate: str = "gp") -> list[dict[str, float]]:
    """Hartmann6's trials under the default GP searcher, or TPE with expected improvement (``"tpe"``)."""
    problem = make_problem("hartmann6")
    if surrogate == "tpe":
        searcher = BayesianOptimizer(
            problem.space, seed=seed, device=device, surrogate=TPE(), acquisition=ExpectedImprovement
        )
    else:
        searcher = BayesianOptimizer(problem.space, seed=seed, device=device)
    minimize(problem, problem.space, searcher, evals)
    return [dict(t.params) for t in searcher.history]


def reproducibility(surrogate: str, evals: int) -> tuple[bool, str]:
    """Two CUDA runs with seed 0 identical?, and a line saying so and how far the CPU run agrees."""
    first, second = trials("cuda", 0, evals, surrogate), trials("cuda", 0, evals, surrogate)
    on_cpu = trials("cpu", 0, evals, surrogate)
    same_as_cpu = next((i for i, (a, b) in enumerate(zip(first, on_cpu, strict=True)) if a != b), len(first))
    return first == second, (
        f"- {surrogate}: Hartmann6, seed 0, {evals} evaluations on CUDA twice: "
        + ("identical trials" if first == second else "**the trials differ**")
        + f"; the first {same_as_cpu} trials of the CPU run with that seed are identical to CUDA's."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--sizes", default="250,1000,2000")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--evals", type=int, default=30)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device here: this check needs one")
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    lines = [
        "# The default GP searcher on CUDA against the CPU",
        "",
        f"Produced by `python benchmarks/gpu_check.py --dim {args.dim} --sizes {args.sizes} --reps {args.reps} "
        f"--evals {args.evals}` on {torch.cuda.get_device_name(0)} (torch {torch.__version__}); CPU one thread.",
        "",
        "| n | d | CPU first ask (s) | CUDA first ask (s) | CPU ask (s) | CUDA ask (s) | CUDA / CPU ask |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    time_asks("cuda", args.dim, 50, 1)  # CUDA context and kernels loaded before anything is timed
    for n in (int(s) for s in args.sizes.split(",")):
        cpu_first, cpu_ask = time_asks("cpu", args.dim, n, args.reps)
        cuda_first, cuda_ask = time_asks("cuda", args.dim, n, args.reps)
        lines.append(
            f"| {n} | {args.dim} | {cpu_first:.2f} | {cuda_first:.2f} | {cpu_ask:.3f} | {cuda_ask:.3f} | "
            f"{cuda_ask / cpu_ask:.2f} |"
        )
        print(lines[-1], flush=True)
    lines.append("")
    reproducible = True
    for surrogate in ("gp", "tpe"):
        same, line = reproducibility(surrogate, args.evals)
        reproducible &= same
        lines.append(line)
        print(line, flush=True)
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    if not reproducible:
        raise SystemExit("CUDA runs with the same seed gave different trials")


if __name__ == "__main__":
    main()
