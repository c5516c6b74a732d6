"""Small input checks shared by the modules (kept private: the public API raises through them)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from torch import Tensor


def scalar(value: Any) -> Any:
    """Unwrap 0-d numpy arrays and tensors to Python scalars; leave everything else as it is."""
    if isinstance(value, (Tensor, np.ndarray)) and value.ndim == 0:
        return value.item()
    return value


def is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not is_bool(value)


def is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not is_bool(value)


def check_count(value: Any, name: str, *, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``; ``TypeError``/``ValueError`` naming ``name`` otherwise."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def finite_float(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` when it is not a finite real number (strings and bools are not)."""
    value = scalar(value)
    if not is_real(value):
        return None
    value = float(value)
    return value if math.isfinite(value) else None
