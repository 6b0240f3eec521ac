"""A chaotic system: its name, parameters, metadata and a JAX right-hand side."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

Params = Mapping[str, Any]


@dataclass(frozen=True, eq=False)
class System:
    """One flow of the dysts catalogue, with a JAX right-hand side.

    Attributes:
        name: dysts' class name, e.g. ``"Lorenz"``.
        kind: ``"ode"`` for flows, ``"delay"`` for delay differential equations.
        dimension: number of observed coordinates; for delay systems the delay-embedding
            dimension (dysts' ``embedding_dimension``), for flows the state dimension.
        state_dimension: number of integrated variables (1 for dysts' scalar DDEs).
        params: default parameters by name (Python scalars or float64 arrays).
        ic: dysts' stored initial condition, shape (dimension,).
        meta: every other metadata field dysts stores (``dt``, ``period``,
            ``maximum_lyapunov_estimated``, ``lyapunov_spectrum_estimated``, ...).
        source: how the right-hand side was obtained: ``"dysts _rhs"``,
            ``"dysts rhs method"`` (both dysts' own code run under jax.numpy) or ``"manual"``.
    """

    name: str
    kind: Literal["ode", "delay"]
    dimension: int
    state_dimension: int
    params: Params
    ic: np.ndarray
    meta: Mapping[str, Any]
    source: str
    _field: Callable[..., Array] = field(repr=False)
    _postprocess: Callable[..., Array] | None = field(repr=False, default=None)

    # -- right-hand sides -------------------------------------------------------------
    def rhs(
        self,
        x: Float[Array, " n"],
        t: float | Float[Array, ""],
        params: Params | None = None,
        *,
        x_delayed: Float[Array, " n"] | None = None,
    ) -> Float[Array, " n"]:
        """dx/dt at state ``x`` and time ``t`` (dysts' argument order).

        ``params`` overrides the defaults (any subset, by name; may be traced). Delay
        systems need ``x_delayed = x(t - tau)``.
        """
        p = self.resolve_params(params)
        x = jnp.asarray(x)
        if self.kind == "delay":
            if x_delayed is None:
                raise ValueError(f"{self.name} is a delay system: pass x_delayed = x(t - tau)")
            return self._field(x, jnp.asarray(x_delayed), t, p)
        return self._field(x, t, p)

    def vector_field(self, t, y, args):
        """diffrax-style ``f(t, y, args)`` with ``args`` the parameter mapping (or None)."""
        return self.rhs(y, t, args)

    def resolve_params(self, params: Params | None) -> dict[str, Any]:
        """Defaults updated with ``params``; an unknown name is an error listing the known."""
        if not params:
            return dict(self.params)
        unknown = set(params) - set(self.params)
        if unknown:
            raise ValueError(
                f"{self.name} has no parameter(s) {sorted(unknown)}; known: {sorted(self.params)}"
            )
        return {**self.params, **params}

    def postprocess(self, x: Float[Array, "... n"], params: Params | None = None):
        """dysts' coordinate map for flows with unbounded variables (angles, clock phases),
        applied on the last axis; identity where dysts defines none."""
        if self._postprocess is None:
            return x
        return self._postprocess(x, self.resolve_params(params))

    # -- timescales ----------------------------------------------------------------------
    @property
    def dt(self) -> float:
        """dysts' integration time step (its first step for adaptive solvers)."""
        return float(self.meta["dt"])

    @property
    def period(self) -> float:
        """Dominant (Fourier) period, in the system's time units."""
        return float(self.meta["period"])

    @property
    def lyapunov_time(self) -> float:
        """1 / dysts' estimate of the largest Lyapunov exponent."""
        return 1.0 / float(self.meta["maximum_lyapunov_estimated"])

    @property
    def tau(self) -> float:
        """Delay of a delay system."""
        if self.kind != "delay":
            raise AttributeError(f"{self.name} is not a delay system")
        return float(self.params["tau"])

    def timescale(self, kind: Literal["Fourier", "Lyapunov"]) -> float:
        """The time unit that ``pts_per_period`` refers to, as in dysts."""
        if kind == "Fourier":
            return self.period
        if kind == "Lyapunov":
            return self.lyapunov_time
        raise ValueError(f"timescale {kind!r} is not one of: Fourier, Lyapunov")
