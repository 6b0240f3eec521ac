"""Lagrangian PINNs (Mojgani, Balajewicz & Hassanzadeh 2023).

For ``u_t + c(u) u_x = nu u_xx`` the state is followed along characteristics
``dX/dt = c(U)``, ``X(x0, 0) = x0``, on which ``dU/dt = nu u_xx``. Two branches, both
functions of the Lagrangian label ``x0`` and ``t``::

    X(x0, t) = x0 + (t - t0) (c_0 + s N_X(x0, t))  (c_0: a frame speed, s: a speed scale, N_X = O(1))
    U(x0, t) = u0(x0) + (t - t0) N_U(x0, t)

impose the initial conditions exactly. For Burgers ``c_0`` is the mean of ``u0`` (the frame
that moves with the mean flow; the travelling front ``sin x + 50`` would otherwise need
``N_X`` near 1 with ``O(1/50)`` wiggles, and any error in those crosses characteristics) and
``s`` the largest ``|u0 - c_0|``; for convection ``c_0 = 0``, ``s = max(|beta|, 1)``. The
residuals are ``r_X = X_t - c(U)`` and ``r_U = U_t - nu u_xx`` with Eulerian derivatives by
the chain rule, ``u_x = U_x0 / X_x0`` and ``u_xx = (u_x)_x0 / X_x0``. Periodic problems use
the periodic embedding in ``x0`` (then ``X - x0`` and ``U`` are periodic); Dirichlet ends
keep their labels: ``X(a, t) = a``, ``U(a, t) = u_a`` (soft).

Forms (:data:`FORMS`): ``convection`` (``c = beta``, ``nu = 0``), ``burgers`` (``c = u``),
``convection_diffusion`` (``c = beta``, diffusion ``nu``: a generic form for problems
with parameters ``beta`` and ``nu``). The prediction on the Eulerian grid interpolates
``U`` at the positions ``X`` of a dense set of labels at each time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from pdes.problems import t_derivative, x_derivative

from .losses import LossConfig
from .networks import FeatureNet, NetworkConfig, _Initial


@dataclass(frozen=True)
class LagrangianForm:
    """The characteristic speed ``speed(u, params)``, the diffusion parameter's name (or None)
    and the X-branch's frame speed and speed scale ``frame(params, u0) -> (c_0, s)`` from the
    initial values ``u0`` on a grid."""

    speed: Callable[[Array, dict], Array]
    nu: str | None
    frame: Callable[[dict, np.ndarray], tuple[float, float]]


def _constant_speed_frame(params: dict, u0: np.ndarray) -> tuple[float, float]:
    return 0.0, max(abs(params["beta"]), 1.0)


def _mean_flow_frame(params: dict, u0: np.ndarray) -> tuple[float, float]:
    mean = float(np.trapezoid(u0) / (len(u0) - 1))  # exact for a trigonometric u0 on the closed grid
    if abs(mean) <= 1e-12 * np.max(np.abs(u0)):
        mean = 0.0  # odd u0 (Raissi's -sin(pi x)): at rest, not at a round-off speed
    return mean, max(float(np.max(np.abs(u0 - mean))), 1e-3)


FORMS: dict[str, LagrangianForm] = {
    "convection": LagrangianForm(lambda u, p: p["beta"] + 0 * u, None, _constant_speed_frame),
    "burgers": LagrangianForm(lambda u, p: u, "nu", _mean_flow_frame),
    "convection_diffusion": LagrangianForm(lambda u, p: p["beta"] + 0 * u, "nu", _constant_speed_frame),
}


def form_for(problem) -> LagrangianForm:
    """The Lagrangian form of ``problem``; an error naming the supported problems otherwise."""
    if problem.name not in FORMS:
        raise ValueError(f"lpinn has no Lagrangian form of {problem.name!r}; supported: "
                         f"{', '.join(k for k in FORMS if k != 'convection_diffusion')}")
    return FORMS[problem.name]


class LagrangianNet(eqx.Module):
    """Two branches ``X(x0, t)`` and ``U(x0, t)`` with exact initial conditions."""

    xnet: FeatureNet
    unet: FeatureNet
    t0: float = eqx.field(static=True)
    frame_speed: float = eqx.field(static=True)
    speed_scale: float = eqx.field(static=True)
    initial: Callable = eqx.field(static=True)

    def __init__(self, cfg: NetworkConfig, x_domain, t_domain, initial, frame_speed: float, speed_scale: float, *,
                 key: PRNGKeyArray):
        kx, ku = jax.random.split(key)
        self.xnet = FeatureNet(cfg, x_domain, t_domain, key=kx)
        self.unet = FeatureNet(cfg, x_domain, t_domain, key=ku)
        self.t0 = float(t_domain[0])
        self.frame_speed = float(frame_speed)
        self.speed_scale = float(speed_scale)
        self.initial = initial

    def position(self, x0: Float[Array, ""], t: Float[Array, ""]) -> Float[Array, ""]:
        n = self.xnet(x0, t)
        elapsed = jnp.asarray(t, n.dtype) - self.t0
        drift = elapsed * self.speed_scale * n
        if self.frame_speed:  # (static) at rest, the formula and its rounding stay those of a plain scale
            drift = drift + elapsed * self.frame_speed
        return jnp.asarray(x0, n.dtype) + drift

    def state(self, x0: Float[Array, ""], t: Float[Array, ""]) -> Float[Array, ""]:
        n = self.unet(x0, t)
        return jnp.asarray(self.initial(jnp.asarray(x0, n.dtype)), n.dtype) + (jnp.asarray(t, n.dtype) - self.t0) * n


def build_lagrangian(cfg: NetworkConfig, problem, params, *, key: PRNGKeyArray) -> LagrangianNet:
    """The LPINN network of ``problem``; raises ValueError for configs that do not fit."""
    form = form_for(problem)
    if cfg.periodic_harmonics and not problem.periodic:
        raise ValueError(f"periodic embedding needs a periodic domain, but {problem.name} has Dirichlet "
                         "boundaries; set periodic_harmonics=0")
    x = jnp.linspace(*problem.x_domain, 257)
    u0 = np.asarray(problem.initial(x, params), dtype=float)
    return LagrangianNet(cfg, problem.x_domain, problem.t_domain, _Initial(problem, params),
                         *form.frame(params, u0), key=key)


def lagrangian_residuals(model: LagrangianNet, form: LagrangianForm, params: dict, x0, t) -> Float[Array, " 2"]:
    """``(r_X, r_U)`` at the scalar label ``x0`` and time ``t``."""
    X, U = model.position, model.state
    u = U(x0, t)
    r_x = t_derivative(X)(x0, t) - form.speed(u, params)
    r_u = t_derivative(U)(x0, t)
    if form.nu is not None:
        X_a = x_derivative(X)

        def u_x(a, s):
            return x_derivative(U)(a, s) / X_a(a, s)

        r_u = r_u - params[form.nu] * x_derivative(u_x)(x0, t) / X_a(x0, t)
    return jnp.stack([r_x, r_u])


@dataclass(frozen=True, eq=False)
class LagrangianPinn:
    """The LPINN formulation (see :mod:`sciml.pinn.losses` for the interface)."""

    problem: object
    params: dict
    form: LagrangianForm
    soft_bc: bool
    bc_t: np.ndarray
    n_components: int = 2

    @classmethod
    def build(cls, problem, params, network_cfg: NetworkConfig, loss_cfg: LossConfig, dtype="float32"):
        soft_bc = not (problem.periodic and network_cfg.periodic_harmonics)
        return cls(problem, dict(params), form_for(problem), soft_bc,
                   np.linspace(*problem.t_domain, loss_cfg.n_bc).astype(dtype))

    @property
    def loss_names(self) -> tuple[str, ...]:
        return ("res",) + ("bc",) * self.soft_bc

    def residuals(self, model: LagrangianNet, points: Float[Array, "n 2"]) -> Float[Array, "n 2"]:
        return jax.vmap(lambda a, t: lagrangian_residuals(model, self.form, self.params, a, t))(
            points[:, 0], points[:, 1])

    def data_losses(self, model: LagrangianNet) -> dict[str, Float[Array, ""]]:
        if not self.soft_bc:
            return {}
        (a, b), t = self.problem.x_domain, self.bc_t
        X, U = jax.vmap(model.position), jax.vmap(model.state)
        ea, eb = jnp.full_like(t, a), jnp.full_like(t, b)
        if self.problem.periodic:
            return {"bc": jnp.mean(((X(eb, t) - X(ea, t)) / (b - a) - 1) ** 2) + jnp.mean((U(eb, t) - U(ea, t)) ** 2)}
        va, vb = self.problem.boundary_values
        scale = (b - a) ** 2
        return {"bc": (jnp.mean((X(ea, t) - a) ** 2) + jnp.mean((X(eb, t) - b) ** 2)) / scale
                + jnp.mean((U(ea, t) - va) ** 2) + jnp.mean((U(eb, t) - vb) ** 2)}

    def predict(self, model: LagrangianNet, x: np.ndarray, t: np.ndarray, oversample: int = 4) -> np.ndarray:
        """``u (nt, nx)`` on the Eulerian grid: ``U`` interpolated at the positions ``X`` of
        ``oversample * nx`` labels at each time (wrapped into the period if periodic)."""
        a, b = self.problem.x_domain
        labels = np.linspace(a, b, oversample * len(x), endpoint=not self.problem.periodic)
        dtype = jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array))[0].dtype
        grid = jax.jit(jax.vmap(lambda s: jax.vmap(lambda l: jnp.stack([model.position(l, s), model.state(l, s)]))(
            jnp.asarray(labels, dtype))))
        pos_state = np.asarray(grid(jnp.asarray(t, dtype)), dtype=float)  # (nt, n_labels, 2)
        out = np.empty((len(t), len(x)))
        for j, (pos, val) in enumerate(zip(pos_state[..., 0], pos_state[..., 1])):
            if self.problem.periodic:
                pos = a + np.mod(pos - a, b - a)
            order = np.argsort(pos, kind="stable")
            out[j] = np.interp(x, pos[order], val[order], period=(b - a) if self.problem.periodic else None)
        return out
