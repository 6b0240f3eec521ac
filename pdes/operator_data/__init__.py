"""Operator-learning data sets: random inputs and the PDE solutions they map to, one
generator per file, registered here by name (the Fourier neural operator's benchmarks).

>>> from pdes import operator_data
>>> operator_data.names()
('burgers', 'navier_stokes')
>>> ds = operator_data.get("burgers")(8, seed=0)   # a (sample, x) -> u (sample, t, x)

Every generator is ``generate(n_samples, seed, *, start=0, ..., dtype=jnp.float64) ->
xr.Dataset`` with the input ``a`` and the solution (``u`` or ``w``) over a ``sample``
dimension; sample ``i`` is drawn from ``fold_in(jax.random.key(seed), i)``, so a data set
can be generated in chunks (``start``) and come out the same. Importing ``pdes`` turns on
float64.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

import xarray as xr

from . import burgers, navier_stokes
from ._grf import GaussianRandomField

__all__ = ["GaussianRandomField", "UnknownGeneratorError", "get", "names"]

Generator = Callable[..., xr.Dataset]

_GENERATORS: dict[str, Generator] = {
    burgers.NAME: burgers.generate,
    navier_stokes.NAME: navier_stokes.generate,
}


class UnknownGeneratorError(KeyError):
    """No generator has this name; the message lists the known ones."""

    def __str__(self) -> str:
        return self.args[0]


def names() -> tuple[str, ...]:
    """Names of the registered generators, sorted."""
    return tuple(sorted(_GENERATORS))


def get(name: str) -> Generator:
    """The ``generate`` function of the data set called ``name``."""
    if name not in _GENERATORS:
        close = difflib.get_close_matches(name, names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownGeneratorError(f"unknown operator data set {name!r}{hint} (known: {', '.join(names())})")
    return _GENERATORS[name]
