"""The registry of physics-informed methods: a method is a sampler, causal weighting on or off,
and the Eulerian or Lagrangian formulation; the network and the optimiser are the run's.

>>> from sciml.pinn import methods
>>> methods.get("causal_r3")
Method(name='causal_r3', sampler='causal_r3', causal=False, lagrangian=False, ...)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    """A training method.

    Attributes:
        name: registry name.
        sampler: a name of :func:`sciml.pinn.samplers.names`.
        causal: residual loss split into time chunks with causal weights.
        lagrangian: the two-branch LPINN formulation instead of ``u(x, t)``.
        description: one line with its source.
    """

    name: str
    sampler: str
    causal: bool = False
    lagrangian: bool = False
    description: str = ""


_METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    """Add ``method`` under its name; a second one with the same name is an error."""
    if method.name in _METHODS:
        raise ValueError(f"a PINN method named {method.name!r} is already registered")
    _METHODS[method.name] = method
    return method


def names() -> tuple[str, ...]:
    """Names of the registered methods, in registration order."""
    return tuple(_METHODS)


def get(name: str) -> Method:
    """The method called ``name``; an unknown name is an error listing the known ones."""
    if name not in _METHODS:
        close = difflib.get_close_matches(name, names(), n=2)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown PINN method {name!r}{hint} (known: {', '.join(names())})")
    return _METHODS[name]


register(Method("pinn", "fixed", description="plain PINN on fixed uniform points (Raissi et al. 2019)"))
register(Method("resample", "resample", description="plain PINN, fresh uniform points every step"))
register(Method("causal", "resample", causal=True,
                description="causal training (Wang, Sankaran & Perdikaris 2022) on resampled points"))
register(Method("r3", "r3", description="Retain-Resample-Release sampling (Daw et al. 2023)"))
register(Method("causal_r3", "causal_r3", description="causal R3 with a moving tanh gate (Daw et al. 2023)"))
register(Method("rar_g", "rar_g", description="greedy residual-based adaptive refinement (Lu et al. 2021)"))
register(Method("rad", "rad", description="residual-based adaptive distribution (Wu et al. 2023)"))
register(Method("lpinn", "resample", lagrangian=True,
                description="Lagrangian PINN on characteristics (Mojgani, Balajewicz & Hassanzadeh 2023)"))
