"""The deterministic polynomial closure of Arnold, Moroz & Palmer (2013): ``U_k = sum_i b_i X_k^i``.

One polynomial in the local value ``X_k`` only (degree 3 in the paper), the same at every ``k``, fitted by
least squares to the closure target pooled over all points and times. It is local, so it runs at any ``K``.

>>> closure = PolyClosure.from_data(x_train, y_train)     # x, y: (n, K) states and targets
>>> closure(x)                                              # (K,) -> (K,)
"""

from __future__ import annotations

from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._base import AbstractClosure

__all__ = ["PolyClosure", "fit_polynomial"]


def fit_polynomial(x: Array, y: Array, degree: int = 3) -> np.ndarray:
    """Least-squares coefficients ``b_0 .. b_degree`` (float64) of ``y ~ sum_i b_i x^i`` over all entries.

    The fit is done on the standardised variable ``(x - m) / s`` (a well-conditioned Vandermonde matrix) and
    mapped back to powers of ``x`` exactly (binomial expansion).
    """
    xs = np.asarray(x, np.float64).ravel()
    ys = np.asarray(y, np.float64).ravel()
    if xs.shape != ys.shape:
        raise ValueError(f"x and y must have the same number of entries, got {np.shape(x)} and {np.shape(y)}")
    if xs.size <= degree:
        raise ValueError(f"a degree-{degree} polynomial needs more than {degree} points, got {xs.size}")
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        raise ValueError("cannot fit a polynomial closure: the data hold NaN or infinity")
    m, s = xs.mean(), xs.std() or 1.0
    z = (xs - m) / s
    vander = np.vander(z, degree + 1, increasing=True)
    c, *_ = np.linalg.lstsq(vander, ys, rcond=None)
    # sum_j c_j ((x - m)/s)^j = sum_j c_j s^-j sum_i C(j, i) x^i (-m)^(j-i)
    from math import comb

    b = np.zeros(degree + 1)
    for j, cj in enumerate(c):
        for i in range(j + 1):
            b[i] += cj * s**-j * comb(j, i) * (-m) ** (j - i)
    return b


class PolyClosure(AbstractClosure):
    """``U_k = b_0 + b_1 X_k + ... + b_d X_k^d`` at every point (Horner's rule).

    Attributes:
        coefficients: ``(degree + 1,)``, ``b_i`` in units of ``dX/dt`` per ``X^i``.
    """

    coefficients: Float[Array, " d1"]
    degree: int = eqx.field(static=True)
    fitted_by: ClassVar[str] = "least_squares"

    def __init__(self, degree: int = 3, coefficients: Array | None = None, *, dtype=jnp.float32, key: Any = None):
        del key
        if isinstance(degree, bool) or not isinstance(degree, int) or degree < 0:
            raise ValueError(f"degree must be an integer >= 0, got {degree!r}")
        self.degree = degree
        if coefficients is None:
            coefficients = np.zeros(degree + 1)
        coefficients = jnp.asarray(coefficients, dtype)
        if coefficients.shape != (degree + 1,):
            raise ValueError(f"a degree-{degree} polynomial has {degree + 1} coefficients, got shape "
                             f"{coefficients.shape}")
        self.coefficients = coefficients

    def __call__(self, x: Float[Array, " K"]) -> Float[Array, " K"]:
        self._check_input(x)
        b = self.coefficients.astype(x.dtype)
        out = jnp.full_like(x, b[-1])
        for i in range(self.degree - 1, -1, -1):
            out = out * x + b[i]
        return out

    def hyperparameters(self) -> dict[str, Any]:
        return {"degree": self.degree}

    @classmethod
    def from_data(cls, x: Float[Array, "n K"], y: Float[Array, "n K"], *, degree: int = 3, key: Any = None,
                  dtype=jnp.float32) -> PolyClosure:
        """The least-squares polynomial of ``degree`` through all ``(X_k, y_k)`` pairs of the data."""
        return cls(degree, fit_polynomial(x, y, degree), dtype=dtype)
