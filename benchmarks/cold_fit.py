"""The GP's first fit on many points: from the priors' modes, or from a fit on an evenly spread subset.

A study that tells a searcher thousands of earlier observations (or resumes without a warm state) fits the GP once
with no previous hyperparameters to start from. Each loss evaluation costs O(n^3) (about 0.9 s at n = 2000 on one
thread), and from the priors' modes L-BFGS-B takes 10 to 45 of them. A cold fit on at least ``SUBSET_FIT_FROM``
points first fits ``SUBSET_FIT_SIZE`` = m of them (evenly spread in the order told, at (m / n)^3 of the cost per
evaluation), then refines on all n from there. Here the subset is tried at every n, to show where it pays.

For each n, dimension and function (scrambled Sobol points on [0, 1]^d, one torch thread), both starts are timed on
the same data with the default GP (Yeo–Johnson output transform); the table gives the full-size loss evaluations,
the seconds and the negative log posterior per point reached (lower is better).

    python benchmarks/cold_fit.py --sizes 1000,2000 --out benchmarks/results/cold_fit.md
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

import bohpo.surrogates.gp as gp_module
from bohpo.surrogates import GP

Function = Callable[[torch.Tensor], torch.Tensor]


def smooth_multimodal(X: torch.Tensor) -> torch.Tensor:
    """overhead.py's objective: a bowl with ripples, X (n, d) -> (n,)."""
    return ((X - 0.35) ** 2).sum(-1) + 0.1 * torch.sin(9 * X).sum(-1)


def levy(X: torch.Tensor) -> torch.Tensor:
    """Levy on [-10, 10]^d, rescaled from the unit cube, X (n, d) -> (n,)."""
    w = 1 + (20 * X - 10 - 1) / 4
    first = torch.sin(math.pi * w[:, 0]) ** 2
    middle = ((w[:, :-1] - 1) ** 2 * (1 + 10 * torch.sin(math.pi * w[:, :-1] + 1) ** 2)).sum(-1)
    last = (w[:, -1] - 1) ** 2 * (1 + torch.sin(2 * math.pi * w[:, -1]) ** 2)
    return first + middle + last


def noisy_quadratic(X: torch.Tensor) -> torch.Tensor:
    """An ill-conditioned quadratic plus Gaussian noise of s.d. 0.05 (a fixed generator), X (n, d) -> (n,)."""
    weights = torch.arange(1, X.shape[1] + 1, dtype=X.dtype)
    noise = torch.randn(X.shape[0], generator=torch.Generator().manual_seed(5), dtype=X.dtype)
    return ((X - 0.3) ** 2 * weights).sum(-1) + 0.05 * noise


FUNCTIONS: dict[str, Function] = {
    "smooth-multimodal": smooth_multimodal,
    "levy": levy,
    "noisy-quadratic": noisy_quadratic,
}


def fit(X: torch.Tensor, y: torch.Tensor, subset_size: int | None) -> tuple[int, float, float]:
    """(full-size loss evaluations, seconds, negative log posterior per point) of one cold fit, from a subset of
    ``subset_size`` points or (None) from the priors' modes."""
    n = X.shape[0]
    full_size = [0]
    loss = gp_module._loss_with_gradient

    def counted(model: Any, X_fit: torch.Tensor, z: torch.Tensor, blocks: Any = None) -> torch.Tensor:
        full_size[0] += X_fit.shape[0] == n
        return loss(model, X_fit, z, blocks)

    gp_module._loss_with_gradient = counted  # type: ignore[assignment]
    gp_module.SUBSET_FIT_FROM = n + 1 if subset_size is None else 0
    gp_module.SUBSET_FIT_SIZE = subset_size or 1
    try:
        start = time.perf_counter()
        gp = GP(output_transform="yeo-johnson").fit(X, y)
        seconds = time.perf_counter() - start
    finally:
        gp_module._loss_with_gradient = loss
    return full_size[0], seconds, float(gp.negative_log_posterior(X, y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,2000")
    parser.add_argument("--dims", default="4,10,20")
    parser.add_argument("--subset", type=int, default=gp_module.SUBSET_FIT_SIZE, help="m, the subset's size")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    defaults = gp_module.SUBSET_FIT_FROM, gp_module.SUBSET_FIT_SIZE
    m = args.subset
    lines = [
        "# The first fit on many points: from the priors' modes, or from a fit on a subset",
        "",
        f"Produced by `python benchmarks/cold_fit.py --sizes {args.sizes} --dims {args.dims} --subset {m}`. Both "
        f"starts on the same data; 'via subset' first fits {m} points evenly spread in the order told (at every n "
        f"here; the library does so for n >= {defaults[0]}, with {defaults[1]}). Evaluations of the loss on all n "
        "points, seconds of the whole fit, negative log posterior per point at the end.",
        "",
        "| n | d | function | from the priors: evaluations | seconds | loss | via subset: evaluations | seconds "
        "| loss |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    print("\n".join(lines), flush=True)
    totals = [0.0, 0.0]
    for n in (int(v) for v in args.sizes.split(",")):
        for d in (int(v) for v in args.dims.split(",")):
            X = torch.quasirandom.SobolEngine(d, scramble=True, seed=n + d).draw(n, dtype=torch.float64)
            for name, function in FUNCTIONS.items():
                y = function(X)
                prior = fit(X, y, subset_size=None)
                subset = fit(X, y, subset_size=m)
                totals[0] += prior[1]
                totals[1] += subset[1]
                cells = [f"{prior[0]}", f"{prior[1]:.1f}", f"{prior[2]:.4f}"]
                cells += [f"{subset[0]}", f"{subset[1]:.1f}", f"{subset[2]:.4f}"]
                line = f"| {n} | {d} | {name} | " + " | ".join(cells) + " |"
                lines.append(line)
                print(line, flush=True)
    gp_module.SUBSET_FIT_FROM, gp_module.SUBSET_FIT_SIZE = defaults
    lines += ["", f"Seconds in all: from the priors {totals[0]:.0f}, via the subset {totals[1]:.0f}."]
    print(lines[-1])
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
