"""Neural operators: models that map functions to functions, and the generic trainer for them.

>>> from sciml import operators
>>> operators.names()
('deeponet', 'fno', 'normalized')
>>> model = operators.get("fno")(1, 1, modes=(16,), width=64, key=jax.random.PRNGKey(0))
>>> model, history = operators.train(model, x_train, y_train, x_test, y_test, operators.TrainConfig(epochs=500))
>>> operators.save("fno.eqx", model)            # reloads without this script:
>>> model = operators.load("fno.eqx").model

A registered model class takes a keyword-only ``key`` and has ``hyperparameters() -> dict``
(its other constructor arguments, JSON-serialisable; or a ``from_hyperparameters(hp, *, key)``
classmethod that reads them), so that a checkpoint stores ``name + kwargs`` and :func:`build`
rebuilds the skeleton to load the weights into. Adding a
model is one file and one :func:`register` line below.
"""

from __future__ import annotations

import difflib

from typing import Any

from ._spectral import DFT, FFT, AbstractForm, SpectralConv, as_form
from .checkpoint import Checkpoint, CheckpointError, load, save
from .deeponet import DeepONet
from .fno import FNO, Pointwise, freeze_for_inference, grid, with_form
from .losses import mse, rel_l2, rel_l2_per_sample
from .normalize import Normalized, Scope, UnitGaussian
from .train import (
    Constant,
    Cosine,
    History,
    NonFiniteDataError,
    Plateau,
    StepDecay,
    TrainConfig,
    TrainingDivergedError,
    lr_scale,
    make_optimizer,
    train,
)

__all__ = [
    "DFT",
    "FFT",
    "FNO",
    "AbstractForm",
    "Checkpoint",
    "CheckpointError",
    "Constant",
    "Cosine",
    "DeepONet",
    "History",
    "NonFiniteDataError",
    "Normalized",
    "Plateau",
    "Pointwise",
    "Scope",
    "SpectralConv",
    "StepDecay",
    "TrainConfig",
    "TrainingDivergedError",
    "UnitGaussian",
    "UnknownModelError",
    "as_form",
    "build",
    "freeze_for_inference",
    "get",
    "grid",
    "load",
    "lr_scale",
    "make_optimizer",
    "mse",
    "name_of",
    "names",
    "register",
    "rel_l2",
    "rel_l2_per_sample",
    "save",
    "train",
    "with_form",
]

_MODELS: dict[str, type] = {}


class UnknownModelError(KeyError):
    """No model has this name (or a model class is not registered); the message lists the known ones."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return self.args[0]


def register(name: str, cls: type) -> type:
    """Add model class ``cls`` under ``name``; a second class with the same name is an error."""
    if name in _MODELS and _MODELS[name] is not cls:
        raise ValueError(f"a model named {name!r} is already registered ({_MODELS[name].__qualname__})")
    if not callable(getattr(cls, "hyperparameters", None)):
        raise TypeError(f"model class {cls.__qualname__} needs a hyperparameters() method to be registered")
    _MODELS[name] = cls
    return cls


def names() -> tuple[str, ...]:
    """Names of the registered models, sorted."""
    return tuple(sorted(_MODELS))


def get(name: str) -> type:
    """The model class registered as ``name``."""
    if name not in _MODELS:
        close = difflib.get_close_matches(name, names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownModelError(f"unknown operator model {name!r}{hint} (known: {', '.join(names())})")
    return _MODELS[name]


def name_of(model) -> str:
    """The registered name of ``model``'s class."""
    for name, cls in _MODELS.items():
        if type(model) is cls:
            return name
    raise UnknownModelError(
        f"model class {type(model).__qualname__} is not registered (known: {', '.join(names())}); "
        "call sciml.operators.register(name, cls)"
    )


def build(name: str, hyperparameters: dict[str, Any], *, key) -> Any:
    """A model of the class registered as ``name`` from its stored ``hyperparameters()``: via the class's
    ``from_hyperparameters(hp, key=key)`` if it has one, else ``cls(**hp, key=key)``."""
    cls = get(name)
    if hasattr(cls, "from_hyperparameters"):
        return cls.from_hyperparameters(hyperparameters, key=key)
    return cls(**hyperparameters, key=key)


register("fno", FNO)
register("deeponet", DeepONet)
register("normalized", Normalized)
