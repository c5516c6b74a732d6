"""A genetic algorithm for mixed spaces: tournament selection, uniform crossover, mutation by type, elitism.

The population is the best ``population_size`` trials with a value so far (complete, or pruned at the value they were
stopped at): an elitist (mu + lambda) replacement, where a child enters the population only by beating its worst
member and the best trial is never lost. Until that many trials have a value, asks draw uniformly from the space (the
initial population). Then each ask breeds children:

- selection: two parents, each the best of ``tournament_size`` members drawn uniformly (binary tournaments by default,
  Goldberg and Deb 1991);
- crossover, with probability ``crossover_rate``: uniform, each parameter from either parent with probability 1/2
  (Syswerda 1989; Optuna's NSGA-II default). On a conditional space a parameter active in one parent only comes from
  that parent, and one active in neither is drawn uniformly, so a child inherits values, never placeholders;
- mutation: each parameter with probability ``mutation_rate`` (default one over the number of parameters): a float or
  int moves by a Gaussian step of ``mutation_scale`` times its encoded range (its log range where ``log=True``),
  reflected at the bounds; a categorical takes another of its choices, uniformly. A child that equals one of its
  parents is mutated again, so the search never spends an evaluation on a copy.

Why written here: no maintained library offers a GA over mixed spaces with conditional parameters behind an
ask-and-tell interface that bohpo's resume can replay (pymoo and DEAP own the loop; Optuna's NSGA-II is its sampler).

The population is a function of the history, and each ask's randomness comes from the searcher's generator for that
ask, so the algorithm keeps no other state: ``ask(n)`` breeds n children of one population, asynchronous workers
breed from the population as it stands when they ask, and a resume from JSON is exact with nothing extra saved.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from bohpo._checks import check_count, check_probability, finite_float
from bohpo.objectives import ConstraintsArg, ObjectivesArg
from bohpo.searchers.base import Direction, Searcher
from bohpo.seeding import SeedLike
from bohpo.space import Categorical, Config, Space
from bohpo.trial import Trial

__all__ = ["GeneticAlgorithm"]

_MAX_REMUTATIONS = 20  # extra single mutations tried on a child that equals a parent


class GeneticAlgorithm(Searcher):
    """A steady-state genetic algorithm (elitist, tournament selection) over any bohpo space.

    Args:
        space: The search space.
        population_size: The population (the best complete trials) and the size of the random initial one.
        tournament_size: Members drawn per tournament; the best of them is a parent.
        crossover_rate: Probability that a child mixes two parents (else it copies the first, then mutates).
        mutation_rate: Probability that each parameter mutates; ``None`` for one over the number of parameters.
        mutation_scale: Standard deviation of a numeric mutation, as a fraction of the parameter's encoded range.
        seed, direction: As for every searcher.

    Example:
        >>> from bohpo.space import Categorical, Float, Space
        >>> space = Space({"x": Float(-2.0, 2.0), "kind": Categorical(["a", "b", "c"])})
        >>> searcher = GeneticAlgorithm(space, population_size=10, seed=0)
        >>> for _ in range(150):
        ...     trial = searcher.ask()
        ...     offset = {"a": 1.0, "b": 0.0, "c": 2.0}[trial.params["kind"]]
        ...     _ = searcher.tell(trial, (trial.params["x"] - 1.0) ** 2 + offset)
        >>> searcher.best.params["kind"], round(searcher.best.params["x"], 1)
        ('b', 1.0)
    """

    def __init__(
        self,
        space: Space,
        *,
        population_size: int = 20,
        tournament_size: int = 2,
        crossover_rate: float = 0.9,
        mutation_rate: float | None = None,
        mutation_scale: float = 0.1,
        seed: SeedLike = None,
        direction: Direction = "minimize",
        objectives: ObjectivesArg = None,
        constraints: ConstraintsArg = None,
    ) -> None:
        super().__init__(space, seed=seed, direction=direction, objectives=objectives, constraints=constraints)
        self.population_size = check_count(population_size, "population_size", minimum=2)
        self.tournament_size = check_count(tournament_size, "tournament_size", minimum=1)
        self.crossover_rate = check_probability(crossover_rate, "crossover_rate")
        self.mutation_rate = (
            1.0 / len(space) if mutation_rate is None else check_probability(mutation_rate, "mutation_rate")
        )
        scale = finite_float(mutation_scale)
        if scale is None or scale <= 0:
            raise ValueError(f"mutation_scale must be a positive finite number, got {mutation_scale!r}")
        self.mutation_scale = scale

    @property
    def population(self) -> list[Trial]:
        """The best ``population_size`` trials with a value (complete, or pruned at the value they were stopped
        at), best first (ties in the order they were told)."""
        return self._ranked(self.history)[: self.population_size]

    def _settings(self) -> dict[str, Any]:
        return {
            "population_size": self.population_size, "tournament_size": self.tournament_size,
            "crossover_rate": self.crossover_rate, "mutation_rate": self.mutation_rate,
            "mutation_scale": self.mutation_scale,
        }  # fmt: skip

    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        population = self.population
        if len(population) < self.population_size:
            return self.space.sample(n, generator=generator)
        U = unit_rows(self.space, [t.params for t in population])  # (mu, d), best first
        return [self._child(U, generator) for _ in range(n)]

    def _tournament(self, size: int, generator: torch.Generator) -> int:
        """The best (lowest rank) of ``tournament_size`` members drawn uniformly from a population of ``size``."""
        return int(torch.randint(0, size, (self.tournament_size,), generator=generator).min())

    def _child(self, U: Tensor, generator: torch.Generator) -> Config:
        """One child of two tournament winners of the population U (mu, d), best first."""
        space, d = self.space, U.shape[1]
        first, second = U[self._tournament(U.shape[0], generator)], U[self._tournament(U.shape[0], generator)]
        crossed = torch.rand((), generator=generator, dtype=torch.float64) < self.crossover_rate
        take_second = (torch.rand(d, generator=generator, dtype=torch.float64) < 0.5) & crossed
        child = torch.where(take_second, second, first)
        # a parameter inactive in the parent it came from: the other parent's value, else a uniform draw
        child = torch.where(child.isnan(), torch.where(first.isnan(), second, first), child)
        fresh = torch.rand(d, generator=generator, dtype=torch.float64)
        child = torch.where(child.isnan(), fresh, child)
        mutate = torch.rand(d, generator=generator, dtype=torch.float64) < self.mutation_rate
        child = self._mutate(child, mutate, generator)
        parents = {space.key(c) for c in space.from_unit(torch.stack([first.nan_to_num(0.5), second.nan_to_num(0.5)]))}
        config = space.from_unit(child.unsqueeze(0))[0]
        for _ in range(_MAX_REMUTATIONS):
            if space.key(config) not in parents:
                break
            one = torch.zeros(d, dtype=torch.bool)
            one[int(torch.randint(0, d, (), generator=generator))] = True
            child = self._mutate(child, one, generator)
            config = space.from_unit(child.unsqueeze(0))[0]
        return config

    def _mutate(self, child: Tensor, where: Tensor, generator: torch.Generator) -> Tensor:
        """``child`` (d,) with the parameters in ``where`` (d,) mutated: a reflected Gaussian step for numbers,
        another choice for categoricals."""
        d = child.shape[0]
        steps = torch.randn(d, generator=generator, dtype=torch.float64) * self.mutation_scale
        shifts = torch.rand(d, generator=generator, dtype=torch.float64)
        out = child.clone()
        for j, (_, param) in enumerate(self.space.items()):
            if not where[j]:
                continue
            if isinstance(param, Categorical):
                width = param.width
                if width > 1:  # one of the other choices, uniformly
                    index = min(int(child[j] * width), width - 1)
                    index = (index + 1 + min(int(shifts[j] * (width - 1)), width - 2)) % width
                    out[j] = (index + 0.5) / width
            else:
                out[j] = _reflect(child[j] + steps[j])
        return out


def unit_rows(space: Space, configs: list[Config]) -> Tensor:
    """(n, d) one column per parameter, the inverse of :meth:`Space.from_unit`: a number's encoded position, a
    choice's centre (index + 1/2) / width, NaN where a parameter is inactive."""
    U = torch.full((len(configs), len(space)), math.nan, dtype=torch.float64)
    for j, (name, param) in enumerate(space.items()):
        rows = [i for i, config in enumerate(configs) if name in config]
        if not rows:
            continue
        if isinstance(param, Categorical):
            indices = [param.index(configs[i][name]) for i in rows]  # valid configurations: never None
            column = torch.tensor([(index + 0.5) / param.width if index is not None else math.nan for index in indices])
        else:
            column = param._encode_column(torch.tensor([float(configs[i][name]) for i in rows], dtype=torch.float64))
        U[rows, j] = column.to(torch.float64)
    return U


def _reflect(u: Tensor) -> Tensor:
    """u reflected into [0, 1] at both ends (a step past a bound comes back by as much)."""
    u = u.remainder(2.0)
    return torch.where(u > 1.0, 2.0 - u, u)
