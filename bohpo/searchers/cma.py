"""CMA-ES as a searcher: the ``cmaes`` package's optimizers behind ask and tell, with IPOP restarts.

Which optimizer: on a space of floats only, ``cmaes.CMA`` (Hansen's CMA-ES, box-bounded); as soon as the space has an
int or a categorical, ``cmaes.CatCMAwM``, which joins CMA-ES with margin for the integers (Hamano et al. 2022: a
floor on each integer's probability of leaving its value, so the Gaussian never collapses onto one integer) and the
categorical distribution of CatCMA for the categoricals (Hamano et al. 2024). The package is the reference
implementation of all three (it is what Optuna's CmaEsSampler runs); bohpo writes none of CMA-ES itself.

The search vector: every float is its position in bohpo's encoding of the unit cube (log-scaled where ``log=True``);
every int is one of its values' encoded positions (the centres of its cells; an int with more than 65536 values is
searched as a float and rounded); every categorical of two or more choices is one categorical variable. The Gaussian
starts at the centre of the cube with step size 1/6 and unit covariance (the whole range within three standard
deviations, Hansen's advice). A conditional space is searched whole: every parameter is drawn, and the
configuration keeps the active ones.

Generations and workers: an ask draws from the current generation's distribution. Once ``population_size`` of a
generation's draws have values (complete, or pruned at the value they were stopped at), the first that many in the
order told go to the optimizer, which moves its distribution; draws told after that, failed draws and
configurations told from elsewhere stay in the history and do not move it (as Optuna's CmaEsSampler does). So
``ask(n)`` with any n and asynchronous workers work: while a generation's draws are pending, further asks draw more
from the same distribution.

Restarts: IPOP (Auger and Hansen 2005). When the optimizer's stopping rules fire (values flat over recent
generations, a step size below tolerance, a covariance too ill-conditioned), a new optimizer starts at a uniformly
random mean with twice the population. A space of categoricals alone has no Gaussian, and no stopping rule: it never
restarts.

Resume: the optimizers draw from numpy generators seeded by the searcher's seed, so their state is a function of the
seed and of what was told, in order. The saved state is that log: each generation's draws (as trial ids) and which of
them were told. Loading replays it (the same draws, the same tells, the same restarts) and checks that each replayed
draw decodes to the trial recorded for it, so a damaged or foreign state is refused, not followed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cmaes
import numpy as np
import torch

from bohpo._checks import check_count
from bohpo._threads import single_threaded_blas
from bohpo.searchers.base import Direction, Searcher
from bohpo.seeding import SeedLike, derive_seed, numpy_generator
from bohpo.space import Categorical, Config, Float, Int, Space
from bohpo.trial import Trial, TrialStatus

__all__ = ["CMAES"]

_OPTIMIZER_STREAM = 2  # seeding key of restart r's optimizer: (_OPTIMIZER_STREAM, r)
_MEAN_STREAM = 3  # seeding key of restart r's random mean: (_MEAN_STREAM, r)
_SIGMA0 = 1.0 / 6.0  # initial step size, in the unit cube
_MAX_LATTICE = 2**16  # an int with more values is searched as a float
_POPULATION_GROWTH = 2  # IPOP: each restart doubles the population


@dataclass(frozen=True)
class _Layout:
    """Where each parameter sits in the optimizer's variables: ``floats`` are the continuous variables (floats, and
    ints with too many values), ``ints`` the integer variables (with their lattice of encoded positions), and
    ``categoricals`` the categorical variables; ``constants`` are categoricals with one choice."""

    floats: tuple[str, ...]
    ints: tuple[tuple[str, tuple[float, ...]], ...]
    categoricals: tuple[tuple[str, int], ...]
    constants: tuple[str, ...]

    @classmethod
    def of(cls, space: Space) -> _Layout:
        floats: list[str] = []
        ints: list[tuple[str, tuple[float, ...]]] = []
        categoricals: list[tuple[str, int]] = []
        constants: list[tuple[str, int]] = []
        for name, param in space.items():
            if isinstance(param, Categorical):
                (categoricals if param.width > 1 else constants).append((name, param.width))
            elif isinstance(param, Int) and param.high - param.low < _MAX_LATTICE:
                values = torch.arange(param.low, param.high + 1, dtype=torch.float64)
                ints.append((name, tuple(param._encode_column(values).tolist())))
            else:
                assert isinstance(param, (Float, Int))
                floats.append(name)
        return cls(tuple(floats), tuple(ints), tuple(categoricals), tuple(name for name, _ in constants))

    @property
    def n_gaussian(self) -> int:
        return len(self.floats) + len(self.ints)

    @property
    def n_variables(self) -> int:
        return self.n_gaussian + len(self.categoricals)

    @property
    def floats_only(self) -> bool:
        return not self.ints and not self.categoricals


class CMAES(Searcher):
    """CMA-ES (``cmaes.CMA``; ``cmaes.CatCMAwM`` with ints or categoricals) with IPOP restarts.

    Args:
        space: The search space; at least one parameter must vary.
        population_size: Draws per generation of the first run (restarts double it), at least 4 (with fewer, the
            rank-mu update has no weight); ``None`` for CMA-ES's default 4 + floor(3 ln k), k the number of variables.
        restarts: Restart with a doubled population when the optimizer stops (IPOP); ``False`` keeps one run.
        seed, direction: As for every searcher.

    Example:
        >>> from bohpo.space import Float, Space
        >>> searcher = CMAES(Space({"x": Float(-1.0, 1.0), "y": Float(-1.0, 1.0)}), seed=0)
        >>> for _ in range(60):
        ...     trial = searcher.ask()
        ...     _ = searcher.tell(trial, (trial.params["x"] - 0.3) ** 2 + trial.params["y"] ** 2)
        >>> round(searcher.best.params["x"], 1), searcher.population_size
        (0.3, 6)
    """

    def __init__(
        self,
        space: Space,
        *,
        population_size: int | None = None,
        restarts: bool = True,
        seed: SeedLike = None,
        direction: Direction = "minimize",
    ) -> None:
        super().__init__(space, seed=seed, direction=direction)
        layout = _Layout.of(space)
        if layout.n_variables == 0:
            raise ValueError(f"CMAES needs a parameter that varies; every parameter of {space!r} has one value")
        if population_size is not None:
            population_size = check_count(population_size, "population_size", minimum=4)
        if not isinstance(restarts, bool):
            raise TypeError(f"restarts must be a bool, got {restarts!r}")
        self._layout = layout
        self._initial_population = population_size or 4 + math.floor(3 * math.log(layout.n_variables))
        self._restarts = restarts
        self._log: list[dict[str, Any]] = []  # the ended generations: {"restart", "draws", "told"}
        self._restart = 0
        self._optimizer = self._new_optimizer(0)
        self._new_generation()

    # -- the optimizer ------------------------------------------------------------------------------------------
    @property
    def population_size(self) -> int:
        """Draws per generation of the current run."""
        return self._initial_population * _POPULATION_GROWTH**self._restart

    @property
    def n_restarts(self) -> int:
        """Restarts so far."""
        return self._restart

    def _new_generation(self) -> None:
        self._draws: list[Any] = []  # the current generation's draws, as the optimizer returned them
        self._draw_trials: list[int] = []  # the trial of each draw, -1 for a draw that made none
        self._told: list[int] = []  # draws complete, in the order told
        self._draw_of: dict[int, int] = {}  # pending trial id -> its draw
        self._unclaimed: list[tuple[tuple[Any, ...], int]] = []  # (configuration key, draw) of the last ask

    def _new_optimizer(self, restart: int) -> Any:
        """Run ``restart``'s optimizer: the first at the cube's centre, each later one at a random mean."""
        layout = self._layout
        population = self._initial_population * _POPULATION_GROWTH**restart
        seed = derive_seed(self.seed, _OPTIMIZER_STREAM, restart) % 2**32  # numpy's RandomState takes 32 bits
        lattices = [np.asarray(lattice) for _, lattice in layout.ints]
        low = np.array([0.0] * len(layout.floats) + [lattice[0] for lattice in lattices])
        high = np.array([1.0] * len(layout.floats) + [lattice[-1] for lattice in lattices])
        if restart == 0:
            mean = (low + high) / 2
        else:
            mean = low + numpy_generator(self.seed, _MEAN_STREAM, restart).random(len(low)) * (high - low)
        if layout.floats_only:
            bounds = np.stack([low, high], axis=1)
            return cmaes.CMA(mean=mean, sigma=_SIGMA0, bounds=bounds, population_size=population, seed=seed)
        gaussian = layout.n_gaussian > 0
        return cmaes.CatCMAwM(
            x_space=[[0.0, 1.0]] * len(layout.floats) or None,
            z_space=[list(lattice) for _, lattice in layout.ints] or None,
            c_space=[width for _, width in layout.categoricals] or None,
            population_size=population,
            mean=mean if gaussian else None,
            sigma=_SIGMA0 if gaussian else None,
            cov=np.eye(layout.n_gaussian) if gaussian else None,
            seed=seed,
        )

    def _decode(self, draw: Any) -> Config:
        """The configuration of one draw of the optimizer."""
        layout, space = self._layout, self.space
        X = torch.zeros(1, space.dim, dtype=torch.float64)
        parts: tuple[Any, Any, Any] = (draw, None, None) if layout.floats_only else (draw.x, draw.z, draw.c)
        continuous, integer, categorical = (() if part is None else part for part in parts)
        for name, value in zip(layout.floats, continuous, strict=True):
            X[0, space.columns(name).start] = float(value)
        for (name, _), value in zip(layout.ints, integer, strict=True):
            X[0, space.columns(name).start] = float(value)
        for (name, width), row in zip(layout.categoricals, categorical, strict=True):
            X[0, space.columns(name).start + int(np.argmax(row[:width]))] = 1.0
        for name in layout.constants:
            X[0, space.columns(name).start] = 1.0
        return space.decode(X)[0]

    def _signed(self, trial: Trial) -> float:
        """The trial's value as the optimizer minimises it."""
        assert trial.value is not None
        return trial.value if self.direction == "minimize" else -trial.value

    def _end_generation(self) -> None:
        """Tell the optimizer the first ``population_size`` complete draws; restart if it stops."""
        solutions = [(self._draws[i], self._signed(self._trials[self._draw_trials[i]])) for i in self._told]
        with single_threaded_blas(), warnings.catch_warnings():
            # CatCMAwM's box penalty scales with the interquartile range of recent generations' values; while every
            # generation so far had half its values tied, it has none, numpy warns on the empty median, and the
            # generation is ranked in draw order (a random ranking, as the tie is) until values differ
            warnings.simplefilter("ignore", RuntimeWarning)
            self._optimizer.tell(solutions)
            stop = self._restarts and self._layout.n_gaussian > 0 and self._optimizer.should_stop()
        self._log.append({"restart": self._restart, "draws": self._draw_trials, "told": self._told})
        if stop:
            self._restart += 1
            self._optimizer = self._new_optimizer(self._restart)
        self._new_generation()

    # -- the searcher -------------------------------------------------------------------------------------------
    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        configs = []
        with single_threaded_blas():
            for _ in range(n):
                draw = self._optimizer.ask()
                config = self._decode(draw)
                self._unclaimed.append((self.space.key(config), len(self._draws)))
                self._draws.append(draw)
                self._draw_trials.append(-1)
                configs.append(config)
        return configs

    def _on_ask(self, trials: list[Trial]) -> None:
        for trial in trials:
            key = self._keys[trial.id]
            at = next(i for i, (k, _) in enumerate(self._unclaimed) if k == key)
            _, draw = self._unclaimed.pop(at)
            self._draw_trials[draw] = trial.id
            self._draw_of[trial.id] = draw
        self._unclaimed.clear()

    def _on_tell(self, trial: Trial) -> None:
        draw = self._draw_of.pop(trial.id, None)
        if draw is None or trial.value is None:  # failed; a pruned draw counts at the value it was stopped at
            return
        self._told.append(draw)
        if len(self._told) == self.population_size:
            self._end_generation()

    def _settings(self) -> dict[str, Any]:
        return {"population_size": self._initial_population, "restarts": self._restarts}

    def _state(self) -> dict[str, Any]:
        current = {"restart": self._restart, "draws": list(self._draw_trials), "told": list(self._told)}
        return {"generations": [*self._log, current]}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        generations = state.get("generations")
        if not isinstance(generations, list) or not generations:
            raise ValueError(f"malformed CMAES state: generations must be a non-empty list, got {generations!r}")
        replay = CMAES(
            self.space, population_size=self._initial_population, restarts=self._restarts, seed=self.seed,
            direction=self.direction,
        )  # fmt: skip
        replay._trials, replay._keys = self._trials, self._keys
        for number, generation in enumerate(generations):
            last = number == len(generations) - 1
            try:
                replay._replay(generation, last=last)
            except (KeyError, TypeError, IndexError, StopIteration) as err:
                raise ValueError(f"malformed CMAES state in generation {number}: {type(err).__name__}: {err}") from None
        self._log, self._restart, self._optimizer = replay._log, replay._restart, replay._optimizer
        self._draws, self._draw_trials, self._told = replay._draws, replay._draw_trials, replay._told
        self._unclaimed = []
        self._draw_of = {
            trial: draw for draw, trial in enumerate(self._draw_trials)
            if trial >= 0 and self._trials[trial].status is TrialStatus.PENDING
        }  # fmt: skip

    def _replay(self, generation: Mapping[str, Any], *, last: bool) -> None:
        """Redo one logged generation: its draws (checked against their trials), then its tell."""
        if generation["restart"] != self._restart:
            raise ValueError(
                f"the CMAES state restarts at run {generation['restart']}, its replay is at {self._restart}"
            )
        trials, told = [int(t) for t in generation["draws"]], [int(i) for i in generation["told"]]
        with single_threaded_blas():
            draws = [self._optimizer.ask() for _ in trials]
        for draw, trial in zip(draws, trials, strict=True):
            if trial >= 0 and self.space.key(self._decode(draw)) != self._keys[trial]:
                raise ValueError(f"the CMAES state does not replay: trial {trial} is not the draw recorded for it")
        complete = [i for i in told if self._trials[trials[i]].value is not None]
        if len(set(told)) != len(told) or complete != told or len(told) > self.population_size:
            raise ValueError(f"the CMAES state tells draws {told} that are not distinct complete trials")
        if (len(told) == self.population_size) == last:
            raise ValueError("the CMAES state's generations are not all full but the last")
        self._draws, self._draw_trials, self._told = draws, trials, told
        if not last:
            self._end_generation()
