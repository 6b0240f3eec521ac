"""A PDE problem: one definition of the equation, its domain, initial and boundary data and
parameters, from which both the residual (for physics-informed training) and the reference
solution (for scoring) are derived, so that the two cannot drift apart.

Every problem is a scalar field ``u(x, t)`` on ``x in x_domain``, ``t in t_domain``.
Variables are dimensionless (units ``"1"``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jax.numpy as jnp
import numpy as np
import xarray as xr
from jaxtyping import Array, Float

from ._autodiff import Field, Scalar

Params = Mapping[str, float]
# solver(problem, x (nx,), t (nt,), params, options) -> (u (nt, nx), {"method": ..., ...})
Solver = Callable[["Problem", np.ndarray, np.ndarray, dict[str, float], Any], tuple[np.ndarray, dict]]


@dataclass(frozen=True, eq=False)
class Problem:
    """One PDE problem.

    Attributes:
        name: registry name, e.g. ``"burgers"``.
        equation: the PDE in words, e.g. ``"u_t + u u_x - nu u_xx = 0"``.
        x_domain: ``(a, b)``; for periodic problems ``b`` is identified with ``a``.
        t_domain: ``(t0, t1)``.
        periodic: periodic in x; otherwise ``boundary_values`` are Dirichlet values.
        params: default parameters by name (floats).
        initial: ``initial(x, params) -> u(x, t0)`` for a scalar or array ``x`` (JAX).
        pde_residual: ``pde_residual(u, x, t, params) -> r`` for a scalar field
            ``u(x, t) -> scalar`` at scalar ``(x, t)``, by autodiff (see
            :mod:`pdes.problems._autodiff`); zero where ``u`` solves the PDE.
        solver: computes the reference solution on a grid (see :data:`Solver`).
        options: the solver's options, a frozen dataclass; replace it to change them.
        grid: default ``(nx, nt)`` of :meth:`reference`.
        exact_fn: ``exact_fn(x, t, params, options) -> u`` (broadcasting ``x`` and ``t``)
            where a closed form is known, else None; ``options`` are the solver's, for
            closed forms that need numerical evaluation (quadrature).
        boundary_values: ``(u(a, t), u(b, t))`` for Dirichlet problems, else None.
        variants: named alternatives, ``{name: {field: value}}`` (see :meth:`variant`).
        variant_name: which variant this is (``"default"`` unless made by :meth:`variant`).
        notes: choices and sources worth knowing, copied into the reference's attrs.
        autonomous: the residual does not depend on ``t`` itself (only through ``u`` and its
            derivatives) and the boundary values are constant, so that ``u(x, t + s)`` solves
            the problem shifted by ``s``; time-marching trainers then compile one window for all.
        error_offset: the parameter whose value relative errors take off the reference in
            their norm, ``|u - u_ref| / |u_ref - params[error_offset]|``, where a constant would
            otherwise dominate ``|u_ref|`` (the travelling Burgers front ``sin x + C``); None: 0.
        revision: raised whenever the definition of this problem (or variant) changes, e.g. its
            domain or initial data, so that runs trained on the old one are not reused or
            resumed (pipelines keep it with each run's config; 1 is left out there).
    """

    name: str
    equation: str
    x_domain: tuple[float, float]
    t_domain: tuple[float, float]
    periodic: bool
    params: Params
    initial: Callable[[Any, dict[str, float]], Array] = field(repr=False)
    pde_residual: Callable[[Field, Scalar, Scalar, dict[str, float]], Scalar] = field(repr=False)
    solver: Solver = field(repr=False)
    options: Any
    grid: tuple[int, int]
    exact_fn: Callable[[Any, Any, dict[str, float], Any], Array] | None = field(default=None, repr=False)
    boundary_values: tuple[float, float] | None = None
    variants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    variant_name: str = "default"
    notes: str = ""
    autonomous: bool = False
    revision: int = 1
    error_offset: str | None = None

    def __post_init__(self):
        if self.periodic == (self.boundary_values is not None):
            raise ValueError(f"{self.name}: give boundary_values exactly when the problem is not periodic")
        if self.error_offset is not None and self.error_offset not in self.params:
            raise ValueError(f"{self.name}: error_offset {self.error_offset!r} is not a parameter; "
                             f"known: {', '.join(self.params)}")

    def error_norm_offset(self, params: Params | None = None) -> float:
        """What relative errors take off the reference in their norm (see ``error_offset``)."""
        return 0.0 if self.error_offset is None else float(self.resolve_params(params)[self.error_offset])

    # -- parameters and variants ---------------------------------------------------------
    def resolve_params(self, params: Params | None = None) -> dict[str, float]:
        """Defaults updated with ``params``; an unknown name is an error listing the known."""
        unknown = set(params or {}) - set(self.params)
        if unknown:
            raise ValueError(f"{self.name} has no parameter(s) {sorted(unknown)}; known: {sorted(self.params)}")
        return {**self.params, **(params or {})}

    def variant(self, name: str) -> Problem:
        """The named variant (e.g. KS ``"chaotic"``): this problem with some fields replaced."""
        if name == "default":
            return self
        if name not in self.variants:
            raise ValueError(f"{self.name} has no variant {name!r}; known: {['default', *sorted(self.variants)]}")
        return dataclasses.replace(self, variant_name=name, **self.variants[name])

    def with_options(self, **changes: Any) -> Problem:
        """This problem with some solver options replaced, e.g. ``with_options(dt=1e-3)``."""
        if not changes:
            return self
        return dataclasses.replace(self, options=dataclasses.replace(self.options, **changes))

    # -- the mathematics -----------------------------------------------------------------
    def u0(self, x: Float[Array, "..."], params: Params | None = None) -> Float[Array, "..."]:
        """The initial condition ``u(x, t0)``, elementwise in ``x``."""
        return self.initial(jnp.asarray(x), self.resolve_params(params))

    def residual(self, u: Field, x: Scalar, t: Scalar, params: Params | None = None) -> Scalar:
        """The PDE residual of the scalar field ``u(x, t)`` at the scalar point ``(x, t)``.

        ``params`` may hold traced values; vmap over points, e.g.
        ``jax.vmap(lambda x, t: problem.residual(net, x, t))(xs, ts)``.
        """
        return self.pde_residual(u, x, t, self.resolve_params(params))

    def exact(
        self, x: Float[Array, "..."], t: Float[Array, "..."], params: Params | None = None
    ) -> Float[Array, "..."]:
        """The exact solution at broadcastable ``x`` and ``t``, where one is known."""
        if self.exact_fn is None:
            raise NotImplementedError(f"{self.name} has no closed-form solution; use reference()")
        return self.exact_fn(jnp.asarray(x), jnp.asarray(t), self.resolve_params(params), self.options)

    # -- grids and the reference solution ----------------------------------------------
    def x_grid(self, nx: int) -> Float[np.ndarray, " nx"]:
        """``nx`` equispaced points: the right end left out if periodic, included if not."""
        a, b = self.x_domain
        if nx < 2:
            raise ValueError(f"nx must be >= 2, got {nx}")
        return a + (b - a) * np.arange(nx) / (nx if self.periodic else nx - 1)

    def t_grid(self, nt: int) -> Float[np.ndarray, " nt"]:
        """``nt`` equispaced times from ``t0`` to ``t1``, both included."""
        if nt < 2:
            raise ValueError(f"nt must be >= 2, got {nt}")
        return np.linspace(*self.t_domain, nt)

    def reference(self, nx: int | None = None, nt: int | None = None, *, params: Params | None = None) -> xr.Dataset:
        """The reference solution ``u(t, x)`` on :meth:`x_grid` x :meth:`t_grid` as a Dataset.

        Defaults to the problem's ``grid``. The attrs name the problem, its parameters, the
        method and its options; provenance is the pipeline's to add.

        Raises:
            FloatingPointError: the solution is not finite, naming the first bad time.
        """
        nx, nt = nx or self.grid[0], nt or self.grid[1]
        p = self.resolve_params(params)
        x, t = self.x_grid(nx), self.t_grid(nt)
        u, method = self.solver(self, x, t, p, self.options)
        u = np.asarray(u, dtype=np.float64)
        if u.shape != (nt, nx):
            raise RuntimeError(f"{self.name}: solver returned shape {u.shape}, expected {(nt, nx)}")
        bad = ~np.isfinite(u).all(axis=1)
        if bad.any():
            raise FloatingPointError(
                f"{self.name} ({self.variant_name}) reference is not finite from t={t[np.argmax(bad)]:g} on "
                f"with options {self.options}; reduce the time step or raise the resolution"
            )
        return _dataset(self, x, t, u, p, method)


@dataclass(frozen=True)
class ClosedForm:
    """Options of a reference that is a closed form evaluated pointwise: there are none."""


def exact_solver(method: str) -> Solver:
    """A solver that evaluates the problem's closed form ``exact_fn`` on the grid; ``method``
    describes the formula (it lands in the reference's ``method`` attr)."""

    def solve(problem: Problem, x, t, params, options):
        u = problem.exact_fn(jnp.asarray(x)[None, :], jnp.asarray(t)[:, None], params, options)
        opts = dataclasses.asdict(options) if dataclasses.is_dataclass(options) else {}
        return np.asarray(u), {"method": method, **opts}

    return solve


def _dataset(problem: Problem, x, t, u, params, method: dict) -> xr.Dataset:
    method = dict(method)
    attrs = {
        "problem": problem.name,
        "variant": problem.variant_name,
        "equation": problem.equation,
        "parameters": json.dumps(params),
        "x_domain": np.asarray(problem.x_domain, dtype=float),
        "t_domain": np.asarray(problem.t_domain, dtype=float),
        "boundary": "periodic" if problem.periodic else f"Dirichlet u(x_domain) = {list(problem.boundary_values)}",
        "method": method.pop("method"),
        "method_options": json.dumps(method),
        "revision": problem.revision,
    }
    if problem.notes:
        attrs["notes"] = problem.notes
    return xr.Dataset(
        {"u": (("t", "x"), u, {"long_name": f"solution u of {problem.name}", "units": "1"})},
        coords={
            "x": ("x", x, {"long_name": "position x", "units": "1"}),
            "t": ("t", t, {"long_name": "time t", "units": "1"}),
        },
        attrs=attrs,
    )
