"""The BO step: a :class:`Proposer` turns a history into the next points, from replaceable parts.

Glossary:
    n_rows  told rows: X (n_rows, D) encoded, y (n_rows,) minimised, +inf for a failed row.
    k       pending points (asked, not told): pending (k, D).
    n       points asked of one step;  D encoded dimension;  d named parameters.

One step, as :meth:`Proposer.propose` runs it:
    1. how many of the n points come from the space-filling design: all while fewer than ``n_initial`` rows are
       finite, otherwise as many as the exploration policy says (for a GP by default, one when the model has stalled
       on ties: :class:`~bohpo.acquisition.TieStagnation`);
    2. the rest come from the model: the batch rule fits the surrogate, builds fresh acquisitions from it with the
       acquisition factory and maximises them with the acquisition optimizer, one point at a time or jointly, on one
       torch thread (so that the points do not depend on the process's thread count: ``bohpo._threads``);
    3. if the model fails numerically (any of :data:`NUMERICAL_FAILURES`), a ``NumericalWarning`` says so and the
       design gives every point instead.

The parts, each a callable that can be replaced:
    design       (n, d, *, seed, start) -> U (n, d) in [0, 1), one column per parameter (:class:`SobolDesign`)
    surrogate    a GaussianSurrogate (default: :func:`default_surrogate`) or a DensityRatioSurrogate (TPE)
    acquisition  fitted surrogate -> acquisition module (default: LogExpectedImprovement)
    optimizer    (acquisition, model, *, space, exclude, incumbents, generator) -> x (D,): the acquisition optimizer
                 (:class:`~bohpo.acquisition.MultiStartOptimizer`, :class:`~bohpo.acquisition.SamplingOptimizer`)
    batch        step -> (n, D): :class:`~bohpo.acquisition.KrigingBeliever`, :class:`~bohpo.acquisition.ConstantLiar`,
                 :class:`~bohpo.acquisition.JointBatch`
    exploration  step -> how many points come from the design (:class:`~bohpo.acquisition.TieStagnation`,
                 :class:`ModelOnly`, :class:`RandomFraction`)

The design is a sequence in the parameters' own unit cube (as ``Space.from_unit`` reads it), not in the encoding,
so its points are configurations exactly; the proposer keeps its seed and position, and a searcher saves them. A
design that is :class:`~bohpo.surrogates.SpaceBound` is told the space (the Sobol design gives the categoricals its
leading dimensions).
"""

from __future__ import annotations

import contextlib
import inspect
import re
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Protocol, cast, runtime_checkable

import torch
from linear_operator.utils.errors import NanError, NotPSDError
from torch import Tensor, nn
from torch.quasirandom import SobolEngine

from bohpo._checks import check_count, unknown_name
from bohpo._threads import single_threaded_torch
from bohpo.acquisition.analytic import (
    ExpectedImprovement,
    LogExpectedImprovement,
    LogProbabilityOfImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
)
from bohpo.acquisition.batch import ConstantLiar, JointBatch, KrigingBeliever
from bohpo.acquisition.exploration import ModelOnly, RandomFraction, TieStagnation
from bohpo.acquisition.optimize import MultiStartOptimizer, SamplingOptimizer
from bohpo.errors import NumericalWarning
from bohpo.objectives import selection_order
from bohpo.seeding import SeedLike, seed_entropy
from bohpo.space import Categorical, Config, Space
from bohpo.surrogates.base import (
    DensityRatioSurrogate,
    GaussianSurrogate,
    SpaceBound,
    WarmStartable,
    is_density_ratio_surrogate,
    is_gaussian_surrogate,
    supports,
)
from bohpo.surrogates.gp import GP, CholeskyError
from bohpo.surrogates.outputs import IndependentOutputs

__all__ = [
    "ACQUISITIONS",
    "NUMERICAL_FAILURES",
    "AcquisitionFactory",
    "AcquisitionOptimizer",
    "BatchRule",
    "ExplorationPolicy",
    "InitialDesign",
    "ModelOnly",
    "Proposer",
    "RandomFraction",
    "SobolDesign",
    "Step",
    "default_optimizer",
    "default_surrogate",
    "describe",
]

AcquisitionFactory = Callable[[Any], nn.Module]
"""Builds a fresh acquisition module from a fitted surrogate: a class such as ``LogExpectedImprovement``, or
``functools.partial(UpperConfidenceBound, beta=4.0)``."""

ACQUISITIONS: dict[str, AcquisitionFactory] = {
    "logei": LogExpectedImprovement,
    "ei": ExpectedImprovement,
    "logpi": LogProbabilityOfImprovement,
    "pi": ProbabilityOfImprovement,
    "ucb": UpperConfidenceBound,
}
"""The acquisitions ``acquisition=`` also takes by name (UCB with its default beta of 2)."""

NUMERICAL_FAILURES = (CholeskyError, torch.linalg.LinAlgError, NotPSDError, NanError)
"""What a surrogate may raise when its linear algebra fails (bohpo's GP, torch, gpytorch's linear operators): the
step catches these, warns and proposes space-filling points."""

_N_INCUMBENTS = 5  # best observed points perturbed in the acquisition optimizer's pool
_N_INITIAL_DENSITY_RATIO = 10  # initial design before TPE takes over (Optuna's n_startup_trials)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # "<function f at 0x7f...>": differs between processes


# -- the parts' protocols -------------------------------------------------------------------------------------------


@runtime_checkable
class InitialDesign(Protocol):
    """A space-filling sequence: the first points of a study, and the fallback when the model fails."""

    def __call__(self, n: int, d: int, *, seed: int, start: int) -> Tensor:
        """(n, d) points ``start, ..., start + n - 1`` of the sequence seeded by ``seed``, in [0, 1)^d, one column
        per parameter (``Space.from_unit`` maps them to configurations)."""
        ...


@runtime_checkable
class AcquisitionOptimizer(Protocol):
    """Maximises one acquisition over the space (only that: it neither fits nor chooses batches)."""

    def __call__(
        self,
        acquisition: nn.Module,
        model: Any,
        *,
        space: Space,
        exclude: Tensor,
        incumbents: Tensor,
        generator: torch.Generator,
    ) -> Tensor:
        """(D,) a point on the space's lattice that is not a row of ``exclude`` (m, D) where the space has another.

        ``model`` is the fitted surrogate the acquisition was built on; ``incumbents`` (j, D) the best observed
        points, best first."""
        ...


@runtime_checkable
class BatchRule(Protocol):
    """Turns a step into its points: fits the surrogate and calls the acquisition optimizer as often as it needs."""

    def __call__(self, step: Step) -> Tensor:
        """(step.n, D) points on the lattice, distinct and none of them a told or pending point."""
        ...


@runtime_checkable
class ExplorationPolicy(Protocol):
    """Decides, once the initial design is done, how many of a step's points come from the space-filling design
    instead of the model."""

    def __call__(self, step: Step) -> int:
        """A count in [0, step.n]; draw any randomness from ``step.generator``."""
        ...


@dataclass(frozen=True, eq=False)
class Step:
    """One step as its parts see it: the parts, the history and what is asked.

    Attributes:
        space, surrogate, acquisition, optimizer: The proposer's parts.
        X: (n_rows, D) told rows, in the order told.
        y: (n_rows,) their values, minimised; +inf for a failed row. For a multi-output surrogate
            (:class:`~bohpo.surrogates.IndependentOutputs`), (n_rows, o): the m objectives, minimised, then the
            constraint values (feasible when <= 0); +inf across a failed row.
        pending: (k, D) points asked and not told.
        n: How many points are asked.
        generator: This step's randomness.
    """

    space: Space
    surrogate: GaussianSurrogate | DensityRatioSurrogate
    acquisition: AcquisitionFactory
    optimizer: AcquisitionOptimizer
    X: Tensor
    y: Tensor
    pending: Tensor
    n: int
    generator: torch.Generator

    @property
    def observed(self) -> tuple[Tensor, Tensor]:
        """The finite rows: X (n_obs, D) and y (n_obs,) (or (n_obs, o))."""
        finite = _finite_rows(self.y)
        return self.X[finite], self.y[finite]

    @property
    def exclude(self) -> Tensor:
        """(n_rows + k, D) points never to propose again: told (failed too: the model knows nothing of them, so a
        failed configuration would keep winning) and pending."""
        return torch.cat([self.X, self.pending])

    @property
    def incumbents(self) -> Tensor:
        """(j, D) the best observed points, best first, ties in the order observed (j <= 5); with several outputs,
        feasible before infeasible, then by Pareto front and crowding (:func:`~bohpo.objectives.selection_order`)."""
        X, y = self.observed
        if y.ndim == 1:
            return X[y.argsort(stable=True)[:_N_INCUMBENTS]]
        m = self.surrogate.n_objectives if isinstance(self.surrogate, IndependentOutputs) else y.shape[1]
        return X[selection_order(y[:, :m], y[:, m:])[:_N_INCUMBENTS]]


# -- default parts --------------------------------------------------------------------------------------------------


class SobolDesign:
    """Scrambled Sobol points (Owen scrambling, torch's ``SobolEngine``), seeded; point ``start`` onwards is reached
    by fast-forwarding, so a resumed study continues the sequence exactly.

    Bound to a space (:meth:`bind`; a :class:`Proposer` binds its design), the categorical parameters take the
    sequence's leading dimensions and the other parameters the rest. Every dimension of a Sobol sequence is evenly
    spread on its own, but only the leading ones are evenly spread *together*: three boolean flags in dimensions
    3-5 of a 6-D sequence take only 4 of their 8 combinations in the first 8 points (every seed), in dimensions 0-2
    all 8. A combination of choices never tried is one the model knows nothing about, while a numeric coordinate is
    informed by its neighbours, so the choices get the dimensions that cover their combinations.
    """

    def __init__(self) -> None:
        self._order: tuple[int, ...] | None = None

    def __repr__(self) -> str:
        return "SobolDesign()"

    def bind(self, space: Space) -> SobolDesign:
        """Give ``space``'s categorical parameters the leading dimensions (in the space's order), then the rest."""
        kinds = [isinstance(param, Categorical) for _, param in space.items()]
        self._order = tuple(j for j, c in enumerate(kinds) if c) + tuple(j for j, c in enumerate(kinds) if not c)
        return self

    def __call__(self, n: int, d: int, *, seed: int, start: int) -> Tensor:
        """(n, d) float64 points of [0, 1)^d, column j for parameter j."""
        if self._order is not None and len(self._order) != d:
            raise ValueError(f"this design is bound to a space of {len(self._order)} parameters, asked for d={d}")
        engine = SobolEngine(d, scramble=True, seed=seed)
        if start:
            engine.fast_forward(start)
        U = engine.draw(n, dtype=torch.float64)
        if self._order is None:
            return U
        out = torch.empty_like(U)
        out[:, list(self._order)] = U  # the sequence's dimension k becomes the column of parameter order[k]
        return out


def default_surrogate() -> GP:
    """The GP that a :class:`Proposer` uses unless given one: Yeo–Johnson output transform, no input warping.

    Both HEBO options were measured (``benchmarks/results/transforms.md``: 7 problems x 10 seeds, 60 evaluations,
    mean normalised regret): plain GP 0.274, Yeo–Johnson 0.179, Kumaraswamy warping 0.288, both 0.233. The transform
    helps most where values span orders of magnitude (Rosenbrock, the mixed Branin's category offsets) and costs
    nothing measurable; warping helped only on Rosenbrock and makes each fit a few times slower.
    """
    return GP(output_transform="yeo-johnson")


def default_optimizer(surrogate: object, *, n_raw: int | None = None, n_restarts: int = 10) -> AcquisitionOptimizer:
    """The acquisition optimizer for ``surrogate``'s kind: a :class:`~bohpo.acquisition.MultiStartOptimizer` for a
    Gaussian surrogate (pool ``n_raw``, default 1024), a :class:`~bohpo.acquisition.SamplingOptimizer` for a
    density-ratio one (``n_raw`` draws from l(x), default 24)."""
    if surrogate is None or is_gaussian_surrogate(surrogate):
        return MultiStartOptimizer(n_raw=1024 if n_raw is None else n_raw, n_restarts=n_restarts)
    return SamplingOptimizer(n_candidates=24 if n_raw is None else n_raw)


# -- the proposer ---------------------------------------------------------------------------------------------------


class Proposer:
    """The BO step: turns told rows, their values and the pending points into the next points.

    Every part can be replaced (see the module docstring for their signatures); the defaults follow the surrogate.
    A Gaussian surrogate is fitted on the finite rows and batches are chosen by a kriging believer; a density-ratio
    one is fitted on every row (+inf rows in its bad group) and batches are chosen by a constant liar. Told and
    pending points are never proposed again. A proposer holds state (its design's seed and position, the
    surrogate's warm start) and belongs to one searcher, which seeds it (:meth:`reseed`) and saves it
    (:meth:`state`).

    Args:
        space: The search space.
        surrogate: A GaussianSurrogate (default :func:`default_surrogate`) or a DensityRatioSurrogate such as
            :class:`~bohpo.surrogates.TPE` (bound to the space if it is a :class:`~bohpo.surrogates.SpaceBound`).
        acquisition: Builds an acquisition module from the fitted surrogate (default ``LogExpectedImprovement``), or
            the name of one (``"logei"``, ``"ei"``, ``"logpi"``, ``"pi"``, ``"ucb"``; :data:`ACQUISITIONS`).
        optimizer: The acquisition optimizer (default :func:`default_optimizer` of the surrogate).
        batch: The batch rule (default :class:`~bohpo.acquisition.KrigingBeliever` for a Gaussian surrogate,
            :class:`~bohpo.acquisition.ConstantLiar` for a density-ratio one).
        design: The initial design (default :class:`SobolDesign`; bound to the space if it is a
            :class:`~bohpo.surrogates.SpaceBound`, as the Sobol design is).
        exploration: The exploration policy (default: :class:`~bohpo.acquisition.TieStagnation` for a Gaussian
            surrogate, :class:`ModelOnly` for a density-ratio one).
        n_initial: Finite rows needed before the model is used (default: twice the number of parameters, clipped
            to [5, 10]; 10 for a density-ratio surrogate, whose densities need a few points per group).
        seed: Seeds the design (a searcher reseeds it from its own seed).

    Example:
        >>> from bohpo.space import Float, Space
        >>> space = Space({"x": Float(-1.0, 1.0)})
        >>> proposer = Proposer(space, n_initial=3, optimizer=MultiStartOptimizer(n_raw=64, n_restarts=2), seed=0)
        >>> generator = torch.Generator().manual_seed(0)
        >>> first = proposer.propose(torch.zeros(0, 1), torch.zeros(0), n=3, generator=generator)  # the design
        >>> X = space.encode(first)
        >>> y = torch.tensor([c["x"] ** 2 for c in first], dtype=torch.float64)
        >>> len(proposer.propose(X, y, n=2, generator=generator))  # the model, a batch of two
        2
    """

    def __init__(
        self,
        space: Space,
        *,
        surrogate: GaussianSurrogate | DensityRatioSurrogate | None = None,
        acquisition: AcquisitionFactory | str = LogExpectedImprovement,
        optimizer: AcquisitionOptimizer | None = None,
        batch: BatchRule | None = None,
        design: InitialDesign | None = None,
        exploration: ExplorationPolicy | None = None,
        n_initial: int | None = None,
        seed: SeedLike = None,
    ) -> None:
        if not isinstance(space, Space):
            raise TypeError(f"space must be a bohpo Space, got {type(space).__name__}")
        acquisition = acquisition_by_name(acquisition)
        gaussian = _check_parts(surrogate, acquisition, optimizer=optimizer, batch=batch, parts=(design, exploration))
        default_initial = min(10, max(5, 2 * len(space))) if gaussian else _N_INITIAL_DENSITY_RATIO
        self.n_initial = default_initial if n_initial is None else check_count(n_initial, "n_initial", minimum=1)
        self.seed, self.n_design = seed_entropy(seed), 0
        if surrogate is not None and _owner_of(surrogate) is not None:
            raise ValueError(
                f"this {type(surrogate).__name__} object already serves another proposer (another searcher): a "
                "surrogate keeps its fit and warm start, so two searchers sharing one would overwrite each other's; "
                "give each its own"
            )
        chosen = default_surrogate() if surrogate is None else surrogate
        if supports(chosen, SpaceBound):  # last: a refused proposer leaves the surrogate as it was
            cast(SpaceBound, chosen).bind(space)
        self.space = space
        self.surrogate: GaussianSurrogate | DensityRatioSurrogate = chosen
        self.acquisition = acquisition
        self.optimizer: AcquisitionOptimizer = default_optimizer(surrogate) if optimizer is None else optimizer
        self.batch: BatchRule = (KrigingBeliever() if gaussian else ConstantLiar()) if batch is None else batch
        self.design: InitialDesign = SobolDesign() if design is None else design
        if supports(self.design, SpaceBound):
            cast(SpaceBound, self.design).bind(space)
        default_exploration = TieStagnation() if gaussian else ModelOnly()
        self.exploration: ExplorationPolicy = default_exploration if exploration is None else exploration
        with contextlib.suppress(TypeError):  # a surrogate that cannot be weakly referenced or hashed is not tracked
            _SURROGATE_OWNERS[self.surrogate] = weakref.ref(self)
        self._driver: weakref.ref[Any] | None = None  # the searcher that drives this proposer (see claim)

    def claim(self, searcher: object) -> None:
        """Record that ``searcher`` drives this proposer, before it changes anything in it; a second live searcher
        is refused: two searchers on one proposer would mix their designs, fits and warm starts."""
        current = None if self._driver is None else self._driver()
        if current is not None and current is not searcher:
            raise ValueError("this proposer already drives another searcher: give each searcher its own proposer")
        self._driver = weakref.ref(searcher)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_driver"] = None  # a weak reference does not pickle; a copy is free to be claimed
        return state

    def __repr__(self) -> str:
        return (
            f"Proposer(surrogate={self.surrogate!r}, acquisition={self.acquisition!r}, optimizer={self.optimizer!r}, "
            f"batch={self.batch!r}, design={self.design!r}, exploration={self.exploration!r}, "
            f"n_initial={self.n_initial})"
        )

    # -- proposing ----------------------------------------------------------------------------------------------
    def propose(
        self, X: Tensor, y: Tensor, *, pending: Tensor | None = None, n: int = 1, generator: torch.Generator
    ) -> list[Config]:
        """The next ``n`` configurations: from the design or the model, as the module docstring says.

        Args:
            X: (n_rows, D) told rows, encoded, in the order told.
            y: (n_rows,) their values, minimised; +inf for a failed row.
            pending: (k, D) points asked and not told (default none).
            n: How many points, >= 1.
            generator: The randomness of this step (CPU generator).

        Returns:
            ``n`` configurations: the model's first (decoded from the lattice), then the design's.
        """
        step = self._step(X, y, pending, n, generator)
        n_design = self._n_from_design(step)
        configs: list[Config] = []
        if n_design < n:
            try:
                configs = self.space.decode(self._from_model(step, n - n_design))
            except NUMERICAL_FAILURES as err:
                warnings.warn(
                    f"the model failed ({err}); proposing space-filling points instead", NumericalWarning, stacklevel=2
                )
                configs, n_design = [], n
        return configs + self.design_configs(n_design)

    def n_from_design(
        self, X: Tensor, y: Tensor, *, pending: Tensor | None = None, n: int = 1, generator: torch.Generator
    ) -> int:
        """How many of ``n`` points the design would give: all of them while fewer than ``n_initial`` values are
        finite, otherwise the exploration policy's count (which may draw from ``generator``). Arguments as for
        :meth:`propose`."""
        return self._n_from_design(self._step(X, y, pending, n, generator))

    def propose_by_model(
        self, X: Tensor, y: Tensor, *, pending: Tensor | None = None, n: int = 1, generator: torch.Generator
    ) -> Tensor:
        """(n, D) points from the model alone (the batch rule), whatever ``n_initial`` and the policy say.
        Arguments as for :meth:`propose`; at least one value must be finite.

        Raises:
            Any of :data:`NUMERICAL_FAILURES` when the model fails.
        """
        step = self._step(X, y, pending, n, generator)
        if not bool(_finite_rows(step.y).any()):
            raise ValueError("propose_by_model needs at least one finite value in y (a finite row)")
        return self._from_model(step, n)

    def design_configs(self, n: int) -> list[Config]:
        """The design's next ``n`` configurations (the position moves on by ``n``)."""
        if check_count(n, "n") == 0:
            return []
        U = self.design(n, len(self.space), seed=self.seed, start=self.n_design)
        if not isinstance(U, Tensor) or U.shape != (n, len(self.space)):
            raise ValueError(f"the design must return a ({n}, {len(self.space)}) tensor, got {U!r}")
        self.n_design += n
        return self.space.from_unit(U)

    def _n_from_design(self, step: Step) -> int:
        if int(_finite_rows(step.y).sum()) < self.n_initial:
            return step.n
        count = self.exploration(step)
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= step.n:
            raise ValueError(
                f"the exploration policy {self.exploration!r} must return an int in [0, {step.n}], got {count!r}"
            )
        return count

    def _from_model(self, step: Step, n: int) -> Tensor:
        """(n, D) from the batch rule, on the lattice, computed on one torch thread (the same points whatever the
        process's thread count: ``bohpo._threads``)."""
        with single_threaded_torch():
            points = self.batch(step if n == step.n else replace(step, n=n))
        if not isinstance(points, Tensor) or points.shape != (n, self.space.dim):
            raise ValueError(f"the batch rule must return a ({n}, {self.space.dim}) tensor, got {points!r}")
        return points

    def _step(self, X: Tensor, y: Tensor, pending: Tensor | None, n: int, generator: torch.Generator) -> Step:
        D = self.space.dim
        if not isinstance(X, Tensor) or X.ndim != 2 or X.shape[-1] != D:
            raise ValueError(f"X must be a tensor of shape (n_rows, {D}), got {getattr(X, 'shape', X)!r}")
        outputs = self.surrogate.n_outputs if isinstance(self.surrogate, IndependentOutputs) else None
        shape = X.shape[:1] if outputs is None else (X.shape[0], outputs)
        if not isinstance(y, Tensor) or y.shape != shape:
            raise ValueError(f"y must be a tensor of shape {tuple(shape)}, got {getattr(y, 'shape', y)!r}")
        y = y.to(dtype=X.dtype, device=X.device)
        if bool((torch.isnan(y) | (y == -torch.inf)).any()):
            raise ValueError("y must hold finite values, or +inf for a failed row; it has NaN or -inf")
        if y.ndim == 2 and bool((torch.isinf(y).any(-1) & ~torch.isinf(y).all(-1)).any()):
            raise ValueError("a row of y is either finite or +inf throughout (a failed row); one is partly +inf")
        pending = X.new_zeros(0, D) if pending is None else pending.to(dtype=X.dtype, device=X.device)
        if pending.ndim != 2 or pending.shape[-1] != D:
            raise ValueError(f"pending must be a tensor of shape (k, {D}), got {tuple(pending.shape)}")
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        return Step(
            self.space, self.surrogate, self.acquisition, self.optimizer, X, y, pending,
            check_count(n, "n", minimum=1), generator,
        )  # fmt: skip

    # -- state --------------------------------------------------------------------------------------------------
    def reseed(self, seed: SeedLike) -> None:
        """Start the design's sequence again, from ``seed``: a searcher hands its proposer a seed of its own."""
        self.seed, self.n_design = seed_entropy(seed), 0

    def settings(self) -> dict[str, str]:
        """What a saved history must agree on with the proposer that continues it: each part described (see
        :func:`describe`) and the design's size."""
        parts = {
            "surrogate": self.surrogate, "acquisition": self.acquisition, "optimizer": self.optimizer,
            "batch": self.batch, "design": self.design, "exploration": self.exploration,
        }  # fmt: skip
        return {**{name: describe(part) for name, part in parts.items()}, "n_initial": str(self.n_initial)}

    def state(self) -> dict[str, Any]:
        """JSON-safe state: the design's position and the surrogate's warm start (when it is
        :class:`~bohpo.surrogates.WarmStartable`)."""
        warm = cast(WarmStartable, self.surrogate).warm_state() if supports(self.surrogate, WarmStartable) else None
        return {"n_design": self.n_design, "surrogate": warm}

    def load_state(self, state: Mapping[str, Any], *, seed: SeedLike = None) -> None:
        """Restore what :meth:`state` saved (and the design's ``seed``, when given); nothing changes if it is
        malformed."""
        n_design = check_count(state.get("n_design"), "state['n_design']")
        new_seed = None if seed is None else seed_entropy(seed)
        if supports(self.surrogate, WarmStartable):
            cast(WarmStartable, self.surrogate).load_warm_state(state.get("surrogate"))
        if new_seed is not None:
            self.seed = new_seed
        self.n_design = n_design


def _finite_rows(y: Tensor) -> Tensor:
    """(n_rows,) bool: the rows of y (n_rows,) or (n_rows, o) that are finite (the others failed)."""
    finite = torch.isfinite(y)
    return finite if y.ndim == 1 else finite.all(-1)


_SURROGATE_OWNERS: weakref.WeakKeyDictionary[Any, weakref.ref[Proposer]] = weakref.WeakKeyDictionary()


def _owner_of(surrogate: object) -> Proposer | None:
    """The live proposer that ``surrogate`` serves, if any."""
    try:
        owner = _SURROGATE_OWNERS.get(surrogate)
    except TypeError:
        return None
    return None if owner is None else owner()


def acquisition_by_name(acquisition: AcquisitionFactory | str) -> AcquisitionFactory:
    """``acquisition`` itself, or the factory of :data:`ACQUISITIONS` it names (a ValueError for an unknown name,
    with the closest known ones)."""
    if not isinstance(acquisition, str):
        return acquisition
    key = acquisition.lower()
    if key not in ACQUISITIONS:
        raise unknown_name("acquisition", acquisition, ACQUISITIONS)
    return ACQUISITIONS[key]


def describe(part: object) -> str:
    """A description of a proposer's part that is the same in every process: a class or function by its qualified
    name, a ``functools.partial`` by its function and arguments, anything else by its ``repr`` with memory
    addresses taken out (a part without a ``repr`` of its own is described by its class only)."""
    if isinstance(part, partial):
        arguments = [describe(a) for a in part.args] + [f"{k}={describe(v)}" for k, v in part.keywords.items()]
        return f"{describe(part.func)}({', '.join(arguments)})"
    if isinstance(part, type) or inspect.isroutine(part):
        return getattr(part, "__qualname__", repr(part))
    if isinstance(part, (str, int, float, bool, type(None))):
        return repr(part)
    return _ADDRESS.sub("", repr(part))


def _check_parts(
    surrogate: object,
    acquisition: object,
    *,
    optimizer: object,
    batch: object,
    parts: tuple[object, object],
) -> bool:
    """Refuse parts that cannot work together, before anything changes; returns whether the surrogate is Gaussian."""
    gaussian = surrogate is None or is_gaussian_surrogate(surrogate)
    name = type(surrogate).__name__
    if not gaussian and not is_density_ratio_surrogate(surrogate):
        raise TypeError(
            "surrogate must be a GaussianSurrogate (with fit, predict and best_y, such as bohpo's GP) or a "
            "DensityRatioSurrogate (with fit, log_densities, sample_good, good_fraction and improvement_scale, "
            f"such as bohpo's TPE), got {name}"
        )
    if not callable(acquisition):
        raise TypeError(f"acquisition must be a class or callable that builds a module, got {acquisition!r}")
    for label, part in (("optimizer", optimizer), ("batch", batch), ("design", parts[0]), ("exploration", parts[1])):
        if part is not None and not callable(part):
            raise TypeError(f"{label} must be callable, got {part!r}")
    if gaussian:
        if isinstance(batch, ConstantLiar) or isinstance(optimizer, SamplingOptimizer):
            raise TypeError(f"{type(batch if isinstance(batch, ConstantLiar) else optimizer).__name__} needs a "
                            "DensityRatioSurrogate (such as TPE); use KrigingBeliever or JointBatch, and "
                            "MultiStartOptimizer, with a Gaussian surrogate")  # fmt: skip
        plain_gp = surrogate is None or (isinstance(surrogate, GP) and surrogate.input_warping is False)
        if isinstance(batch, JointBatch) and not plain_gp:
            raise TypeError(f"JointBatch needs bohpo's GP without input warping (its BoTorch model), got {name}")
        return True
    if isinstance(batch, (KrigingBeliever, JointBatch)):
        raise TypeError(f"{type(batch).__name__} needs a GaussianSurrogate; {name} gives densities, not a "
                        "posterior: use ConstantLiar")  # fmt: skip
    _check_density_ratio_pairing(cast(AcquisitionFactory, acquisition), name)
    return False


def _check_density_ratio_pairing(acquisition: AcquisitionFactory, surrogate_name: str) -> None:
    """Refuse, before any trial, an acquisition that needs a posterior spread (UCB, also inside a ``partial``) for a
    density-ratio surrogate; the acquisition itself would refuse it only at the first model-based step."""
    factory = acquisition.func if isinstance(acquisition, partial) else acquisition
    if factory is UpperConfidenceBound:
        raise TypeError(
            f"UpperConfidenceBound needs a GaussianSurrogate (a posterior mean and variance, such as GP); "
            f"{surrogate_name} models the densities of good and bad points, which give no confidence bound. "
            "Use ExpectedImprovement or ProbabilityOfImprovement (or their Log forms) with it."
        )
