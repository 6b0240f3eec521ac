"""Loss terms of a physics-informed run, and loss weights (fixed or gradient-norm balanced).

A *formulation* turns a model into per-point residuals and data losses; the trainer is
generic over it:

* ``residuals(model, points (n, 2)) -> (n, k)``: ``k`` residual components per point,
  vectorised over the points (the derivatives of :mod:`pdes.problems`; by default the
  first derivatives at each point share one reverse pass, :mod:`sciml.pinn.derivatives`);
* ``data_losses(model) -> {"ic": ..., "bc": ...}``: mean squared misfits of the initial
  and boundary conditions that are not built into the network.

:class:`EulerianPinn` is the usual formulation ``u(x, t)`` of any registered problem; the
Lagrangian one is in :mod:`sciml.pinn.lpinn`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from .derivatives import DERIVATIVES, shared_gradient_field

BALANCING = ("fixed", "grad_norm")


@dataclass(frozen=True)
class LossConfig:
    """Loss weights.

    Attributes:
        res, ic, bc: initial weights (R3 paper: 1, 100, 100).
        balancing: ``"fixed"``, or ``"grad_norm"`` (Wang et al. 2023, jaxpi): every
            ``balance_every`` steps, ``lambda_i <- alpha lambda_i + (1 - alpha)
            sum_j |g_j| / |g_i|`` with ``g_i`` the gradient of loss ``i``.
        n_ic, n_bc: points of the initial condition (a uniform grid in x) and of each
            boundary (a uniform grid in t).
    """

    res: float = field(default=1.0, metadata={"min": 0.0})
    ic: float = field(default=100.0, metadata={"min": 0.0})
    bc: float = field(default=100.0, metadata={"min": 0.0})
    balancing: str = field(default="fixed", metadata={"choices": BALANCING})
    balance_every: int = field(default=1000, metadata={"min": 1})
    balance_alpha: float = field(default=0.9, metadata={"min": 0.0, "max": 1.0})
    n_ic: int = field(default=256, metadata={"min": 2})
    n_bc: int = field(default=100, metadata={"min": 2})

    def __post_init__(self):
        if self.balancing not in BALANCING:
            raise ValueError(f"unknown loss balancing {self.balancing!r}; known: {', '.join(BALANCING)}")

    def initial_weights(self, names) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in names}


@dataclass(frozen=True, eq=False)
class EulerianPinn:
    """``u(x, t)`` of ``problem`` with resolved ``params``; soft terms for the conditions the
    network does not impose (``soft_ic``, ``soft_bc``). ``derivatives``: ``"shared_reverse"``
    (``u_x`` and ``u_t`` at a point from one ``value_and_grad``, see
    :func:`sciml.pinn.derivatives.shared_gradient_field`) or ``"forward"`` (the residual's
    own ``jax.jvp`` calls on the network); the two agree up to rounding."""

    problem: object
    params: dict
    soft_ic: bool
    soft_bc: bool
    ic_x: np.ndarray
    ic_u: np.ndarray
    bc_t: np.ndarray
    n_components: int = 1
    derivatives: str = "shared_reverse"

    def __post_init__(self):
        if self.derivatives not in DERIVATIVES:
            raise ValueError(f"unknown derivatives {self.derivatives!r}; known: {', '.join(DERIVATIVES)}")

    @classmethod
    def build(cls, problem, params, network_cfg, loss_cfg: LossConfig, dtype="float32", initial=None,
              derivatives: str = "shared_reverse") -> EulerianPinn:
        """``initial(x)`` overrides the problem's initial condition (time-marching windows)."""
        a, b = problem.x_domain
        x = np.linspace(a, b, loss_cfg.n_ic, endpoint=not problem.periodic)
        u0 = np.asarray(initial(jnp.asarray(x)) if initial is not None else problem.initial(jnp.asarray(x), params))
        t = np.linspace(*problem.t_domain, loss_cfg.n_bc)
        return cls(problem, dict(params), network_cfg.ic == "soft", network_cfg.bc == "soft",
                   x.astype(dtype), u0.astype(dtype), t.astype(dtype), derivatives=derivatives)

    @property
    def loss_names(self) -> tuple[str, ...]:
        return ("res",) + ("ic",) * self.soft_ic + ("bc",) * self.soft_bc

    @property
    def data(self) -> dict[str, np.ndarray]:
        """The arrays that differ between time-marching windows (passed to the compiled step
        as arguments, so that one compilation serves every window; see :meth:`with_data`)."""
        return {"ic_x": self.ic_x, "ic_u": self.ic_u, "bc_t": self.bc_t}

    def with_data(self, data: dict) -> EulerianPinn:
        return dataclasses.replace(self, **data)

    def residuals(self, model, points: Float[Array, "n 2"]) -> Float[Array, "n 1"]:
        def one(x, t):
            u = shared_gradient_field(model, x, t) if self.derivatives == "shared_reverse" else model
            return self.problem.pde_residual(u, x, t, self.params)

        return jax.vmap(one)(points[:, 0], points[:, 1])[:, None]

    def data_losses(self, model) -> dict[str, Float[Array, ""]]:
        """Both boundaries are one batch of ``2 n_bc`` points; on a periodic domain ``u`` and
        ``u_x`` there come from one forward-mode pass (``jax.jvp`` gives both)."""
        out = {}
        if self.soft_ic:
            t0 = jnp.full_like(self.ic_x, self.problem.t_domain[0])
            out["ic"] = jnp.mean((jax.vmap(model)(self.ic_x, t0) - self.ic_u) ** 2)
        if self.soft_bc:
            n = len(self.bc_t)
            a, b = self.problem.x_domain
            xb = jnp.concatenate([jnp.full_like(self.bc_t, a), jnp.full_like(self.bc_t, b)])
            tb = jnp.concatenate([self.bc_t, self.bc_t])
            if self.problem.periodic:  # u and u_x match across the periodic boundary
                along_x = lambda x, t: jax.jvp(model, (x, t), (jnp.ones_like(x), jnp.zeros_like(t)))  # noqa: E731
                u, ux = jax.vmap(along_x)(xb, tb)
                out["bc"] = jnp.mean((u[:n] - u[n:]) ** 2) + jnp.mean((ux[:n] - ux[n:]) ** 2)
            else:
                va, vb = self.problem.boundary_values
                target = jnp.concatenate([jnp.full_like(self.bc_t, va), jnp.full_like(self.bc_t, vb)])
                out["bc"] = 2 * jnp.mean((jax.vmap(model)(xb, tb) - target) ** 2)
        return out

    def predict(self, model, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        return predict_eulerian(model, x, t)


def grad_norm_weights(part_fn, params, old: dict, alpha: float) -> dict:
    """Gradient-norm balanced weights: ``part_fn(params) -> {name: loss}``; returns the
    moving average of ``sum_j |g_j| / |g_i|`` with factor ``alpha`` on ``old``."""
    grads = jax.jacrev(part_fn)(params)
    norms = {k: optax.tree.norm(g) for k, g in grads.items()}
    total = sum(norms.values())
    return {k: alpha * old[k] + (1 - alpha) * total / jnp.maximum(norms[k], 1e-12) for k in old}


def predict_eulerian(model, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``u (nt, nx)`` of a field ``model(x, t)`` on the grid ``x (nx,)`` by ``t (nt,)``."""
    dtype = jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array))[0].dtype
    return np.asarray(_grid(model, jnp.asarray(x, dtype), jnp.asarray(t, dtype)), dtype=float)


@eqx.filter_jit
def _grid(model, x, t):  # compiled once per model structure and grid shape
    return jax.vmap(jax.vmap(model, (0, None)), (None, 0))(x, t)
