"""Closures for the coarse Lorenz 96 model: a registry by name, training, checkpoints and evaluation.

>>> from sciml import closures
>>> closures.names()
('mlp', 'mno', 'null', 'poly')
>>> model = closures.get("mno").from_data(x_train, y_train, modes=8, width=32, key=key)
>>> model, history = closures.train_closure(model, x_train, y_train, x_val, y_val, closures.ClosureTrainConfig())
>>> closures.save_closure("closure.eqx", model, {"config": ..., "data_hash": ...})
>>> model, meta = closures.load_closure("closure.eqx")

Every closure maps one coarse state ``X (K,)`` to a tendency correction ``(K,)`` (callers vmap) and runs at
any ring size it supports (:meth:`AbstractClosure.check_size` says which). Adding a closure is one file and one
:func:`register` line below.
"""

from __future__ import annotations

import difflib
from typing import Any

from ._base import FITTED_BY, AbstractClosure, Affine
from .checkpoint import (
    ClosureCheckpointError,
    ClosureMismatchError,
    array_hash,
    check_meta,
    file_hash,
    load_closure,
    read_closure_header,
    save_closure,
)
from .mlp import LocalMLP
from .mno import MNOClosure
from .null import NullClosure
from .poly import PolyClosure, fit_polynomial
from .train import ClosureTrainConfig, ClosureTrainingDivergedError, TrainHistory, train_closure

__all__ = [
    "FITTED_BY",
    "AbstractClosure",
    "Affine",
    "ClosureCheckpointError",
    "ClosureMismatchError",
    "ClosureTrainConfig",
    "ClosureTrainingDivergedError",
    "LocalMLP",
    "MNOClosure",
    "NullClosure",
    "PolyClosure",
    "TrainHistory",
    "UnknownClosureError",
    "array_hash",
    "build",
    "check_meta",
    "file_hash",
    "fit_polynomial",
    "get",
    "load_closure",
    "name_of",
    "names",
    "read_closure_header",
    "register",
    "save_closure",
    "train_closure",
]

_CLOSURES: dict[str, type] = {}


class UnknownClosureError(KeyError):
    """No closure has this name (or a closure class is not registered); the message lists the known ones."""

    def __str__(self) -> str:
        return self.args[0]


def register(name: str, cls: type) -> type:
    """Add closure class ``cls`` under ``name``; another class under a taken name is an error."""
    if name in _CLOSURES and _CLOSURES[name] is not cls:
        raise ValueError(f"a closure named {name!r} is already registered ({_CLOSURES[name].__qualname__})")
    if not (isinstance(cls, type) and issubclass(cls, AbstractClosure)):
        raise TypeError(f"{cls!r} is not an AbstractClosure subclass")
    if getattr(cls, "fitted_by", None) not in FITTED_BY:
        raise TypeError(f"closure class {cls.__qualname__} must set fitted_by to one of {FITTED_BY}")
    _CLOSURES[name] = cls
    return cls


def names() -> tuple[str, ...]:
    """Names of the registered closures, sorted."""
    return tuple(sorted(_CLOSURES))


def get(name: str) -> type:
    """The closure class registered as ``name``."""
    if name not in _CLOSURES:
        close = difflib.get_close_matches(str(name), names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownClosureError(f"unknown closure {name!r}{hint} (known: {', '.join(names())})")
    return _CLOSURES[name]


def name_of(model: Any) -> str:
    """The registered name of ``model``'s class."""
    for name, cls in _CLOSURES.items():
        if type(model) is cls:
            return name
    raise UnknownClosureError(f"closure class {type(model).__qualname__} is not registered "
                              f"(known: {', '.join(names())}); call sciml.closures.register(name, cls)")


def build(name: str, hyperparameters: dict[str, Any], *, key: Any) -> AbstractClosure:
    """A closure of the class registered as ``name`` from its stored ``hyperparameters()``."""
    return get(name)(**hyperparameters, key=key)


register("null", NullClosure)
register("poly", PolyClosure)
register("mlp", LocalMLP)
register("mno", MNOClosure)
