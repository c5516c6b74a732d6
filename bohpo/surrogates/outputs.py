"""Several outcomes at once: one independent Gaussian surrogate per objective and per outcome constraint.

Glossary:
    n  rows;  D encoded dimension;  m objectives;  k constraints;  o = m + k outputs.

:class:`IndependentOutputs` is what a multi-objective or constrained study's BO step fits: Y (n, o), the m
objectives (minimised) then the k constraint values (feasible when <= 0), each column modelled by its own copy of a
Gaussian surrogate (bohpo's GP by default), with its own hyperparameters, output transform and warm start. It
answers ``predict`` with a mean and a variance per output, (..., o) each, and conditions on fantasies output by
output, so the kriging believer batches it as it batches one GP. The outputs are modelled as independent, as Optuna's
and HEBO's multi-objective GPs do, and as BoTorch's ``ModelListGP`` of one GP per outcome does.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor

from bohpo.space import Space
from bohpo.surrogates.gp import GP

__all__ = ["IndependentOutputs"]


class IndependentOutputs:
    """One copy of a Gaussian surrogate per output: m objectives, then k outcome constraints.

    Args:
        template: The GP copied for every output (unfitted). By default (``None``) each kind of output gets the GP
            that suits it: several objectives are only standardised (:class:`~bohpo.surrogates.GP` ``()``), one
            objective and every constraint take the Yeo–Johnson output transform (the single-objective default).
            Hypervolume is a product of lengths along the objectives, measured in their own units; on a scale warped
            per objective the expected hypervolume improvement values other improvements than the hypervolume
            does, so the models of several objectives stay linear in them. A constraint only enters through the
            probability that it is <= 0, which a monotone transform leaves unchanged. Measured on design seeds
            100-104 of six problems (``benchmarks/results/multi_objective/output_scale.md``): mean normalised
            hypervolume regret 0.316 standardised against 0.447 with Yeo–Johnson, which on the constrained
            Branin-Currin stopped at a worse part of the front on two seeds of five.
        n_objectives: m >= 1, the leading outputs.
        n_constraints: k >= 0, the outputs after them.

    Attributes:
        outputs: The o fitted copies, objectives first.

    Example:
        >>> X = torch.rand(10, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> Y = torch.stack([X.sum(-1), (1 - X).square().sum(-1)], -1)
        >>> model = IndependentOutputs(n_objectives=2).fit(X, Y)
        >>> mean, var = model.predict(X[:3])
        >>> mean.shape, var.shape
        (torch.Size([3, 2]), torch.Size([3, 2]))
    """

    def __init__(self, template: GP | None = None, *, n_objectives: int, n_constraints: int = 0) -> None:
        if isinstance(n_objectives, bool) or not isinstance(n_objectives, int) or n_objectives < 1:
            raise ValueError(f"n_objectives must be an int >= 1, got {n_objectives!r}")
        if isinstance(n_constraints, bool) or not isinstance(n_constraints, int) or n_constraints < 0:
            raise ValueError(f"n_constraints must be an int >= 0, got {n_constraints!r}")
        if template is not None and not isinstance(template, GP):
            raise TypeError(f"template must be bohpo's GP (one copy per output), got {type(template).__name__}")
        self.template = template
        self.n_objectives, self.n_constraints = n_objectives, n_constraints
        if template is None:
            objective = GP(output_transform="yeo-johnson") if n_objectives == 1 else GP()
            kinds = [objective] * n_objectives + [GP(output_transform="yeo-johnson")] * n_constraints
        else:
            kinds = [template] * (n_objectives + n_constraints)
        self.outputs: list[GP] = [copy.deepcopy(kind) for kind in kinds]

    def __repr__(self) -> str:
        template = "" if self.template is None else f"{self.template!r}, "
        return f"IndependentOutputs({template}n_objectives={self.n_objectives}, n_constraints={self.n_constraints})"

    @property
    def n_outputs(self) -> int:
        """o = m + k."""
        return len(self.outputs)

    def bind(self, space: Space) -> IndependentOutputs:
        """Bind every output's GP to ``space`` (its categoricals and conditions)."""
        for output in self.outputs:
            output.bind(space)
        return self

    def fit(self, X: Tensor, Y: Tensor) -> IndependentOutputs:
        """X (n, D), Y (n, o) finite, each column minimised (constraint columns as told). Returns ``self``; if one
        output's fit raises, every output keeps its previous fit."""
        if not isinstance(Y, Tensor) or Y.ndim != 2 or Y.shape != (X.shape[0], self.n_outputs):
            raise ValueError(f"Y must be a tensor of shape ({X.shape[0]}, {self.n_outputs}), got {tuple(Y.shape)}")
        before = [copy.copy(output) for output in self.outputs]  # a GP's fit rebinds its state, never mutates it
        try:
            for j, output in enumerate(self.outputs):
                output.fit(X, Y[:, j])
        except BaseException:
            self.outputs = before  # all outputs or none: no mix of fits on different data
            raise
        return self

    @property
    def best_y(self) -> Tensor:
        """(o,) the lowest value fitted on, per output."""
        return torch.stack([output.best_y for output in self.outputs])

    def predict(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """X (..., D) -> mean and variance (..., o), each output on its surrogate's scale."""
        pairs = [output.predict(X) for output in self.outputs]
        return torch.stack([p[0] for p in pairs], -1), torch.stack([p[1] for p in pairs], -1)

    def condition_on_mean(self, X_new: Tensor) -> IndependentOutputs:
        """A copy with every output conditioned on fantasies at X_new (k, D) equal to its posterior mean."""
        other = copy.copy(self)
        other.outputs = [output.condition_on_mean(X_new) for output in self.outputs]
        return other

    def train_values(self) -> Tensor:
        """(n, o) the values each output is conditioned on (fantasies included), on its :meth:`predict` scale."""
        return torch.stack([output.train_values for output in self.outputs], -1)

    def to_model_scale(self, Y: Tensor) -> Tensor:
        """Y (..., o) in the original units, on each output's :meth:`predict` scale."""
        return torch.stack([output.to_model_scale(Y[..., j]) for j, output in enumerate(self.outputs)], -1)

    @property
    def lengthscale(self) -> Tensor:
        """(D,) per encoded column, the geometric mean of the objectives' lengthscales (the acquisition optimizer's
        step scales)."""
        scales = [output.lengthscale for output in self.outputs[: self.n_objectives]]
        return torch.stack(scales).log().mean(0).exp()

    def warm_state(self) -> list[Any] | None:
        """Every output's warm state, in order (``None`` before any fit)."""
        states = [output.warm_state() for output in self.outputs]
        return None if all(state is None for state in states) else states

    def load_warm_state(self, state: list[Any] | None) -> None:
        """Restore :meth:`warm_state`'s list; nothing changes if it is malformed."""
        if state is None:
            state = [None] * self.n_outputs
        if not isinstance(state, list) or len(state) != self.n_outputs:
            raise ValueError(f"a warm state of {self.n_outputs} outputs is a list of {self.n_outputs}, got {state!r}")
        trial = copy.deepcopy(self.outputs)
        for output, part in zip(trial, state, strict=True):
            output.load_warm_state(part)
        self.outputs = trial
