"""Parts of the GP's model that know the search space or shape its prior: categorical blocks and the box prior.

Glossary:
    D   encoded dimension;  l a lengthscale;  r a distance in lengthscales.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from gpytorch.priors import Prior
from torch import Tensor
from torch.distributions import constraints

from bohpo.space import Categorical, Space

__all__ = ["BoxLengthscalePrior", "CategoryBlocks"]

_SQRT5 = math.sqrt(5.0)
_MAX_CATEGORY_CORRELATION = 0.9  # prior correlation of one function's values under two different categories, at most


@dataclass(frozen=True)
class CategoryBlocks:
    """The one-hot blocks of a space's categoricals, each a category-aware part of the kernel.

    The columns of one block share a lengthscale l, so the squared scaled distance between two points is the
    numeric columns' part plus 2 / l^2 for each categorical whose choices differ: a Hamming (overlap) distance inside
    the Matérn kernel, the same for every pair of choices. The lengthscale is capped at ``max_lengthscale``, where
    two different choices are correlated ``_MAX_CATEGORY_CORRELATION`` (0.9) a priori: however alike the choices
    observed so far, the model keeps some doubt about a choice it has not tried at a point (given the value of
    one other choice there, a standard deviation of sqrt(1 - 0.9^2) = 0.44 of the output scale's; given every other
    choice's, still about sqrt(1 - 0.9) = 0.32), so it never rules out that another category is better untried.

    Example:
        >>> from bohpo.space import Float
        >>> blocks = CategoryBlocks.of(Space({"x": Float(0.0, 1.0), "c": Categorical(["a", "b", "c"])}))
        >>> blocks.blocks, blocks.groups().tolist(), round(blocks.max_lengthscale, 3)
        (((1, 4),), [0, 1, 1, 1], 3.85)

    Attributes:
        dim: D, the encoded dimension of the space.
        blocks: ``(start, stop)`` column ranges, one per categorical with two or more choices.
    """

    dim: int
    blocks: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        if any(not 0 <= start < stop <= self.dim for start, stop in self.blocks):
            raise ValueError(f"blocks must be column ranges within 0..{self.dim}, got {self.blocks!r}")

    @classmethod
    def of(cls, space: Space) -> CategoryBlocks:
        """The blocks of ``space``'s categoricals with two or more choices."""
        blocks = []
        for name, param in space.items():
            columns = space.columns(name)
            if isinstance(param, Categorical) and columns.stop - columns.start > 1:
                blocks.append((columns.start, columns.stop))
        return cls(space.dim, tuple(blocks))

    @property
    def max_lengthscale(self) -> float:
        """The cap of a block's lengthscale: matern52(sqrt(2) / l) = ``_MAX_CATEGORY_CORRELATION``."""
        return math.sqrt(2.0) / _matern52_distance(_MAX_CATEGORY_CORRELATION)

    def groups(self) -> np.ndarray:
        """(D,) the column each column takes its lengthscale from: its block's first column, else itself."""
        group = np.arange(self.dim)
        for start, stop in self.blocks:
            group[start:stop] = start
        return group

    def prior_weights(self, like: Tensor) -> Tensor:
        """(D,) 1 / width on a block's columns, else 1: the lengthscale prior counts once per categorical."""
        weights = torch.ones(self.dim, dtype=like.dtype, device=like.device)
        for start, stop in self.blocks:
            weights[start:stop] = 1.0 / (stop - start)
        return weights


def _matern52_distance(correlation: float) -> float:
    """The scaled distance r at which the unit Matérn-5/2 kernel equals ``correlation`` in (0, 1), by bisection."""
    low, high = 0.0, 50.0
    for _ in range(100):
        mid = (low + high) / 2
        value = (1 + _SQRT5 * mid + 5.0 / 3.0 * mid**2) * math.exp(-_SQRT5 * mid)
        low, high = (mid, high) if value > correlation else (low, mid)
    return (low + high) / 2


class BoxLengthscalePrior(Prior):
    """The lengthscale prior log p(l) = -c (l^2 + 1 / l^2) (unnormalised, c = 0.1), elementwise.

    It centres every lengthscale at the width of the unit cube and is symmetric in log l, with tails that rise like
    e^(2 |log l|): l = 3 costs 0.9 nats, l = 10 costs 10. A lengthscale many times the box says that an input does not
    matter anywhere in it, which data inside the box cannot tell apart from "matters a little": the prior decides,
    and a prior that allows it makes the posterior certain in directions nobody looked (Hartmann6's second basin,
    the one-hot columns of a categorical that seemed not to matter, the flat side of a plateau). This is the prior
    Optuna's ``GPSampler`` places on its inverse squared lengthscales (the same function, as it is symmetric);
    ``benchmarks/results/traps/lengthscale_prior.md`` measures it against the dimension-scaled log-normal.

    Example:
        >>> prior = BoxLengthscalePrior()
        >>> [round(float(v), 3) for v in prior.log_prob(torch.tensor([0.5, 1.0, 2.0, 10.0]))]
        [-0.425, -0.2, -0.425, -10.001]
    """

    arg_constraints: ClassVar[dict[str, Any]] = {}
    support = constraints.positive

    def __init__(self, strength: float = 0.1) -> None:
        if not (isinstance(strength, (int, float)) and math.isfinite(strength) and strength > 0):
            raise ValueError(f"strength must be a finite number > 0, got {strength!r}")
        torch.nn.Module.__init__(self)
        torch.distributions.Distribution.__init__(self, batch_shape=torch.Size(), validate_args=False)
        self.register_buffer("strength", torch.tensor(float(strength), dtype=torch.float64))
        self._transform = None

    def log_prob(self, x: Tensor) -> Tensor:
        return -self.strength.to(x) * (x.square() + x.square().reciprocal())
