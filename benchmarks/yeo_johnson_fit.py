"""The Yeo–Johnson lambda fit that runs at every GP fit: bohpo's ``yeo_johnson_normmax`` against scipy's.

Both run the same bounded search on the same log-likelihood; the report gives the median milliseconds per fit of
each, their ratio, and whether the two lambdas are identical, on standardised draws of a skewed objective's values
(exp of a Gaussian) for several n, in one process, one thread, alternating between the two.

    python benchmarks/yeo_johnson_fit.py --sizes 25,100,400,1600 --reps 200 --out benchmarks/results/yeo_johnson_fit.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats

from bohpo.surrogates.transforms import yeo_johnson_normmax


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="25,100,400,1600")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = ["| n | scipy (ms) | bohpo (ms) | bohpo / scipy | same lambda |", "| ---: | ---: | ---: | ---: | --- |"]
    for n in (int(s) for s in args.sizes.split(",")):
        generator = np.random.default_rng(n)
        ours, theirs, same = [], [], True
        for _ in range(args.reps):
            x = np.exp(2 * generator.normal(size=n))
            z = (x - x.mean()) / x.std()
            start = time.perf_counter()
            a = float(stats.yeojohnson_normmax(z))
            theirs.append(time.perf_counter() - start)
            start = time.perf_counter()
            b = yeo_johnson_normmax(z)
            ours.append(time.perf_counter() - start)
            same = same and a == b
        t_scipy, t_bohpo = statistics.median(theirs) * 1e3, statistics.median(ours) * 1e3
        rows.append(f"| {n} | {t_scipy:.2f} | {t_bohpo:.2f} | {t_bohpo / t_scipy:.2f} | {'yes' if same else 'no'} |")
        print(rows[-1], file=sys.stderr)
    text = "\n".join(rows)
    print(text)
    if args.out is not None:
        command = "python benchmarks/yeo_johnson_fit.py " + " ".join(sys.argv[1:] if argv is None else argv)
        args.out.write_text(
            f"# Yeo–Johnson lambda fit\n\nProduced by `{command}`.\n\nMedian milliseconds per fit over "
            f'{args.reps} draws per n, one thread; "same lambda" means bit-for-bit equal on every draw.\n\n{text}\n'
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
