"""Trials: one evaluation of one configuration, and its status."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["Trial", "TrialStatus"]


class TrialStatus(str, Enum):
    """Where a trial stands: asked and not yet told, told with a value, told as failed, or stopped early (pruned,
    with the last value it reported)."""

    PENDING = "pending"
    COMPLETE = "complete"
    FAILED = "failed"
    PRUNED = "pruned"


@dataclass
class Trial:
    """One configuration to evaluate (at one budget), and what became of it.

    Attributes:
        id: Number given by the searcher, unique within it, in the order trials were created.
        params: The configuration, ``{name: value}`` with Python values.
        budget: Fidelity to evaluate at (epochs, trees, data fraction...), or ``None`` for the full problem.
        value: The objective as told (in the user's direction), ``None`` while pending or when failed; for a pruned
            trial, the value it was stopped at (by default its last reported one). ``None`` in a study with several
            objectives, whose trials hold ``values``.
        values: With several objectives, the told values in the searcher's objective order (user's directions);
            ``None`` otherwise, while pending and when failed.
        constraints: In a study with outcome constraints, the told constraint values in order (feasible when all
            are <= 0); ``None`` otherwise, while pending and when failed.
        status: ``pending``, ``complete``, ``failed`` or ``pruned``.
        started_at: Unix time the trial was asked (or told, for a configuration that was never asked).
        finished_at: Unix time it was told, ``None`` while pending.
        searcher_id: Identity of the searcher that owns the trial (``tell`` checks it).
        config_id: Identity of the configuration: the id of the trial that first evaluated it. A multi-fidelity
            searcher that promotes a configuration to a larger budget gives the new trial the same ``config_id``,
            so the user's code can resume training from that configuration's checkpoint. Defaults to ``id``.
        intermediate: Values reported during the evaluation (a learning curve), ``{step: value}`` in the order
            reported; what pruners decide from.
        checkpoint: The id of the trial whose final state (model weights, optimiser state) this trial starts
            from, ``None`` to train from scratch: population-based training's members continue, or copy, one
            another's training.

    Example:
        >>> t = Trial(id=0, params={"x": 0.5})
        >>> t.status.value, t.is_finished
        ('pending', False)
    """

    id: int
    params: dict[str, Any]
    budget: float | None = None
    value: float | None = None
    status: TrialStatus = TrialStatus.PENDING
    started_at: float | None = None
    finished_at: float | None = field(default=None)
    searcher_id: str | None = None
    config_id: int | None = None
    intermediate: dict[int, float] = field(default_factory=dict)
    checkpoint: int | None = None
    values: tuple[float, ...] | None = None
    constraints: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.config_id is None:
            self.config_id = self.id

    @property
    def is_finished(self) -> bool:
        """Whether the trial has been told (complete or failed)."""
        return self.status is not TrialStatus.PENDING

    @property
    def is_feasible(self) -> bool:
        """Whether every constraint value told is <= 0 (True in a study without constraints)."""
        return self.constraints is None or all(c <= 0 for c in self.constraints)

    @property
    def last_step(self) -> int | None:
        """The largest step reported, ``None`` before any report."""
        return max(self.intermediate) if self.intermediate else None

    @property
    def duration(self) -> float | None:
        """Seconds from ask to tell, ``None`` while pending."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (the status as its string, the intermediate values as ``[step, value]`` pairs, ``values``
        and ``constraints`` as lists and only when set); ``params`` is copied as it is."""
        return {
            "id": self.id,
            "params": dict(self.params),
            "budget": self.budget,
            "value": self.value,
            "status": self.status.value,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "searcher_id": self.searcher_id,
            "config_id": self.config_id,
            "intermediate": [[step, value] for step, value in self.intermediate.items()],
            "checkpoint": self.checkpoint,
            **({} if self.values is None else {"values": list(self.values)}),
            **({} if self.constraints is None else {"constraints": list(self.constraints)}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trial:
        """Inverse of :meth:`to_dict`."""
        return cls(
            id=int(data["id"]),
            params=dict(data["params"]),
            budget=data.get("budget"),
            value=data.get("value"),
            status=TrialStatus(data.get("status", TrialStatus.PENDING.value)),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
            searcher_id=data.get("searcher_id"),
            config_id=data.get("config_id"),
            intermediate={int(step): float(value) for step, value in data.get("intermediate") or []},
            checkpoint=data.get("checkpoint"),
            values=None if data.get("values") is None else tuple(float(v) for v in data["values"]),
            constraints=None if data.get("constraints") is None else tuple(float(v) for v in data["constraints"]),
        )
