"""Batch rules: how the BO step (:class:`~bohpo.acquisition.Proposer`) turns one fitted model into ``n`` points.

Glossary:
    n_rows  told rows (failed ones valued +inf);  k pending points;  q the points asked;  D encoded dimension.
    Step    what a rule is given: the parts (space, surrogate, acquisition factory, acquisition optimizer), the rows
            X (n_rows, D), y (n_rows,), pending (k, D), q = ``step.n`` and the generator.

A rule fits the surrogate itself (a constant liar refits for every point) and returns (q, D) points on the space's
lattice, none of them a told, pending or earlier chosen point where the space leaves any other.
    - :class:`KrigingBeliever` (Gaussian surrogates): the posterior conditioned on the pending points and on each
      point chosen, at its posterior mean; one point at a time.
    - :class:`ConstantLiar` (density-ratio surrogates): pending and chosen points join the bad group as worse than
      any value; one refit per point.
    - :class:`JointBatch` (bohpo's GP): BoTorch's ``qLogExpectedImprovement`` maximised over all q points at once.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, cast

import torch
from torch import Tensor

from bohpo._checks import check_count
from bohpo.seeding import seed_entropy
from bohpo.surrogates.base import ConditionableSurrogate, DensityRatioSurrogate, GaussianSurrogate, supports
from bohpo.surrogates.gp import GP

if TYPE_CHECKING:
    from bohpo.acquisition.propose import Step

__all__ = ["ConstantLiar", "JointBatch", "KrigingBeliever"]

_SAME = 1e-9  # encoded points closer than this (max-abs) are the same point


class KrigingBeliever:
    """Points chosen one by one, the Gaussian posterior conditioned on each at its mean (Ginsbourger et al. 2010).

    The surrogate is fitted on the finite rows; pending points are believed at their posterior mean before the
    first point, so an asynchronous ask spreads away from them. A surrogate that is a
    :class:`~bohpo.surrogates.ConditionableSurrogate` conditions itself (same hyperparameters, one factorisation);
    any other Gaussian surrogate is refitted with the believed points as data.
    """

    def __repr__(self) -> str:
        return "KrigingBeliever()"

    def __call__(self, step: Step) -> Tensor:
        """(step.n, D) points."""
        X, y = step.observed
        with torch.inference_mode(False), torch.enable_grad():  # the optimizer differentiates through the model
            step.surrogate.fit(X, y)
            believer = _Believer(cast(GaussianSurrogate, step.surrogate), X, y)
            if step.pending.shape[0]:
                believer.observe_mean(step.pending)
            return _believed_points(step, believer, step.exclude, step.n)


class ConstantLiar:
    """Points chosen one by one, each refitting the surrogate with the pending and chosen points as worse than any
    value (the liar): a density-ratio surrogate puts them in its bad group, so the next point moves away.

    The rows are the told ones in the order told (failed ones +inf), then the pending ones, then the chosen ones.
    """

    def __repr__(self) -> str:
        return "ConstantLiar()"

    def __call__(self, step: Step) -> Tensor:
        """(step.n, D) points."""
        surrogate = cast(DensityRatioSurrogate, step.surrogate)
        X = torch.cat([step.X, step.pending])  # (n_rows + k, D)
        y = torch.cat([step.y, step.y.new_full((step.pending.shape[0],), torch.inf)])
        incumbents = step.incumbents
        chosen: list[Tensor] = []
        for _ in range(step.n):
            surrogate.fit(X, y)
            x = step.optimizer(
                step.acquisition(surrogate), surrogate, space=step.space, exclude=X, incumbents=incumbents,
                generator=step.generator,
            )  # fmt: skip
            chosen.append(x)
            X, y = torch.cat([X, x.unsqueeze(0)]), torch.cat([y, y.new_tensor([torch.inf])])
        return torch.stack(chosen)


class JointBatch:
    """The q points that jointly maximise BoTorch's ``qLogExpectedImprovement`` on the fitted GP's BoTorch model.

    Where a kriging believer chooses one point at a time, this rule scores the batch as a whole: the expected
    improvement of the best of the q points, by quasi-Monte Carlo over their joint posterior (Balandat et al.
    2020), pending points entering as BoTorch's ``X_pending``. It is maximised by ``optimize_acqf`` over the unit
    cube, then the q points are snapped onto the space's lattice.

    On mixed spaces the joint search is a relaxation: ints and one-hot categorical columns move continuously and
    are rounded (the int to its nearest value, a categorical block to its largest entry) only afterwards, so the
    batch is optimal for the relaxed problem, not for the lattice. A point that snapping makes equal to a told,
    pending or earlier point of the batch is replaced by a kriging-believer point (the acquisition of the
    Proposer, maximised by its acquisition optimizer on the lattice, the GP conditioned on the batch so far), so
    the q points are always distinct and new. On spaces made mostly of categoricals, prefer :class:`KrigingBeliever`.

    BoTorch draws its initial conditions from torch's global generator: each call seeds it from the step's
    generator inside ``torch.random.fork_rng``, so the caller's global state is given back and a seed gives the same
    batch. Needs bohpo's :class:`~bohpo.surrogates.GP` without input warping (the warp is not part of its BoTorch
    model).

    Args:
        n_restarts: Restarts of ``optimize_acqf``, >= 1.
        n_raw: Its raw samples for the initial conditions, >= 1.
        mc_samples: Quasi-Monte Carlo samples of the joint posterior, >= 1 (BoTorch's default, 512).
    """

    def __init__(self, *, n_restarts: int = 10, n_raw: int = 512, mc_samples: int = 512) -> None:
        self.n_restarts = check_count(n_restarts, "n_restarts", minimum=1)
        self.n_raw = check_count(n_raw, "n_raw", minimum=1)
        self.mc_samples = check_count(mc_samples, "mc_samples", minimum=1)

    def __repr__(self) -> str:
        return f"JointBatch(n_restarts={self.n_restarts}, n_raw={self.n_raw}, mc_samples={self.mc_samples})"

    def __call__(self, step: Step) -> Tensor:
        """(step.n, D) distinct points on the lattice, none of them told or pending."""
        X, y = step.observed
        gp = step.surrogate
        assert isinstance(gp, GP)  # the Proposer refuses any other surrogate with this rule
        seed = seed_entropy(step.generator) % 2**31
        with torch.inference_mode(False), torch.enable_grad():
            gp.fit(X, y)
            with warnings.catch_warnings(), torch.random.fork_rng():
                torch.manual_seed(seed)
                warnings.simplefilter("ignore")  # BoTorch's advice on input scaling
                candidates = self._maximise(gp, step, seed)
            return self._repair(step.space.snap(candidates), step, gp, X, y)

    def _maximise(self, gp: GP, step: Step, seed: int) -> Tensor:
        """(q, D) the relaxed maximiser of qLogEI over the unit cube."""
        from botorch.acquisition.logei import qLogExpectedImprovement
        from botorch.acquisition.objective import GenericMCObjective
        from botorch.optim import optimize_acqf
        from botorch.sampling import SobolQMCNormalSampler

        model = gp.model  # fitted on the standardised values z, minimised
        acquisition = qLogExpectedImprovement(
            model,
            best_f=-model.train_targets.min(),
            sampler=SobolQMCNormalSampler(torch.Size([self.mc_samples]), seed=seed),
            objective=GenericMCObjective(_negated),  # BoTorch maximises -z
            X_pending=step.pending if step.pending.shape[0] else None,
        )
        D = step.space.dim
        bounds = torch.stack([torch.zeros(D), torch.ones(D)]).to(step.X)
        candidates, _ = optimize_acqf(
            acquisition, bounds=bounds, q=step.n, num_restarts=self.n_restarts, raw_samples=self.n_raw,
            options={"seed": seed},
        )  # fmt: skip
        return candidates.detach()

    def _repair(self, batch: Tensor, step: Step, gp: GP, X: Tensor, y: Tensor) -> Tensor:
        """The snapped batch (q, D) with each point that repeats a told, pending or earlier one replaced by a
        kriging-believer point."""
        taken, kept = step.exclude, []
        for x in batch:
            if not _is_among(x, taken):
                kept.append(x)
                taken = torch.cat([taken, x.unsqueeze(0)])
        kept_X = torch.stack(kept) if kept else batch[:0]  # (q_kept, D)
        if len(kept) == step.n:
            return kept_X
        believer = _Believer(gp, X, y)
        believed = torch.cat([step.pending, kept_X])
        if believed.shape[0]:
            believer.observe_mean(believed)
        return torch.cat([kept_X, _believed_points(step, believer, taken, step.n - len(kept))])


def _believed_points(step: Step, believer: _Believer, exclude: Tensor, n: int) -> Tensor:
    """(n, D) points chosen one by one by the step's acquisition and optimizer on the believer's model, each then
    believed at its mean and excluded."""
    incumbents = step.incumbents
    chosen = []
    for i in range(n):
        model = believer.model
        x = step.optimizer(
            step.acquisition(model), model, space=step.space, exclude=exclude, incumbents=incumbents,
            generator=step.generator,
        )  # fmt: skip
        chosen.append(x)
        exclude = torch.cat([exclude, x.unsqueeze(0)])
        if i + 1 < n:
            believer.observe_mean(x.unsqueeze(0))
    return torch.stack(chosen)


def _negated(samples: Tensor, X: Tensor | None = None) -> Tensor:
    """(..., q) -z of BoTorch's samples (..., q, 1) of the GP's output z (minimised)."""
    return -samples[..., 0]


class _Believer:
    """A fitted Gaussian surrogate and the fantasies it has been told: ``observe_mean`` adds points valued at the
    current posterior mean. A :class:`~bohpo.surrogates.ConditionableSurrogate` does it itself; any other is refitted
    on the observations plus the fantasies."""

    def __init__(self, model: GaussianSurrogate, X: Tensor, y: Tensor) -> None:
        self.model, self._X, self._y = model, X, y

    def observe_mean(self, X_new: Tensor) -> None:
        """X_new: (k, D) encoded points."""
        if supports(self.model, ConditionableSurrogate):
            self.model = cast(ConditionableSurrogate, self.model).condition_on_mean(X_new)
            return
        with torch.no_grad():
            mean, _ = self.model.predict(X_new)
        self._X, self._y = torch.cat([self._X, X_new]), torch.cat([self._y, mean.detach()])
        self.model.fit(self._X, self._y)


def _is_among(x: Tensor, X: Tensor) -> bool:
    """Whether x (D,) equals (max-abs, within a few units of its dtype's resolution) a row of X (m, D)."""
    if X.shape[0] == 0:
        return False
    same = max(_SAME, 8 * torch.finfo(X.dtype).eps)
    return bool(((X - x).abs().amax(-1) < same).any())
