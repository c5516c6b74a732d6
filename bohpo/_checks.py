"""Small input checks shared by the modules (kept private: the public API raises through them).

It does not import torch (the command line reads its names through here before anything needs torch).
"""

from __future__ import annotations

import decimal
import difflib
import importlib
import math
import numbers
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch


def scalar(value: Any) -> Any:
    """Unwrap numpy arrays and tensors of one element (0-d, or ``[x]`` as a metric often returns) to Python
    scalars; leave everything else as it is."""
    torch_module = sys.modules.get("torch")  # a tensor exists only once torch is imported
    arrays = (np.ndarray,) if torch_module is None else (np.ndarray, torch_module.Tensor)
    if isinstance(value, arrays) and (value.ndim == 0 or (value.ndim == 1 and value.shape[0] == 1)):
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


def check_probability(value: Any, name: str) -> float:
    """``value`` as a float in [0, 1]; ``ValueError`` naming ``name`` otherwise."""
    number = finite_float(value)
    if number is None or not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return number


def finite_float(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` when it is not a finite real number (strings and bools are not; a
    ``Fraction`` or ``Decimal`` is; so is an int too large for a float, which is not finite once converted)."""
    value = scalar(value)
    if not (is_real(value) or isinstance(value, (numbers.Real, decimal.Decimal))) or is_bool(value):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):  # 10**400; Decimal("sNaN")
        return None
    return number if math.isfinite(number) else None


def unknown_name(kind: str, name: object, known: Iterable[str]) -> ValueError:
    """The error for a name that is not one of ``known``: the closest known names first (a typo is the usual cause),
    then all of them. ``kind`` says what the name is of ("searcher", "problem")."""
    known = list(known)
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"unknown {kind} {name!r}{hint}; known: {', '.join(known)}")


def is_import_path(name: object) -> bool:
    """Whether ``name`` has the form ``"package.module:attribute"``."""
    return isinstance(name, str) and name.count(":") == 1 and all(name.partition(":")[::2])


def from_import_path(path: str, kind: str) -> object:
    """The object that ``"package.module:attribute"`` names (``attribute`` may be dotted). Problems and searchers
    named so are built by importing where they live, so that worker processes and Dask workers, which see nothing
    registered in another process, build the same ones. A ValueError says what failed, naming ``kind`` and
    ``path``."""
    if not is_import_path(path):
        raise ValueError(f"{kind} {path!r}: an import path has the form 'package.module:attribute'")
    module_name, _, attribute = path.partition(":")
    try:
        found: object = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"{kind} {path!r}: cannot import {module_name!r} ({err})") from None
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise ValueError(f"{kind} {path!r}: {module_name!r} has no attribute {attribute!r}")
        found = getattr(found, part)
    return found


def check_device(device: object) -> torch.device:
    """``device`` (a ``torch.device``, a string such as ``"cuda:0"``, or None for the CPU) as a device this process can
    use; a ValueError naming it otherwise (torch itself raises an assertion deep inside the first computation)."""
    import torch

    if device is None:
        return torch.device("cpu")
    try:
        resolved = torch.device(device)  # type: ignore[call-overload]
        torch.empty(0, device=resolved)
    except (RuntimeError, AssertionError, TypeError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]  # torch's first line only
        raise ValueError(f"device {device!r} is not usable here: {reason}") from None
    return resolved
