"""Parameters of the multiscale Lorenz 96 models and the named sets from the literature."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def _check_float(name: str, value, *, positive: bool = False, nonnegative: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


@dataclass(frozen=True)
class L96Params:
    """Two-level Lorenz 96 (Lorenz 1996):

        dX_k/dt     = X_{k-1} (X_{k+1} - X_{k-2}) - X_k + F - (h c / b) sum_j Y_{j,k}
        dY_{j,k}/dt = -c b Y_{j+1,k} (Y_{j+2,k} - Y_{j-1,k}) - c Y_{j,k} + (h c / b) X_k

    Attributes:
        K: number of slow variables X_k (>= 4, on a periodic ring).
        J: fast variables per slow one (>= 1); the K*J fast variables lie on one periodic
            ring, Y_{j,k} at flat index k*J + j (so Y_{J,k} is followed by Y_{0,k+1}).
        F: forcing; h: coupling strength (>= 0); b: spatial-scale ratio (> 0);
        c: time-scale ratio (> 0). All nondimensional, time in model time units (MTU).
    """

    K: int
    J: int
    F: float
    h: float = 1.0
    b: float = 10.0
    c: float = 10.0

    def __post_init__(self):
        _check_int("K", self.K, 4)
        _check_int("J", self.J, 1)
        _check_float("F", self.F)
        _check_float("h", self.h, nonnegative=True)
        _check_float("b", self.b, positive=True)
        _check_float("c", self.c, positive=True)

    @property
    def coupling_coefficient(self) -> float:
        """h c / b."""
        return self.h * self.c / self.b


@dataclass(frozen=True)
class ThreeLevelParams:
    """Three-level Lorenz 96 (Thornes, Düben & Palmer 2017, QJRMS 143, 897-908, eqs. 1-3):

        dX_k/dt       = X_{k-1} (X_{k+1} - X_{k-2}) - X_k + F - (h c / b) sum_j Y_{j,k}
        dY_{j,k}/dt   = -c b Y_{j+1,k} (Y_{j+2,k} - Y_{j-1,k}) - c Y_{j,k} + (h c / b) X_k
                        - (h e / d) sum_i Z_{i,j,k}
        dZ_{i,j,k}/dt = e d Z_{i-1,j,k} (Z_{i+1,j,k} - Z_{i-2,j,k}) - g_Z e Z_{i,j,k} + (h e / d) Y_{j,k}

    Y lies on one ring of K*J values (index k*J + j), Z on one ring of K*J*I values
    (index (k*J + j)*I + i). Thornes et al. use K = J = I = 8, F = 20, h = 1,
    b = c = d = e = 10, g_Z = 1.
    """

    K: int
    J: int
    I: int  # noqa: E741 (the paper's name)
    F: float
    h: float = 1.0
    b: float = 10.0
    c: float = 10.0
    d: float = 10.0
    e: float = 10.0
    g_z: float = 1.0

    def __post_init__(self):
        _check_int("K", self.K, 4)
        _check_int("J", self.J, 1)
        _check_int("I", self.I, 1)
        _check_float("F", self.F)
        _check_float("h", self.h, nonnegative=True)
        for name in ("b", "c", "d", "e"):
            _check_float(name, getattr(self, name), positive=True)
        _check_float("g_z", self.g_z, nonnegative=True)

    @property
    def two_level(self) -> L96Params:
        """The X-Y part as an :class:`L96Params`."""
        return L96Params(K=self.K, J=self.J, F=self.F, h=self.h, b=self.b, c=self.c)


# Lorenz (1996), "Predictability: a problem partly solved", ECMWF seminar, section 4:
# K = 36, J = 10, F = 10, h = 1, b = c = 10.
# Wilks (2005), QJRMS 131, 389-407: K = 8, J = 32, h = 1, b = c = 10, F = 18 (and 20).
# Arnold, Moroz & Palmer (2013), Phil. Trans. R. Soc. A 371, 20110479: same with F = 20.
PARAMETER_SETS: dict[str, L96Params] = {
    "lorenz1996": L96Params(K=36, J=10, F=10.0, h=1.0, b=10.0, c=10.0),
    "wilks": L96Params(K=8, J=32, F=18.0, h=1.0, b=10.0, c=10.0),
    "arnold": L96Params(K=8, J=32, F=20.0, h=1.0, b=10.0, c=10.0),
}

THREE_LEVEL_SETS: dict[str, ThreeLevelParams] = {
    "thornes2017": ThreeLevelParams(K=8, J=8, I=8, F=20.0, h=1.0, b=10.0, c=10.0, d=10.0, e=10.0, g_z=1.0),
}


def parameter_set(name: str, **overrides) -> L96Params:
    """The named two-level set with fields replaced, e.g. ``parameter_set("lorenz1996", K=72)``.

    Raises:
        ValueError: unknown name (listing the known ones), unknown field, or bad value.
    """
    return _lookup(PARAMETER_SETS, name, overrides)


def three_level_parameter_set(name: str, **overrides) -> ThreeLevelParams:
    """The named three-level set with fields replaced (see :data:`THREE_LEVEL_SETS`)."""
    return _lookup(THREE_LEVEL_SETS, name, overrides)


def _lookup(table, name, overrides):
    if name not in table:
        raise ValueError(f"unknown Lorenz 96 parameter set {name!r}; known: {', '.join(sorted(table))}")
    base = table[name]
    allowed = [f.name for f in dataclasses.fields(base)]
    for key in overrides:
        if key not in allowed:
            raise ValueError(f"unknown Lorenz 96 parameter {key!r}; allowed: {', '.join(allowed)}")
    return dataclasses.replace(base, **overrides)
