"""Expected hypervolume improvement in closed form, in log space, with outcome constraints.

Glossary:
    b  candidates;  m objectives (minimised);  k constraints (feasible when <= 0);  o = m + k outputs.
    cells  (c, m) lower and upper corners a, b of the boxes that partition the region the observed front does not
           dominate, below the reference point (a may be -inf);  c boxes.
    mean, std  (b, o) posterior of each output (independent outputs).

With independent Gaussian outputs the expected hypervolume improvement is exact and needs no sampling (Emmerich et
al. 2006; Yang et al. 2019): the improvement of a point y is the volume it dominates in the boxes, and in one box
[a, b] that volume is the product over objectives of (b_j - max(y_j, a_j))^+, whose expectation factorises:

    E[(b - max(Y, a))^+] = std (h((b - mean) / std) - h((a - mean) / std)),   h(z) = phi(z) + z Phi(z),

so EHVI(x) = sum over boxes of the product of these terms. bohpo works with its logarithm (as LogEI; Ament et al.
2023): log EHVI = logsumexp over boxes of the sum over objectives of log std + log(h(beta) - h(alpha)), finite and
with useful gradients where EHVI itself underflows. With one objective the single box is (-inf, best) and EHVI is EI.

Outcome constraints multiply by the probability that every constraint holds (Gardner et al. 2014; Gelbart et al.
2014): + sum log Phi((0 - mean_i) / std_i) on each constraint's model scale. The observed front counts feasible
points only; with none feasible yet, the box is everything below the reference point, so the acquisition seeks
feasibility first.

The boxes come from BoTorch's ``FastNondominatedPartitioning`` (Lacour et al. 2017). The reference point bounds the
improvement where the front does not: by default the feasible front's worst value in each objective plus a tenth of
the observed range (BoTorch's ``infer_reference_point`` rule). The worst feasible observed value instead (Optuna's GP
takes the worst of every observed value) puts the reference far out when early points are bad, and then the
improvements beside the front's edges, where the models are unsure, outweigh the rest: on DTLZ2 the refined asks
went to corners of its distance variables. Measured with refined asks (``benchmarks/results/multi_objective/
reference_point_refined.md``, design seeds 100-104; ``front_validation.md``, seeds 0-9 of eight problems): the
front's rule has mean normalised hypervolume regret 0.246 against 0.316 on the design seeds, and on the validation
seeds is better on six problems (DTLZ2 0.045 against 0.237), level on two. (``reference_point.md``, which once chose
the other rule, was made while the gradient below was NaN and no ask was refined.)

The values are on the models' scales (:meth:`~bohpo.surrogates.IndependentOutputs.predict`), so the hypervolume is
measured there: several objectives are modelled standardised only (linear in their units), as
:class:`~bohpo.surrogates.IndependentOutputs` explains.

Where written by hand: BoTorch's analytic ``ExpectedHypervolumeImprovement`` is the same sum in linear space (it
underflows far from the front), and its ``qLogExpectedHypervolumeImprovement`` samples the posterior; neither takes
bohpo's GP, whose ``predict`` is the cheap part of an ask. ``benchmarks/multi_objective.py`` measures the result.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from bohpo.acquisition.analytic import _log1mexp, log_h
from bohpo.objectives import hypervolume_cells, pareto_mask, reference_point
from bohpo.surrogates.outputs import IndependentOutputs

__all__ = ["LogExpectedHypervolumeImprovement", "hypervolume_cells", "log_expected_hypervolume_improvement"]

_MIN_STD = 1e-12
_REFERENCES = ("observed", "front")


def log_expected_hypervolume_improvement(mean: Tensor, std: Tensor, lower: Tensor, upper: Tensor) -> Tensor:
    """log EHVI of independent Gaussian beliefs mean, std (b, m) over the boxes lower, upper (c, m): (b,)."""
    beta = (upper - mean.unsqueeze(-2)) / std.unsqueeze(-2)  # (b, c, m), finite
    finite = torch.isfinite(lower)
    bounded = finite.expand_as(beta)
    # a box unbounded below takes a harmless stand-in for alpha; the -inf corner is replaced before the division too,
    # or the masked branch's gradient would be 0 * inf = NaN (and every gradient of the sum with it)
    alpha = (torch.where(finite, lower, torch.zeros_like(lower)) - mean.unsqueeze(-2)) / std.unsqueeze(-2)
    alpha = torch.where(bounded, alpha, beta - 1.0)
    log_beta = log_h(beta)
    # log(h(beta) - h(alpha)) = log h(beta) + log(1 - exp(log h(alpha) - log h(beta))), alpha < beta
    gap = (log_h(alpha) - log_beta).clamp_max(-1e-12)
    log_term = log_beta + torch.where(bounded, _log1mexp(gap), torch.zeros_like(gap))
    return (log_term + std.log().unsqueeze(-2)).sum(-1).logsumexp(-1)


class LogExpectedHypervolumeImprovement(nn.Module):
    """log EHVI of the objectives times the probability of feasibility, for an :class:`IndependentOutputs` model.

    Built fresh from a fitted model: the observed front (feasible rows of the model's data, fantasies of a batch
    included), the reference point and the boxes are computed here, once.

    Args:
        model: The fitted :class:`~bohpo.surrogates.IndependentOutputs`: m objectives, then k constraints.
        reference: Where the reference point's worst values come from: ``"front"`` (default), the worst of the
            feasible front's points (as BoTorch's ``infer_reference_point``); or ``"observed"``, the worst of the
            feasible observed points in each objective (as Optuna's GP, which takes every observed point). Before
            any point is feasible, the worst of all. Either way a tenth of the observed range is added.

    Example:
        >>> X = torch.rand(12, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> Y = torch.stack([X[:, 0], 1 - X[:, 0] + X[:, 1]], -1)
        >>> acquisition = LogExpectedHypervolumeImprovement(IndependentOutputs(n_objectives=2).fit(X, Y))
        >>> acquisition(X[:4]).shape
        torch.Size([4])
    """

    reference: Tensor
    lower: Tensor
    upper: Tensor
    threshold: Tensor

    def __init__(self, model: IndependentOutputs, *, reference: str = "front") -> None:
        super().__init__()
        if reference not in _REFERENCES:
            raise ValueError(f"reference must be one of {_REFERENCES}, got {reference!r}")
        self.reference_from = reference
        if not isinstance(model, IndependentOutputs):
            raise TypeError(
                f"LogExpectedHypervolumeImprovement needs an IndependentOutputs model (one GP per objective and "
                f"constraint), got {type(model).__name__}"
            )
        self.model = model
        m = model.n_objectives
        observed = model.train_values()  # (n, o) on the models' scales
        threshold = model.to_model_scale(torch.zeros_like(observed[0]))[m:]  # (k,) where each constraint is 0
        feasible = (observed[:, m:] <= threshold).all(-1)
        objectives = observed[:, :m]
        front = objectives[feasible]
        front = front[pareto_mask(front)] if front.shape[0] else front
        if not bool(feasible.any()):
            worst = objectives.max(0).values
        else:
            worst = (front if reference == "front" else objectives[feasible]).max(0).values
        point = reference_point(worst, objectives.max(0).values - objectives.min(0).values)
        lower, upper = hypervolume_cells(front, point)
        self.register_buffer("reference", point)
        self.register_buffer("lower", lower)
        self.register_buffer("upper", upper)
        self.register_buffer("threshold", threshold)

    def forward(self, X: Tensor) -> Tensor:
        """X (b, D) -> (b,), larger is better."""
        mean, var = self.model.predict(X)  # (b, o)
        std = var.clamp_min(_MIN_STD**2).sqrt()
        m = self.model.n_objectives
        value = log_expected_hypervolume_improvement(mean[:, :m], std[:, :m], self.lower, self.upper)
        if self.threshold.numel():
            value = value + torch.special.log_ndtr((self.threshold - mean[:, m:]) / std[:, m:]).sum(-1)
        return value
